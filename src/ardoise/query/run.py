"""One data function per resource (STYLE.md L1). Every surface calls these; renderers
(api, exports, dashboard, mcp) only reshape what they return."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pyarrow as pa

from ardoise.errors import NotFound
from ardoise.odsql.errors import InvalidParameter, QueryError
from ardoise.query.compile import TerritoryFilter
from ardoise.query.engine import ResultSet
from ardoise.query.model import Column, CompiledQuery, RecordsQuery
from ardoise.query.plan_cache import compile_cached
from ardoise.query.release import DatasetView, ServedRelease
from ardoise.query.territories.filter import territory_filter
from ardoise.sql import quote_identifier as _quote

RECORD_ID = "_recordid"
MAX_FACET_VALUES = 20_000  # never the portal's silent cap of 100 (reference §5.1)


class RecordNotFound(NotFound):
    pass


@dataclass(frozen=True)
class RecordsPage:
    dataset_id: str
    total_count: int
    columns: tuple[Column, ...]  # without the record id
    rows: list[dict[str, Any]]
    record_ids: list[str | None]  # one per row; None for aggregated rows
    grouped: bool


@dataclass(frozen=True)
class FacetValue:
    name: str
    count: int
    value: Any


@dataclass(frozen=True)
class FacetGroup:
    name: str
    facets: list[FacetValue]


def run_records(release: ServedRelease, dataset_id: str, query: RecordsQuery) -> RecordsPage:
    view = release.dataset(dataset_id)
    compiled = compile_cached(
        query,
        view.schema,
        extra_columns=(RECORD_ID,),
        territory=_territory(release, view, query),
        row_filter=view.row_filter,
    )
    result, total = _page(release, compiled, query)
    names = [c.name for c in compiled.columns]
    has_id = bool(names) and names[-1] == RECORD_ID
    columns = compiled.columns[:-1] if has_id else compiled.columns
    rows = [dict(zip(names, row, strict=True)) for row in result.rows]
    ids: list[str | None] = [r.pop(RECORD_ID) for r in rows] if has_id else [None] * len(rows)
    return RecordsPage(dataset_id, total, columns, rows, ids, compiled.grouped)


def _page(
    release: ServedRelease, compiled: CompiledQuery, query: RecordsQuery
) -> tuple[ResultSet, int]:
    """The rows of a records page and its ``total_count``, in one statement when possible:
    ``limit=0`` runs the count alone; an unfiltered, ungrouped count is computed once per
    release; otherwise the page carries a window count (``Engine.run_counted``), and the
    count query runs only when the page is empty past an offset."""
    engine = release.engine
    count = compiled.count
    if count is None:
        raise QueryError("Cette requête n'a pas de requête de comptage.")
    if query.limit == 0:
        return ResultSet(tuple(c.name for c in compiled.columns), []), engine.count(compiled)
    if not count.grouped and " WHERE " not in count.sql:  # one number per dataset and release
        total = release.memo((_page, count.sql), lambda: engine.count(compiled))
        return engine.run(compiled), total
    result, counted = engine.run_counted(compiled)
    if counted is None:
        counted = engine.count(compiled) if query.offset or result.rows else 0
    return result, counted


def get_record(release: ServedRelease, dataset_id: str, record_id: str) -> dict[str, Any]:
    """One record by its id, all fields; RecordNotFound when no row has that id."""
    view = release.dataset(dataset_id)
    cols = ", ".join(_quote(n) for n in view.schema.names)
    source, params = _quote(view.id), {}
    if view.row_filter is not None:  # the reader's grant: only a record among its rows (#16)
        granted = compile_cached(
            RecordsQuery(),
            view.schema,
            export=True,
            extra_columns=(RECORD_ID,),
            row_filter=view.row_filter,
        )
        source, params = f"({granted.sql}) AS {_quote(view.id)}", granted.params
    result = release.engine.fetch(
        f"SELECT {cols} FROM {source} WHERE {_quote(RECORD_ID)} = $id LIMIT 1",
        {**params, "id": record_id},
    )
    if not result.rows:
        raise RecordNotFound(f"Unknown record: {record_id}")
    return dict(zip(view.schema.names, result.rows[0], strict=True))


def run_facets(
    release: ServedRelease, dataset_id: str, facets: Sequence[str], query: RecordsQuery
) -> list[FacetGroup]:
    """Value counts of each facet field under the query's where/refine/exclude, by count."""
    view = release.dataset(dataset_id)
    names = list(facets) or default_facets(view)
    territory = _territory(release, view, query)
    groups = []
    for name in names:
        if view.schema.lookup(name) is None:
            raise InvalidParameter(f"Unknown facet field: {name}")
        field = view.schema.lookup(name)
        assert field is not None
        q = replace(
            query,
            select=f"`{field[0]}` as value, count(*) as count",
            group_by=f"`{field[0]}`",
            order_by="count desc, value",
            limit=MAX_FACET_VALUES,
            offset=None,
        )
        compiled = compile_cached(
            q, view.schema, export=True, territory=territory, row_filter=view.row_filter
        )
        rows = release.engine.run(compiled).rows
        groups.append(
            FacetGroup(
                field[0],
                [
                    FacetValue(name=_facet_name(v), count=int(c), value=v)
                    for v, c in rows
                    if v is not None
                ],
            )
        )
    return groups


def default_facets(view: DatasetView) -> list[str]:
    return [f.name for f in view.dataset.fields if f.facet]  # a grant's hidden ones are gone


def export_batches(
    release: ServedRelease,
    dataset_id: str,
    query: RecordsQuery,
    *,
    time_limit_ms: int | None = None,
) -> tuple[tuple[Column, ...], Iterator[pa.RecordBatch]]:
    """The columns and a lazy stream of Arrow batches of the query, without the records cap."""
    view = release.dataset(dataset_id)
    compiled = compile_cached(
        query,
        view.schema,
        export=True,
        territory=_territory(release, view, query),
        row_filter=view.row_filter,
    )
    return compiled.columns, release.engine.stream_arrow(compiled, time_limit_ms=time_limit_ms)


def _territory(
    release: ServedRelease, view: DatasetView, query: RecordsQuery
) -> TerritoryFilter | None:
    """``query.territoire`` checked against the dataset and the referential."""
    if query.territoire is None:
        return None
    return territory_filter(release, view, *query.territoire)


def _facet_name(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
