"""Quality checks over the staged (raw) and typed tables of one dataset, in SQL.

Each check returns report Issues (data problems are data, STYLE.md L6) or a statistic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from ardoise.catalog.model import Dataset
from ardoise.ingest.normalise import type_error
from ardoise.ingest.report import Issue, Report
from ardoise.sql import quote_identifier

_EXAMPLES = 5


def _one(conn: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    """The single row of an aggregate query (fetched whole: DuckDB 2 wants results drained)."""
    rows = conn.execute(sql).fetchall()
    return tuple(rows[0])


def type_errors(
    conn: duckdb.DuckDBPyConnection, ds: Dataset, markers: dict[str, str]
) -> list[Issue]:
    columns = {
        c
        for (c,) in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = '_typed'"
        ).fetchall()
    }
    typed = [f for f in ds.fields if "_bad_" + f.name in columns]  # only dirty fields have one
    if not typed:
        return []
    counts = _one(
        conn,
        "SELECT "
        + ", ".join(f"count_if({quote_identifier('_bad_' + f.name)})" for f in typed)
        + " FROM _typed",
    )
    issues = []
    for f, n in zip(typed, counts, strict=True):
        if not n:
            continue
        rows = conn.execute(
            f"SELECT _ligne, {quote_identifier(f.name)} FROM _clean WHERE {type_error(f, f.name, markers)} "
            f"ORDER BY _src, _ligne LIMIT {_EXAMPLES}"
        ).fetchall()
        first = rows[0][0] if rows else None
        issues.append(
            Issue(
                type="erreur-de-type",
                field=f.name,
                row=first,
                count=int(n),
                examples=tuple(f"ligne {r[0]} : {r[1]!r}" for r in rows),
                message=(
                    f"Champ {f.name!r} ({f.type}) : {n} valeur(s) illisible(s), publiées vides "
                    f"(ex. ligne {first} : {rows[0][1]!r})."
                    if rows
                    else ""
                ),
            )
        )
    return issues


def territory_issues(conn: duckdb.DuckDBPyConnection, ds: Dataset) -> list[Issue]:
    issues = []
    for role, fname in ds.territories:
        raw, code = quote_identifier("_raw_" + role), quote_identifier("_code_" + role)
        (n,) = _one(
            conn,
            f"SELECT count(*) FROM _typed WHERE {raw} IS NOT NULL AND {raw} <> '' AND {code} IS NULL",
        )
        if not n:
            continue
        top = conn.execute(
            f"SELECT s.{quote_identifier(fname)} AS v, count(*) AS n, min(t._ligne) AS l FROM _typed t "
            f"JOIN _clean s ON s._src = t._src AND s._ligne = t._ligne "
            f"WHERE t.{raw} IS NOT NULL AND t.{raw} <> '' AND t.{code} IS NULL "
            f"GROUP BY 1 ORDER BY n DESC, v LIMIT {_EXAMPLES}"
        ).fetchall()
        kind = "uai-invalide" if role == "uai" else "code-territoire-inconnu"
        what = (
            "UAI invalide(s)" if role == "uai" else f"valeur(s) inconnue(s) du référentiel ({role})"
        )
        examples = tuple(f"{v!r} ({c} ligne(s), dont la ligne {ln})" for v, c, ln in top)
        issues.append(
            Issue(
                type=kind,
                field=fname,
                count=int(n),
                row=top[0][2] if top else None,
                examples=examples,
                message=f"Champ {fname!r} : {n} ligne(s) avec {what}, ex. {examples[0] if examples else ''}.",
            )
        )
    return issues


def school_year_issues(conn: duckdb.DuckDBPyConnection, ds: Dataset) -> list[Issue]:
    if ds.school_year is None or ds.school_year.kind == "annee_civile":
        return []
    f = ds.school_year.field
    rows = conn.execute(
        f"SELECT s.{quote_identifier(f)}, count(*), min(s._ligne) FROM _typed t JOIN _clean s "
        f"ON s._src = t._src AND s._ligne = t._ligne WHERE t._annee_scolaire IS NULL "
        f"AND nullif(trim(s.{quote_identifier(f)}), '') IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1"
    ).fetchall()
    if not rows:
        return []
    total = sum(r[1] for r in rows)
    examples = tuple(f"{v!r} ({c} ligne(s))" for v, c, _ in rows[:_EXAMPLES])
    return [
        Issue(
            type="annee-invalide",
            field=f,
            count=total,
            row=rows[0][2],
            examples=examples,
            message=(
                f"Champ {f!r} : {total} ligne(s) dont l'année ne se ramène pas à AAAA-AAAA "
                f"({ds.school_year.kind}), ex. {examples[0]}."
            ),
        )
    ]


def key_duplicates(conn: duckdb.DuckDBPyConnection, ds: Dataset) -> list[Issue]:
    if not ds.key:
        return []
    cols = ", ".join(quote_identifier(k) for k in ds.key)
    n_groups, n_rows = _one(
        conn,
        f"SELECT count(*), coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM _typed "
        f"GROUP BY {cols} HAVING count(*) > 1)",
    )
    if not n_groups:
        return []
    top = conn.execute(
        f"SELECT {cols}, count(*) AS n, list(_ligne ORDER BY _ligne)[1:3] FROM _typed "
        f"GROUP BY {cols} HAVING count(*) > 1 ORDER BY n DESC, {cols} LIMIT {_EXAMPLES}"
    ).fetchall()
    examples = tuple(
        " / ".join(str(v) for v in r[: len(ds.key)]) + f" ({r[-2]} lignes : {r[-1]})" for r in top
    )
    return [
        Issue(
            type="doublon-de-cle",
            count=int(n_rows),
            field=", ".join(ds.key),
            examples=examples,
            message=(
                f"Clé ({', '.join(ds.key)}) : {n_groups} valeur(s) partagée(s) par "
                f"{n_rows} lignes, ex. {examples[0]}."
            ),
        )
    ]


def completeness(conn: duckdb.DuckDBPyConnection, ds: Dataset) -> dict[str, float]:
    row = _one(
        conn,
        "SELECT "
        + ", ".join(
            f"avg(CASE WHEN {quote_identifier(f.name)} IS NULL THEN 0.0 ELSE 1.0 END)"
            for f in ds.fields
        )
        + " FROM _typed",
    )
    return {f.name: round(float(v or 0.0), 4) for f, v in zip(ds.fields, row, strict=True)}


def years(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = conn.execute(
        "SELECT _annee_scolaire, count(*) FROM _typed WHERE _annee_scolaire IS NOT NULL "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    return {str(y): int(n) for y, n in rows}


@dataclass(frozen=True)
class PreviousVersion:
    """The dataset as the previous release holds it, for the drift check."""

    release_id: str
    rows: int
    fields: tuple[str, ...]  # its columns
    years: Mapping[str, int]  # school year → rows


def with_drift(report: Report, ds: Dataset, previous: PreviousVersion | None) -> Report:
    """Compare with the dataset's entry in the previous release (rows, fields, years)."""
    if not previous:
        drift: dict[str, Any] = {"previous_release": None}
        return _replace(report, drift, [])
    prev_rows = previous.rows
    prev_fields = [f for f in previous.fields if not f.startswith("_")]
    prev_years = dict(previous.years)
    drift = {
        "previous_release": previous.release_id,
        "rows_before": prev_rows,
        "rows_after": report.rows,
        "rows_change": report.rows - prev_rows,
        "fields_added": [f for f in ds.field_names if f not in prev_fields],
        "fields_removed": [f for f in prev_fields if f not in ds.field_names],
        "years_added": sorted(set(report.years) - set(prev_years)),
        "years_removed": sorted(set(prev_years) - set(report.years)),
    }
    issues = []
    if prev_rows and abs(report.rows - prev_rows) > 0.2 * prev_rows:
        issues.append(
            Issue(
                type="derive",
                count=abs(report.rows - prev_rows),
                message=f"Le nombre de lignes passe de {prev_rows} à {report.rows} "
                f"depuis la release {previous.release_id}.",
            )
        )
    if drift["fields_removed"] or drift["years_removed"]:
        issues.append(
            Issue(
                type="derive",
                message="Disparus depuis la release précédente : "
                + ", ".join(drift["fields_removed"] + drift["years_removed"]),
            )
        )
    return _replace(report, drift, issues)


def _replace(report: Report, drift: dict[str, Any], extra: list[Issue]) -> Report:
    return Report(
        dataset_id=report.dataset_id,
        issues=report.issues + tuple(extra),
        rows=report.rows,
        columns=report.columns,
        completeness=report.completeness,
        years=report.years,
        drift=drift,
    )
