"""v1 datasets: ``/api/datasets/1.0/search/`` (the catalogue, through the one catalogue
search of ``ardoise.query.catalog``) and ``/api/datasets/1.0/{dataset_id}/``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ardoise.api import params as P
from ardoise.api.deps import CurrentRelease
from ardoise.api.jsonresponse import JSONBytes
from ardoise.api.metadata import dataset_metas
from ardoise.api.v1.params import Bool, Q, Rows, Sort, Start, pairs, prefixed
from ardoise.api.v1.shape import v1_dataset
from ardoise.query import v1
from ardoise.query.catalog import CatalogQuery, search_catalog


def datasets_search(
    request: Request,
    release: CurrentRelease,
    q: Q = None,
    rows: Rows = None,
    start: Start = None,
    sort: Sort = None,
) -> JSONBytes:
    n, first = v1.window(rows, start)
    order_by = v1.catalog_order(sort)
    query = CatalogQuery(
        text=q or "",
        refine=P.filters(pairs(prefixed(request, "refine.")), "refine"),
        exclude=P.filters(pairs(prefixed(request, "exclude.")), "exclude"),
        order_by=order_by,
        limit=n,
        offset=first,
    )
    page = search_catalog(release, query)
    parameters: dict[str, Any] = {"rows": n, "start": first, "format": "json"}
    if q:
        parameters["q"] = q
    if sort:
        parameters["sort"] = list(sort)
    return JSONBytes(
        {
            "nhits": page.total_count,
            "parameters": parameters,
            "datasets": [v1_dataset(view, release) for view in page.datasets],
        }
    )


def dataset_info(release: CurrentRelease, dataset_id: str, extrametas: Bool = None) -> JSONBytes:
    view = release.dataset(dataset_id)
    body = v1_dataset(view, release)
    if P.boolean(extrametas, "extrametas", False):
        body["extra_metas"] = {"ardoise": dataset_metas(view, release)["ardoise"]}
    return JSONBytes(body)


def build_router() -> APIRouter:
    """The routes, each also answering without its final slash (clients write both)."""
    router = APIRouter(tags=["API v1 (historique)"])
    for path, endpoint, summary in (
        ("/api/datasets/1.0/search", datasets_search, "Rechercher des jeux de données (v1)"),
        ("/api/datasets/1.0/{dataset_id}", dataset_info, "Métadonnées d'un jeu (v1)"),
    ):
        router.add_api_route(path + "/", endpoint, methods=["GET"], summary=summary)
        router.add_api_route(path, endpoint, methods=["GET"], include_in_schema=False)
    return router
