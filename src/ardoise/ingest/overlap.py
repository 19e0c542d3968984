"""Extracts of one dataset that overlap: which source supplies each school year, and how
far the rows they both hold agree (issue #19: one official dataset known by two copies).

A source that declares ``years`` supplies only those school years; its rows of other years
are set aside for the sources that supply them. Before they are set aside, each row held by
two sources under the same key is compared field by field (raw trimmed text, fields both
sources carry), and the result is one ``recouvrement-sources`` issue of the report.
"""

from __future__ import annotations

import duckdb

from ardoise.catalog.model import Dataset
from ardoise.french import plural
from ardoise.ingest.report import Issue
from ardoise.sql import quote_identifier, quote_literal


def restricted(ds: Dataset) -> bool:
    """Whether any source of ``ds`` supplies only some school years."""
    return any(s.years for s in ds.sources)


def kept_condition(ds: Dataset) -> str:
    """SQL over ``_src`` and ``_annee_scolaire``: the row comes from the source of its year
    (a source without ``years`` supplies the years no other source claims)."""
    parts = []
    for i, s in enumerate(ds.sources):
        if s.years:
            years = ", ".join(quote_literal(y) for y in s.years)
            parts.append(f"(_src = {i} AND _annee_scolaire IN ({years}))")
        else:
            claimed = sorted({y for o in ds.sources for y in o.years})
            if claimed:
                years = ", ".join(quote_literal(y) for y in claimed)
                parts.append(
                    f"(_src = {i} AND (_annee_scolaire IS NULL "
                    f"OR _annee_scolaire NOT IN ({years})))"
                )
            else:
                parts.append(f"(_src = {i})")
    return " OR ".join(parts)


def overlap_issue(conn: duckdb.DuckDBPyConnection, ds: Dataset, table: str) -> Issue | None:
    """Compare the rows of ``table`` (every source, before the choice) held by two sources
    under the same key; None when no key is held twice or the dataset declares no key."""
    if not ds.key:
        return None
    absent = {a for s in ds.sources for a in s.absent}
    compared = [f.name for f in ds.fields if f.name not in ds.key and f.name not in absent]
    on = " AND ".join(f"a.{quote_identifier(k)} = b.{quote_identifier(k)}" for k in ds.key)
    diffs = [
        f"count_if(a.{quote_identifier(f)} IS DISTINCT FROM b.{quote_identifier(f)})"
        for f in compared
    ]
    any_diff = " OR ".join(
        f"a.{quote_identifier(f)} IS DISTINCT FROM b.{quote_identifier(f)}" for f in compared
    )
    row = conn.execute(
        f"SELECT count(*), count_if({any_diff or 'false'}), "
        f"string_agg(DISTINCT a._annee_scolaire, ', ' ORDER BY a._annee_scolaire)"
        f"{''.join(', ' + d for d in diffs)} "
        f"FROM {table} a JOIN {table} b ON {on} AND a._src < b._src"
    ).fetchall()[0]
    pairs, differing, years = int(row[0]), int(row[1]), row[2]
    if not pairs:
        return None
    by_field = sorted(
        ((int(n), f) for n, f in zip(row[3:], compared, strict=True) if n),
        key=lambda x: (-x[0], x[1]),
    )
    examples = tuple(f"{f} : {plural(n, 'ligne')}" for n, f in by_field[:12])
    agree = pairs - differing
    message = (
        f"{plural(pairs, 'clé')} dans deux sources ({years}) : {agree} identiques sur les "
        f"{len(compared)} champs comparés, {differing} avec au moins un écart "
        f"({plural(len(by_field), 'champ')} en cause) ; la source déclarée pour l'année "
        "est retenue."
    )
    return Issue(type="recouvrement-sources", message=message, count=1, examples=examples)
