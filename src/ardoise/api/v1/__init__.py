"""The portal's legacy v1 API (``/api/records/1.0/…``, ``/api/datasets/1.0/…``) and its
front-end download links (``/explore/dataset/{id}/download/``), still called by the
portal's own pages and by many reusers (reference §1.9).

    records.py   record search and downloads
    datasets.py  catalogue search and dataset metadata
    params.py    the v1 parameters and the dependencies reading them
    shape.py     records, facet groups and datasets in the v1 JSON shape

The v1 parameters become ODSQL in ``ardoise.query.v1``; the answers come from the data
functions of ``ardoise.query.run`` and ``ardoise.query.catalog``.
"""

from __future__ import annotations

from fastapi import APIRouter

from ardoise.api.v1 import datasets, records


def build_router() -> APIRouter:
    router = APIRouter()
    router.include_router(records.build_router())
    router.include_router(datasets.build_router())
    return router


__all__ = ["build_router"]
