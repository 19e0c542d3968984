"""The codebook of a dataset (issue #18): one function computes it, the API renders it as
JSON and Markdown, the dashboard as a page.

Per field: name, label, type, unit, description; the value domain of a low-cardinality
field (its distinct values with their counts, up to ``DOMAIN_MAX``); the coded missing
values per school year: what the source marked (``NS`` → non significatif, ``ND`` → non
disponible, secret statistique…, read from the ingest's ``_etats`` column) and the values
simply absent (empty cells). Then the dataset's methodology: description, coverage,
caveats. Computed once per release and dataset (``release.memo``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ardoise.query.release import ServedRelease
from ardoise.sql import quote_identifier, quote_literal

DOMAIN_MAX = 30  # a field with more distinct values has no listed domain
_DOMAIN_TYPES = ("text", "int", "boolean")
ABSENT = "absent"


@dataclass(frozen=True)
class CodebookField:
    name: str
    label: str
    type: str
    unit: str | None
    description: str
    distinct: int  # approximate count of distinct values
    domain: tuple[tuple[str, int], ...]  # (value, rows), when distinct ≤ DOMAIN_MAX
    missing: tuple[tuple[str, str, int], ...]  # (school year or "", reason, rows)


@dataclass(frozen=True)
class Codebook:
    dataset_id: str
    title: str
    release: str
    rows: int
    description: str
    temporal_coverage: str
    spatial_coverage: str
    caveats: tuple[str, ...]
    licence: str
    fields: tuple[CodebookField, ...]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def codebook(release: ServedRelease, dataset_id: str) -> Codebook:
    """The codebook of ``dataset_id`` in ``release`` (DatasetNotFound when not published)."""
    view = release.dataset(dataset_id)
    return release.memo(("codebook", view.id), lambda: _compute(release, view.id))


def _compute(release: ServedRelease, dataset_id: str) -> Codebook:
    view = release.dataset(dataset_id)
    ds = view.dataset
    table = quote_identifier(view.id)
    columns = set(view.entry.column_names)
    fields = [f for f in ds.fields if f.name in columns]
    distinct = _distinct(release, table, [f.name for f in fields])
    missing = _missing(release, table, [f.name for f in fields], "_etats" in columns)
    out = []
    for f in fields:
        domain: tuple[tuple[str, int], ...] = ()
        if f.type in _DOMAIN_TYPES and 0 < distinct.get(f.name, 0) <= DOMAIN_MAX:
            domain = _domain(release, table, f.name)
        out.append(
            CodebookField(
                f.name,
                f.label,
                f.type,
                f.unit,
                f.description,
                distinct.get(f.name, 0),
                domain,
                tuple(missing.get(f.name, ())),
            )
        )
    tc = ds.temporal_coverage
    return Codebook(
        view.id,
        ds.title,
        release.id,
        view.rows,
        ds.description,
        (", ".join(tc.years) + (f" — {tc.description}" if tc.description else "")).strip(" —"),
        ds.spatial_coverage.description,
        ds.caveats,
        ds.licence,
        tuple(out),
    )


def _distinct(release: ServedRelease, table: str, names: list[str]) -> dict[str, int]:
    if not names:
        return {}
    items = ", ".join(f"approx_count_distinct({quote_identifier(n)})" for n in names)
    row = release.engine.fetch(f"SELECT {items} FROM {table}", {}).rows[0]
    return {n: int(v or 0) for n, v in zip(names, row, strict=True)}


def _domain(release: ServedRelease, table: str, name: str) -> tuple[tuple[str, int], ...]:
    col = quote_identifier(name)
    rows = release.engine.fetch(
        f"SELECT CAST({col} AS VARCHAR) AS v, count(*) AS n FROM {table} "
        f"WHERE {col} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {DOMAIN_MAX + 1}",
        {},
    ).rows
    return tuple((str(v), int(n)) for v, n in rows)


def _missing(
    release: ServedRelease, table: str, names: list[str], marked: bool
) -> dict[str, list[tuple[str, str, int]]]:
    """Per field: (school year, reason, rows) for the marked values and the absent ones."""
    out: dict[str, list[tuple[str, str, int]]] = {}
    if not names:
        return out
    year = "coalesce(_annee_scolaire, '')"
    if marked:
        rows = release.engine.fetch(
            f"WITH e AS (SELECT {year} AS y, _etats, unnest(json_keys(_etats)) AS k "
            f"FROM {table} WHERE _etats IS NOT NULL) "
            "SELECT k, y, json_extract_string(_etats, '$.\"' || k || '\"') AS v, count(*) "
            "FROM e GROUP BY ALL ORDER BY 1, 2, 3",
            {},
        ).rows
        for k, y, v, n in rows:
            out.setdefault(str(k), []).append((str(y), str(v), int(n)))
    absent = []
    for n in names:
        col = quote_identifier(n)
        not_marked = (
            f" AND (_etats IS NULL OR json_extract_string(_etats, {quote_literal('$.' + n)}) IS NULL)"
            if marked
            else ""
        )
        absent.append(f"count(*) FILTER (WHERE {col} IS NULL{not_marked})")
    rows = release.engine.fetch(
        f"SELECT {year} AS y, {', '.join(absent)} FROM {table} GROUP BY 1 ORDER BY 1", {}
    ).rows
    for r in rows:
        for n, count in zip(names, r[1:], strict=True):
            if count:
                out.setdefault(n, []).append((str(r[0]), ABSENT, int(count)))
    return out
