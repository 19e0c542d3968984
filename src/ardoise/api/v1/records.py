"""v1 records: ``/api/records/1.0/search/``, ``/api/records/1.0/download/`` and the
portal's download links ``/explore/dataset/{id}/download/``.

Each route reads the v1 parameters (``ardoise.api.v1.params``), lets ``ardoise.query.v1``
translate them into one RecordsQuery in ODSQL, calls the data functions of
``ardoise.query.run`` and reshapes the result (``ardoise.api.v1.shape``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from ardoise.api import params as P
from ardoise.api.deps import CurrentRelease
from ardoise.api.exports import export_response
from ardoise.api.jsonresponse import JSONBytes
from ardoise.api.media import EXPORT_ANSWERS
from ardoise.api.v1.params import (
    DatasetParam,
    Download,
    Facet,
    Filters,
    RecordsFilters,
    Rows,
    Start,
)
from ardoise.api.v1.shape import facet_groups, v1_record
from ardoise.exporters.csv_export import check_delimiter
from ardoise.exporters.model import ExportOptions
from ardoise.query import run, v1
from ardoise.query.limits import RECORDS_MAX_LIMIT, parse_int_parameter
from ardoise.query.model import RecordsQuery
from ardoise.query.release import ServedRelease


def records_page(
    release: ServedRelease, dataset_id: str, query: RecordsQuery, rows: int, start: int
) -> run.RecordsPage:
    """``rows`` records from ``start``, read in slices that run_records accepts."""
    page_size = RECORDS_MAX_LIMIT
    page = run.run_records(
        release, dataset_id, replace(query, limit=min(rows, page_size), offset=start)
    )
    all_rows, ids = list(page.rows), list(page.record_ids)
    while len(all_rows) < rows and len(all_rows) < page.total_count - start:
        more = run.run_records(
            release,
            dataset_id,
            replace(
                query, limit=min(page_size, rows - len(all_rows)), offset=start + len(all_rows)
            ),
        )
        if not more.rows:
            break
        all_rows += more.rows
        ids += more.record_ids
    return replace(page, rows=all_rows, record_ids=ids)


def _parameters(
    dataset_id: str, filters: RecordsFilters, n: int, first: int, facets: list[str]
) -> dict[str, Any]:
    """The ``parameters`` block of a v1 search answer: what was asked, normalised."""
    out: dict[str, Any] = {
        "dataset": [dataset_id],
        "timezone": filters.timezone or "UTC",
        "rows": n,
        "start": first,
        "format": "json",
        "facet": facets,
    }
    if filters.q:
        out["q"] = filters.q
    if filters.sort:
        out["sort"] = list(filters.sort)
    for key, values in (("refine", filters.refine), ("exclude", filters.exclude)):
        if values:
            out[key] = {f: v[0] if len(v) == 1 else v for f, v in values.items()}
    if filters.distance:
        out["geofilter.distance"] = filters.distance
    if filters.polygon:
        out["geofilter.polygon"] = filters.polygon
    return out


def search(
    release: CurrentRelease,
    dataset_id: DatasetParam,
    filters: Filters,
    rows: Rows = None,
    start: Start = None,
    facet: Facet = None,
) -> JSONBytes:
    view = release.dataset(dataset_id)
    n, first = v1.window(rows, start)
    query = filters.query(view.schema)
    tz = P.zone(filters.timezone)
    page = records_page(release, dataset_id, query, n, first)
    kinds = dict(view.schema.fields)
    names = [f for f in facet or () if f]
    groups = run.run_facets(release, dataset_id, names, query) if names else []
    records = [
        v1_record(dataset_id, rid, row, kinds, tz, release.created_at)
        for rid, row in zip(page.record_ids, page.rows, strict=True)
    ]
    return JSONBytes(
        {
            "nhits": page.total_count,
            "parameters": _parameters(dataset_id, filters, n, first, names),
            "records": records,
            "facet_groups": facet_groups(groups, kinds, tz, filters.refine),
        }
    )


def _download(
    request: Request,
    release: ServedRelease,
    dataset_id: str,
    filters: RecordsFilters,
    file: Download,
) -> Response:
    view = release.dataset(dataset_id)
    query = filters.query(view.schema)
    limit = parse_int_parameter("rows", file.rows)
    query = replace(query, limit=limit if limit is not None and limit >= 0 else None)
    for separator in (file.csv_separator, file.delimiter):
        if separator:  # both checked, though csv_separator wins (the OpenAPI document says so)
            check_delimiter(separator)
    options = ExportOptions(
        delimiter=file.csv_separator or file.delimiter or ";",
        with_bom=P.boolean(file.with_bom, "with_bom", True),
        use_labels=P.boolean(file.use_labels_for_header, "use_labels_for_header", False),
        timezone=str(P.zone(filters.timezone)),
        dataset_id=dataset_id,
    )
    fmt = (file.format or "csv").strip().lower()
    time_limit_ms = request.app.state.settings.export_time_limit_ms
    return export_response(release, dataset_id, fmt, query, options, time_limit_ms=time_limit_ms)


def records_download(
    request: Request,
    dataset_id: DatasetParam,
    release: CurrentRelease,
    filters: Filters,
    file: Download,
) -> Response:
    return _download(request, release, dataset_id, filters, file)


def explore_download(
    request: Request, release: CurrentRelease, dataset_id: str, filters: Filters, file: Download
) -> Response:
    return _download(request, release, dataset_id, filters, file)


def build_router() -> APIRouter:
    """The routes, each also answering without its final slash (clients write both)."""
    router = APIRouter(tags=["API v1 (historique)"])
    stream: dict[str, Any] = {"response_class": StreamingResponse, "responses": EXPORT_ANSWERS}
    for path, endpoint, summary, extra in (
        ("/api/records/1.0/search", search, "Rechercher des enregistrements (v1)", {}),
        (
            "/api/records/1.0/download",
            records_download,
            "Télécharger des enregistrements (v1)",
            stream,
        ),
        (
            "/explore/dataset/{dataset_id}/download",
            explore_download,
            "Lien de téléchargement du portail",
            stream,
        ),
    ):
        router.add_api_route(path + "/", endpoint, methods=["GET"], summary=summary, **extra)
        router.add_api_route(path, endpoint, methods=["GET"], include_in_schema=False, **extra)
    return router
