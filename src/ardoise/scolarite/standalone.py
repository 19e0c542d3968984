"""A server of the scolarité API alone (plus ``/health``), from the environment's settings:
what the benchmark and the kill-under-load test run, and what a deployment that keeps the
registry apart from the open-data site can serve::

    uvicorn --factory ardoise.scolarite.standalone:create --workers 2
"""

from __future__ import annotations

from fastapi import FastAPI

from ardoise.scolarite.router import install
from ardoise.scolarite.service import ScolariteService
from ardoise.settings import load_settings


def create() -> FastAPI:
    service = ScolariteService.from_settings(load_settings())
    app = FastAPI(title="Ardoise — scolarité", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.scolarite = service

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    install(app, service)
    return app
