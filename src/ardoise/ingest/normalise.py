"""Normalisation rules, written as DuckDB SQL expressions over raw string columns.

One function per rule; the pipeline assembles them into one SELECT per dataset, so the
typing of a quarter-million rows stays inside DuckDB. Python twins of the code rules live
beside them (``normalise_departement`` …) for tests and for other layers.
"""

from __future__ import annotations

import re

from ardoise.catalog.model import Dataset, Field
from ardoise.sql import quote_identifier, quote_literal

# Markers that stand for "no value" in numeric and date columns, and why.
MARKERS: dict[str, str] = {
    "NS": "non_significatif",
    "N.S.": "non_significatif",
    "ND": "non_disponible",
    "N.D.": "non_disponible",
    "NA": "non_disponible",
    "N/A": "non_disponible",
    "NC": "non_communique",
    "S": "secret_statistique",
    "SECRET": "secret_statistique",
    "-": "sans_objet",
    "X": "sans_objet",
    "SO": "sans_objet",
}

UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # 23 letters: I, O and Q are never used


def _trimmed(col: str) -> str:
    return f"nullif(trim({quote_identifier(col)}), '')"


def markers_for(ds: Dataset) -> dict[str, str]:
    out = dict(MARKERS)
    for m in ds.null_markers:
        out[m.upper()] = "non_disponible"
    return out


def marker_condition(col: str, markers: dict[str, str]) -> str:
    # A CASE, not IN (…): DuckDB builds an IN list per column, which is slow on wide tables.
    whens = " ".join(f"WHEN {quote_literal(m)} THEN true" for m in sorted(markers))
    return f"(CASE upper({_trimmed(col)}) {whens} ELSE false END)"


def marker_reason(col: str, markers: dict[str, str]) -> str:
    whens = " ".join(
        f"WHEN {quote_literal(m)} THEN {quote_literal(r)}" for m, r in sorted(markers.items())
    )
    return f"(CASE upper({_trimmed(col)}) {whens} END)"


def number(col: str) -> str:
    """The raw value read as a number (decimal comma accepted, spaces ignored), or NULL."""
    cleaned = f"replace(replace(replace({_trimmed(col)}, ' ', ''), chr(160), ''), ',', '.')"
    # the plain cast first: most values are plain numbers, the rewrite only runs on the rest
    return f"COALESCE(TRY_CAST({_trimmed(col)} AS DOUBLE), TRY_CAST({cleaned} AS DOUBLE))"


def converted(field: Field, col: str, number_column: str | None = None) -> str:
    """Typed value of the raw column (NULL when empty, a marker, or unreadable).

    ``number_column`` names a column already holding :func:`number` of ``col``.
    """
    v = _trimmed(col)
    kind = field.type
    n = quote_identifier(number_column) if number_column else number(col)
    if kind == "int":
        return f"(CASE WHEN {n} = floor({n}) AND abs({n}) < 9e15 THEN TRY_CAST({n} AS BIGINT) END)"
    if kind == "double":
        return f"(CASE WHEN isfinite({n}) THEN {n} END)"
    if kind == "date":
        return (
            f"COALESCE(TRY_CAST({v} AS DATE), TRY_CAST(try_strptime({v}, '%d/%m/%Y') AS DATE),"
            f" TRY_CAST(TRY_CAST({v} AS TIMESTAMPTZ) AS DATE))"
        )
    if kind == "datetime":
        return f"TRY_CAST({v} AS TIMESTAMPTZ)"
    if kind == "boolean":
        return (
            f"(CASE WHEN lower({v}) IN ('oui','o','true','vrai','1','yes') THEN true "
            f"WHEN lower({v}) IN ('non','n','false','faux','0','no') THEN false END)"
        )
    if kind == "geo_point_2d":
        lat = f"TRY_CAST(trim(split_part({v}, ',', 1)) AS DOUBLE)"
        lon = f"TRY_CAST(trim(split_part({v}, ',', 2)) AS DOUBLE)"
        ok = f"{lat} BETWEEN -90 AND 90 AND {lon} BETWEEN -180 AND 180"
        return f"(CASE WHEN {ok} THEN struct_pack(lon := {lon}, lat := {lat}) END)"
    if kind == "geo_shape":
        return f"(CASE WHEN json_valid({v}) THEN {v} END)"
    return v


def type_error(field: Field, col: str, markers: dict[str, str]) -> str:
    """TRUE where a non-empty value is neither a marker nor readable in the declared type."""
    if field.type == "text":
        return "false"
    marker = "false" if field.type == "geo_shape" else marker_condition(col, markers)
    return f"({_trimmed(col)} IS NOT NULL AND NOT {marker} AND {converted(field, col)} IS NULL)"


def has_markers(field: Field) -> bool:
    return field.type not in ("text", "geo_shape")


# --- territory codes -----------------------------------------------------------------


def uai_valid_sql(expr: str) -> str:
    return (
        f"(regexp_full_match({expr}, '[0-9]{{7}}[A-Z]') AND substr({quote_literal(UAI_LETTERS)}, "
        f"CAST(TRY_CAST(substr({expr}, 1, 7) AS INTEGER) % 23 AS INTEGER) + 1, 1) = substr({expr}, 8, 1))"
    )


def commune_sql(col: str) -> str:
    u = f"upper({_trimmed(col)})"
    return f"(CASE WHEN regexp_full_match({u}, '[0-9]{{4}}') THEN '0' || {u} ELSE {u} END)"


def departement_sql(col: str) -> str:
    u = f"upper({_trimmed(col)})"
    digits = f"regexp_extract({u}, '^0*([0-9]+)$', 1)"
    corse = f"regexp_extract({u}, '^0*(2[AB])$', 1)"
    # DEPP files code Corse-du-Sud 620 and Haute-Corse 720 (2A/2B written as numbers).
    return (
        f"(CASE WHEN {digits} = '620' THEN '2A' WHEN {digits} = '720' THEN '2B' "
        f"WHEN {digits} <> '' THEN (CASE WHEN TRY_CAST({digits} AS INTEGER) < 100 "
        f"THEN lpad({digits}, 2, '0') ELSE {digits} END) "
        f"WHEN {corse} <> '' THEN {corse} ELSE {u} END)"
    )


def two_digit_code_sql(col: str) -> str:
    u = f"upper({_trimmed(col)})"
    return f"(CASE WHEN regexp_full_match({u}, '[0-9]') THEN '0' || {u} ELSE {u} END)"


# --- school years ---------------------------------------------------------------------


def school_year_sql(col: str, kind: str) -> str:
    """``YYYY-YYYY`` from whatever the source spelled, per the dataset's year kind.

    rentree: 2021 → 2021-2022; session: 2023 → 2022-2023 (an exam session closes the
    school year); annee_scolaire: 2021-2022, 2021-22, 2021/2022 → 2021-2022;
    annee_civile: no school year.
    """
    v = _trimmed(col)
    first = f"TRY_CAST(left({v}, 4) AS INTEGER)"
    full = f"(regexp_full_match({v}, '[0-9]{{4}}[-/ ][0-9]{{4}}') AND TRY_CAST(right({v}, 4) AS INTEGER) = {first} + 1)"
    short = f"regexp_full_match({v}, '[0-9]{{4}}[-/][0-9]{{2}}')"
    single = f"regexp_full_match({v}, '[0-9]{{4}}(\\.0+)?')"
    span = f"CAST({first} AS VARCHAR) || '-' || CAST({first} + 1 AS VARCHAR)"
    before = f"CAST({first} - 1 AS VARCHAR) || '-' || CAST({first} AS VARCHAR)"
    if kind == "annee_civile":
        return "CAST(NULL AS VARCHAR)"
    single_case = {"rentree": span, "session": before}.get(kind)
    parts = [f"WHEN {full} THEN {span}", f"WHEN {short} THEN {span}"]
    if single_case:
        parts.append(f"WHEN {single} THEN {single_case}")
    return "(CASE " + " ".join(parts) + " END)"


# --- Python twins (tests, other layers) ----------------------------------------------


def uai_is_valid(uai: str) -> bool:
    """>>> uai_is_valid("0352778E")
    True
    """
    u = uai.strip().upper()
    if not re.fullmatch(r"[0-9]{7}[A-Z]", u):
        return False
    return UAI_LETTERS[int(u[:7]) % 23] == u[7]


_CORSE_DEPP = {"620": "2A", "720": "2B"}


def normalise_departement(code: str) -> str:
    """``"001"`` → ``"01"``, ``"02A"`` → ``"2A"``, ``"974"`` → ``"974"``."""
    u = code.strip().upper()
    if m := re.fullmatch(r"0*([0-9]+)", u):
        n = m.group(1)
        if n in _CORSE_DEPP:
            return _CORSE_DEPP[n]
        return n.zfill(2) if int(n) < 100 else n
    if m := re.fullmatch(r"0*(2[AB])", u):
        return m.group(1)
    return u


def school_year(value: str, kind: str) -> str | None:
    v = value.strip()
    if m := re.fullmatch(r"([0-9]{4})[-/ ]([0-9]{4})", v):
        a, b = int(m.group(1)), int(m.group(2))
        return f"{a}-{b}" if b == a + 1 else None
    if m := re.fullmatch(r"([0-9]{4})[-/]([0-9]{2})", v):
        a = int(m.group(1))
        return f"{a}-{a + 1}"
    if m := re.fullmatch(r"([0-9]{4})(\.0+)?", v):
        a = int(m.group(1))
        if kind == "rentree":
            return f"{a}-{a + 1}"
        if kind == "session":
            return f"{a - 1}-{a}"
    return None
