"""Explore API v2.1 (``/api/explore/v2.1``) and its v2.0 shape (``/api/explore/v2.0``,
``/api/v2``): catalog, dataset metadata, records, one record, facets and exports.

Every handler calls a data function of ``ardoise.query.run``; this module only reads
parameters and reshapes results (STYLE.md L1).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from ardoise.api import params as P
from ardoise.api.jsonresponse import JSONBytes
from ardoise.api.metadata import dataset_json
from ardoise.api.values import render, render_row
from ardoise.exporters import get_exporter
from ardoise.exporters.model import ExportColumn, ExportOptions
from ardoise.odsql.errors import InvalidParameter
from ardoise.query import run
from ardoise.query.compile import compile_records
from ardoise.query.model import RecordsQuery
from ardoise.query.release import CATALOG_FACETS, CATALOG_SCHEMA, CATALOG_TABLE, ServedRelease

Shape = Literal["v2.1", "v2.0"]

Select = Annotated[str | None, Query(description="Expression ODSQL `select`.")]
Where = Annotated[list[str] | None, Query(description="Filtre ODSQL (répétable, combiné par AND).")]
GroupBy = Annotated[str | None, Query(description="Expression ODSQL `group_by`.")]
OrderBy = Annotated[str | None, Query(description="Tri ODSQL (`champ desc`, `-champ`).")]
Limit = Annotated[str | None, Query(description="Nombre de résultats (≤ 100, ≤ 20 000 groupé).")]
Offset = Annotated[str | None, Query(description="Décalage (offset + limit ≤ 10 000).")]
Refine = Annotated[list[str] | None, Query(description="Facette `champ:valeur` (répétable).")]
Exclude = Annotated[list[str] | None, Query(description="Facette exclue `champ:valeur`.")]
Lang = Annotated[str | None, Query(description="Langue de formatage (fr, en).")]
Timezone = Annotated[str | None, Query(description="Fuseau des dates (ex. Europe/Paris).")]
Facet = Annotated[
    list[str] | None, Query(description="Champ dont compter les valeurs (répétable).")
]
Territoire = Annotated[
    str | None,
    Query(
        description=(
            "Extension Ardoise : lignes liées au territoire `niveau:code` (etablissement, commune, "
            "departement, academie, region, france ; ex. academie:10), quel que soit le niveau des "
            "codes du jeu."
        )
    ),
]


def _release(request: Request) -> ServedRelease:
    release: ServedRelease = request.app.state.releases.get()
    return release


def _base(request: Request, shape: Shape) -> str:
    root = str(request.base_url).rstrip("/")
    return f"{root}/api/explore/{shape}"


def build_router(shape: Shape) -> APIRouter:
    router = APIRouter(tags=[f"Explore {shape}"])

    @router.get("/catalog/datasets", summary="Interroger le catalogue")
    def catalog_datasets(
        request: Request,
        select: Select = None,
        where: Where = None,
        order_by: OrderBy = None,
        limit: Limit = None,
        offset: Offset = None,
        refine: Refine = None,
        exclude: Exclude = None,
        lang: Lang = None,
        timezone: Timezone = None,
    ) -> JSONBytes:
        release = _release(request)
        query = _catalog_query(where, order_by, limit, offset, refine, exclude, lang, timezone)
        compiled = compile_records(query, CATALOG_SCHEMA)
        ids = [r[0] for r in release.engine.run(compiled).rows]
        total = release.engine.count(compiled)
        items = [dataset_json(release.dataset(i), release) for i in ids]
        if shape == "v2.0":
            return JSONBytes(
                {
                    "total_count": total,
                    "links": [],
                    "datasets": [{"links": [], "dataset": item} for item in items],
                }
            )
        return JSONBytes({"total_count": total, "results": items})

    @router.get("/catalog/facets", summary="Facettes du catalogue")
    def catalog_facets(
        request: Request,
        facet: Facet = None,
        where: Where = None,
        refine: Refine = None,
        exclude: Exclude = None,
    ) -> JSONBytes:
        release = _release(request)
        names = list(facet or CATALOG_FACETS)
        query = _catalog_query(where, None, None, None, refine, exclude, None, None)
        groups = []
        for name in names:
            if name not in CATALOG_FACETS:
                raise InvalidParameter(f"Unknown facet field: {name}")
            q = replace(
                query,
                select=f"{name} as value, count(*) as count",
                group_by=name,
                order_by="count desc, value",
                limit=1000,
            )
            rows = release.engine.run(compile_records(q, CATALOG_SCHEMA)).rows
            counts: dict[str, int] = {}
            for value, count in rows:
                parts = str(value).split(", ") if name in ("keyword", "theme") else [value]
                for part in parts:
                    if part not in (None, ""):
                        counts[str(part)] = counts.get(str(part), 0) + int(count)
            groups.append(
                {
                    "name": name,
                    "facets": [
                        {"name": k, "count": v, "value": k, "state": "displayed"}
                        for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                    ],
                }
            )
        return JSONBytes({"facets": groups})

    @router.get("/catalog/datasets/{dataset_id}", summary="Métadonnées d'un jeu de données")
    def dataset(request: Request, dataset_id: str) -> JSONBytes:
        release = _release(request)
        item = dataset_json(release.dataset(dataset_id), release)
        if shape == "v2.0":
            return JSONBytes({"links": [], "dataset": item})
        return JSONBytes(item)

    @router.get("/catalog/datasets/{dataset_id}/records", summary="Interroger les enregistrements")
    def records(
        request: Request,
        dataset_id: str,
        select: Select = None,
        where: Where = None,
        group_by: GroupBy = None,
        order_by: OrderBy = None,
        limit: Limit = None,
        offset: Offset = None,
        refine: Refine = None,
        exclude: Exclude = None,
        lang: Lang = None,
        timezone: Timezone = None,
        territoire: Territoire = None,
    ) -> JSONBytes:
        release = _release(request)
        query = P.records_query(
            select=select,
            where=where,
            group_by=group_by,
            order_by=order_by,
            limit=limit,
            offset=offset,
            refine=refine,
            exclude=exclude,
            lang=lang,
            timezone=timezone,
            territoire=territoire,
        )
        page = run.run_records(release, dataset_id, query)
        tz = P.zone(timezone)
        kinds = {c.name: c.type for c in page.columns}
        rows = [render_row(r, kinds, tz) for r in page.rows]
        if shape == "v2.0":
            base = _base(request, shape)
            return JSONBytes(
                {
                    "total_count": page.total_count,
                    "links": [],
                    "records": [
                        {
                            "links": [
                                {
                                    "rel": "self",
                                    "href": f"{base}/catalog/datasets/{dataset_id}/records/{rid}",
                                }
                            ]
                            if rid
                            else [],
                            "record": {
                                "id": rid,
                                "timestamp": release.created_at,
                                "size": None,
                                "fields": row,
                            },
                        }
                        for rid, row in zip(page.record_ids, rows, strict=True)
                    ],
                }
            )
        return JSONBytes({"total_count": page.total_count, "results": rows})

    @router.get("/catalog/datasets/{dataset_id}/records/{record_id}", summary="Un enregistrement")
    def record(
        request: Request, dataset_id: str, record_id: str, timezone: Timezone = None
    ) -> JSONBytes:
        release = _release(request)
        row = run.get_record(release, dataset_id, record_id)
        view = release.dataset(dataset_id)
        kinds = dict(view.schema.fields)
        fields = render_row(row, kinds, P.zone(timezone))
        if shape == "v2.0":
            return JSONBytes(
                {
                    "links": [],
                    "record": {
                        "id": record_id,
                        "timestamp": release.created_at,
                        "size": None,
                        "fields": fields,
                    },
                }
            )
        return JSONBytes(fields)

    @router.get("/catalog/datasets/{dataset_id}/facets", summary="Facettes d'un jeu de données")
    def facets(
        request: Request,
        dataset_id: str,
        facet: Facet = None,
        where: Where = None,
        refine: Refine = None,
        exclude: Exclude = None,
        lang: Lang = None,
        timezone: Timezone = None,
        territoire: Territoire = None,
    ) -> JSONBytes:
        release = _release(request)
        query = P.records_query(
            select=None,
            where=where,
            group_by=None,
            order_by=None,
            limit=None,
            offset=None,
            refine=refine,
            exclude=exclude,
            lang=lang,
            timezone=timezone,
            territoire=territoire,
        )
        tz = P.zone(timezone)
        groups = run.run_facets(release, dataset_id, facet or [], query)
        return JSONBytes(
            {
                "facets": [
                    {
                        "name": g.name,
                        "facets": [
                            {
                                "name": v.name,
                                "count": v.count,
                                "value": render(v.value, "", tz),
                                "state": "displayed",
                            }
                            for v in g.facets
                        ],
                    }
                    for g in groups
                ]
            }
        )

    @router.get("/catalog/datasets/{dataset_id}/exports", summary="Formats d'export")
    def exports(request: Request, dataset_id: str) -> JSONBytes:
        release = _release(request)
        release.dataset(dataset_id)
        base = _base(request, shape)
        from ardoise.exporters import EXPORTERS

        return JSONBytes(
            {
                "links": [
                    {"rel": fmt, "href": f"{base}/catalog/datasets/{dataset_id}/exports/{fmt}"}
                    for fmt in EXPORTERS
                ]
            }
        )

    @router.get(
        "/catalog/datasets/{dataset_id}/exports/{fmt}",
        summary="Exporter un jeu de données",
        response_class=StreamingResponse,
    )
    def export(
        request: Request,
        dataset_id: str,
        fmt: str,
        select: Select = None,
        where: Where = None,
        group_by: GroupBy = None,
        order_by: OrderBy = None,
        limit: Limit = None,
        offset: Offset = None,
        refine: Refine = None,
        exclude: Exclude = None,
        lang: Lang = None,
        timezone: Timezone = None,
        delimiter: str = ";",
        list_separator: str = ",",
        quote_all: str | None = None,
        with_bom: str | None = None,
        use_labels: str | None = None,
        territoire: Territoire = None,
    ) -> StreamingResponse:
        release = _release(request)
        return export_response(
            release,
            dataset_id,
            fmt,
            P.records_query(
                select=select,
                where=where,
                group_by=group_by,
                order_by=order_by,
                limit=limit,
                offset=offset,
                refine=refine,
                exclude=exclude,
                lang=lang,
                timezone=timezone,
                default_limit=None,
                territoire=territoire,
            ),
            ExportOptions(
                delimiter=delimiter,
                list_separator=list_separator,
                quote_all=P.boolean(quote_all, "quote_all", False),
                with_bom=P.boolean(with_bom, "with_bom", shape == "v2.1"),
                use_labels=P.boolean(use_labels, "use_labels", False),
                timezone=str(P.zone(timezone)),
                dataset_id=dataset_id,
            ),
            time_limit_ms=request.app.state.settings.export_time_limit_ms,
        )

    return router


def export_response(
    release: ServedRelease,
    dataset_id: str,
    fmt: str,
    query: RecordsQuery,
    options: ExportOptions,
    *,
    time_limit_ms: int,
) -> StreamingResponse:
    """Validate everything, then stream: errors before the first byte are clean 400s."""
    exporter = get_exporter(fmt)
    view = release.dataset(dataset_id)
    labels = {f.name: f.label for f in view.dataset.fields}
    columns, batches = run.export_batches(release, dataset_id, query, time_limit_ms=time_limit_ms)
    export_columns = [ExportColumn(c.name, c.type, labels.get(c.name, c.name)) for c in columns]
    chunks: Iterator[bytes] = exporter.export(export_columns, batches, options)
    # Pull the first chunk now: it runs the query, so its errors are clean 400s, not a
    # 200 cut short (every exporter puts its opening in the chunk of the first batch).
    first = next(chunks, b"")
    filename = f"{dataset_id}.{exporter.extension}"
    return StreamingResponse(
        itertools.chain([first], chunks),
        media_type=exporter.media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _catalog_query(
    where: list[str] | None,
    order_by: str | None,
    limit: str | None,
    offset: str | None,
    refine: list[str] | None,
    exclude: list[str] | None,
    lang: str | None,
    timezone: str | None,
) -> RecordsQuery:
    """Catalog facets keyword/theme hold several values: refine them as substrings."""
    q = P.records_query(
        select="dataset_id",
        where=where,
        group_by=None,
        order_by=order_by,
        limit=limit,
        offset=offset,
        refine=refine,
        exclude=exclude,
        lang=lang,
        timezone=timezone,
    )
    extra = list(q.where_clauses)
    keep_refine, keep_exclude = [], []
    for field, value in q.refine:
        if field in ("keyword", "theme"):
            extra.append(f"{field} like {P.odsql_string('*' + value + '*')}")
        else:
            keep_refine.append((field, value))
    for field, value in q.exclude:
        if field in ("keyword", "theme"):
            extra.append(f"not {field} like {P.odsql_string('*' + value + '*')}")
        else:
            keep_exclude.append((field, value))
    return replace(
        q,
        where=tuple(extra) or None,
        refine=tuple(keep_refine),
        exclude=tuple(keep_exclude),
        order_by=q.order_by or "dataset_id",
    )


__all__ = ["CATALOG_TABLE", "build_router", "export_response"]
