"""A cache of compiled queries, like a database's prepared statements: parsing and
rendering ODSQL costs milliseconds, and the same queries come back again and again.

A query that calls ``now()`` is never cached: its compiled form pins the current time.
"""

from __future__ import annotations

from functools import lru_cache

from ardoise.odsql.schema import Schema
from ardoise.query.compile import RowFilter, TerritoryFilter, compile_records
from ardoise.query.model import CompiledQuery, RecordsQuery

CACHE_SIZE = 4096


@lru_cache(maxsize=CACHE_SIZE)
def _compiled(
    query: RecordsQuery,
    schema: Schema,
    export: bool,
    extra_columns: tuple[str, ...],
    territory: TerritoryFilter | None,
    row_filter: RowFilter | None,
) -> CompiledQuery:
    return compile_records(
        query,
        schema,
        export=export,
        extra_columns=extra_columns,
        territory=territory,
        row_filter=row_filter,
    )


def compile_cached(
    query: RecordsQuery,
    schema: Schema,
    *,
    export: bool = False,
    extra_columns: tuple[str, ...] = (),
    territory: TerritoryFilter | None = None,
    row_filter: RowFilter | None = None,
) -> CompiledQuery:
    """``compile_records`` through a bounded cache (errors are not cached: they re-raise)."""
    texts = (query.select, query.group_by, query.order_by, *query.where_clauses)
    if any(t and "now" in t.lower() for t in texts):
        return compile_records(
            query,
            schema,
            export=export,
            extra_columns=extra_columns,
            territory=territory,
            row_filter=row_filter,
        )
    return _compiled(query, schema, export, extra_columns, territory, row_filter)
