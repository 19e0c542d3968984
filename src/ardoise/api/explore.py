"""Explore API v2.1 (``/api/explore/v2.1``) and its v2.0 shape (``/api/explore/v2.0``,
``/api/v2``): catalog, dataset metadata, records, one record, facets and exports.

Each route is one call to a data function (``ardoise.query.catalog``, ``ardoise.query.run``)
plus reshaping (STYLE.md L1); its parameters come from the dependencies of
``ardoise.api.deps``. The two shapes share the routes: ``ExploreRoutes(shape)`` holds them,
and v2.0 wraps each item with its ``links``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from ardoise.api import params as P
from ardoise.api.deps import (
    Catalog,
    CatalogFilters,
    CurrentRelease,
    Export,
    ExportFile,
    Facet,
    Filters,
    Records,
    Timezone,
)
from ardoise.api.exports import export_response
from ardoise.api.jsonresponse import JSONBytes
from ardoise.api.media import EXPORT_ANSWERS
from ardoise.api.metadata import dataset_json
from ardoise.api.values import render, render_row
from ardoise.exporters import EXPORTERS
from ardoise.query import run
from ardoise.query.catalog import catalog_facets, search_catalog
from ardoise.query.run import FacetGroup
from ardoise.urls import Urls

Shape = Literal["v2.1", "v2.0"]


def _urls(request: Request) -> Urls:
    return Urls.of(str(request.base_url))


def _facets_json(
    groups: list[FacetGroup], render_value: Callable[[Any], Any] | None = None
) -> JSONBytes:
    """Facet groups in the portal's shape (values as they are, or through ``render_value``)."""
    return JSONBytes(
        {
            "facets": [
                {
                    "name": g.name,
                    "facets": [
                        {
                            "name": v.name,
                            "count": v.count,
                            "value": v.value if render_value is None else render_value(v.value),
                            "state": "displayed",
                        }
                        for v in g.facets
                    ],
                }
                for g in groups
            ]
        }
    )


def _v20_record(record_id: str | None, timestamp: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"id": record_id, "timestamp": timestamp, "size": None, "fields": fields}


class ExploreRoutes:
    """The route functions of one shape (their names are the OpenAPI operation names)."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape

    def catalog_datasets(self, release: CurrentRelease, query: Catalog) -> JSONBytes:
        page = search_catalog(release, query)
        items = [dataset_json(view, release) for view in page.datasets]
        if self.shape == "v2.0":
            datasets = [{"links": [], "dataset": item} for item in items]
            return JSONBytes({"total_count": page.total_count, "links": [], "datasets": datasets})
        return JSONBytes({"total_count": page.total_count, "results": items})

    def catalog_facets(
        self, release: CurrentRelease, query: CatalogFilters, facet: Facet = None
    ) -> JSONBytes:
        return _facets_json(catalog_facets(release, facet or [], query))

    def dataset(self, release: CurrentRelease, dataset_id: str) -> JSONBytes:
        item = dataset_json(release.dataset(dataset_id), release)
        return JSONBytes({"links": [], "dataset": item} if self.shape == "v2.0" else item)

    def records(
        self, request: Request, release: CurrentRelease, dataset_id: str, query: Records
    ) -> JSONBytes:
        page = run.run_records(release, dataset_id, query)
        kinds = {c.name: c.type for c in page.columns}
        tz = P.zone(query.timezone)
        rows = [render_row(r, kinds, tz) for r in page.rows]
        if self.shape == "v2.1":
            return JSONBytes({"total_count": page.total_count, "results": rows})
        urls = _urls(request)
        records = [
            {
                "links": (
                    [{"rel": "self", "href": urls.record(dataset_id, rid, self.shape)}]
                    if rid
                    else []
                ),
                "record": _v20_record(rid, release.created_at, row),
            }
            for rid, row in zip(page.record_ids, rows, strict=True)
        ]
        return JSONBytes({"total_count": page.total_count, "links": [], "records": records})

    def record(
        self, release: CurrentRelease, dataset_id: str, record_id: str, timezone: Timezone = None
    ) -> JSONBytes:
        row = run.get_record(release, dataset_id, record_id)
        kinds = dict(release.dataset(dataset_id).schema.fields)
        fields = render_row(row, kinds, P.zone(timezone))
        if self.shape == "v2.0":
            return JSONBytes(
                {"links": [], "record": _v20_record(record_id, release.created_at, fields)}
            )
        return JSONBytes(fields)

    def facets(
        self, release: CurrentRelease, dataset_id: str, query: Filters, facet: Facet = None
    ) -> JSONBytes:
        tz = P.zone(query.timezone)
        groups = run.run_facets(release, dataset_id, facet or [], query)
        return _facets_json(groups, lambda value: render(value, "", tz))

    def exports(self, request: Request, release: CurrentRelease, dataset_id: str) -> JSONBytes:
        release.dataset(dataset_id)
        urls = _urls(request)
        links = [
            {"rel": fmt, "href": urls.export(dataset_id, fmt, self.shape)} for fmt in EXPORTERS
        ]
        return JSONBytes({"links": links})

    def export(
        self,
        request: Request,
        release: CurrentRelease,
        dataset_id: str,
        fmt: str,
        query: Export,
        file: ExportFile,
    ) -> Response:
        options = file.options(dataset_id, query.timezone, bom=self.shape == "v2.1")
        limit = request.app.state.settings.export_time_limit_ms
        return export_response(release, dataset_id, fmt, query, options, time_limit_ms=limit)


DATASET = "/catalog/datasets/{dataset_id}"
ROUTES = (  # path, route function, summary
    ("/catalog/datasets", "catalog_datasets", "Interroger le catalogue"),
    ("/catalog/facets", "catalog_facets", "Facettes du catalogue"),
    (DATASET, "dataset", "Métadonnées d'un jeu de données"),
    (f"{DATASET}/records", "records", "Interroger les enregistrements"),
    (f"{DATASET}/records/{{record_id}}", "record", "Un enregistrement"),
    (f"{DATASET}/facets", "facets", "Facettes d'un jeu de données"),
    (f"{DATASET}/exports", "exports", "Formats d'export"),
    (f"{DATASET}/exports/{{fmt}}", "export", "Exporter un jeu de données"),
)


def build_router(shape: Shape) -> APIRouter:
    routes = ExploreRoutes(shape)
    router = APIRouter(tags=[f"Explore {shape}"])
    for path, name, summary in ROUTES:
        extra: dict[str, Any] = (
            {"response_class": StreamingResponse, "responses": EXPORT_ANSWERS}
            if name == "export"
            else {}
        )
        router.add_api_route(path, getattr(routes, name), methods=["GET"], summary=summary, **extra)
    return router


__all__ = ["ExploreRoutes", "build_router"]
