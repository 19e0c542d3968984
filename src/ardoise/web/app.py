"""``create_app(settings)``: mounts the routers, one error table, caching, CORS, gzip, quotas."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware

from ardoise import __version__
from ardoise.api import dcat as dcat_api
from ardoise.api import llms as llms_api
from ardoise.api import v1
from ardoise.api.datapackage import build_router as datapackage_router
from ardoise.api.explore import build_router
from ardoise.api.indicateurs import build_router as indicateurs_router
from ardoise.api.jsonresponse import JSONBytes
from ardoise.api.territoires import build_router as territoires_router
from ardoise.dashboard import build_router as dashboard_router
from ardoise.errors import ArdoiseError
from ardoise.mcp import McpEndpoint
from ardoise.mcp import build_server as build_mcp_server
from ardoise.query import territories
from ardoise.query.indicator_index import indicator_index
from ardoise.query.release import ReleaseHolder
from ardoise.settings import Settings, load_settings
from ardoise.urls import ROOT
from ardoise.usage.counter import UsageCounter
from ardoise.web import errors, scolarite, usage_page
from ardoise.web.caching import CachingMiddleware
from ardoise.web.metrics import MetricsMiddleware
from ardoise.web.ratelimit import RateLimitMiddleware
from ardoise.web.usage import UsageMiddleware, usage_counter

DESCRIPTION = """Données ouvertes de l'éducation, vérifiées et versionnées.

L'API reprend celle de data.education.gouv.fr (Opendatasoft Explore v2.1, v2.0) : un
programme écrit pour le portail fonctionne en changeant seulement l'hôte. Les filtres
s'écrivent en ODSQL (`where`, `select`, `group_by`, `order_by`, `refine`, `exclude`)."""


# Where the Explore API is mounted, and its shape there (/api/v2: the portal's old alias,
# outside the OpenAPI spec).
EXPLORE_PREFIXES = (
    (ROOT.explore("v2.1"), "v2.1"),
    (ROOT.explore("v2.0"), "v2.0"),
    ("/api/v2", "v2.0"),
)


def create_app(settings: Settings) -> FastAPI:
    holder = ReleaseHolder(settings)
    mcp_endpoint = McpEndpoint(build_mcp_server(settings, holder), settings)
    counter = usage_counter(settings)
    app = FastAPI(
        title="Ardoise",
        version=__version__,
        description=DESCRIPTION,
        lifespan=_lifespan(holder, mcp_endpoint, counter),
        default_response_class=JSONBytes,
        docs_url=ROOT.api_docs(),
        openapi_url=ROOT.openapi(),
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.releases = holder
    app.state.usage = counter
    errors.install(app)

    def current_id() -> str | None:
        try:
            return holder.get().id
        except ArdoiseError:
            return None

    # Routes are matched in order: the trivial probe first, then the territory and indicator
    # endpoints (issue #4 targets), then the Explore API's many routes.
    @app.get("/health", tags=["Service"])
    async def health() -> dict[str, Any]:
        rid = current_id()
        return {"status": "ok" if rid else "sans_release", "release": rid, "version": __version__}

    app.include_router(usage_page.build_router(counter))  # /usages, .json, .csv (#17)
    _include_routes(app, settings, holder, mcp_endpoint)
    _add_middleware(app, settings, current_id)
    app.add_middleware(MetricsMiddleware, release_id=current_id)  # /metrics (#17)
    if counter is not None:  # outermost: every answer, as sent (issue #17)
        app.add_middleware(UsageMiddleware, counter=counter)
    return app


def _lifespan(
    holder: ReleaseHolder, mcp_endpoint: McpEndpoint, counter: UsageCounter | None = None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Load the release, its tables and the territory index now, not on the first request.
        def prepare() -> None:
            with suppress(ArdoiseError):  # no release yet: nothing to prepare
                release = holder.get()
                territories.prepare(release)
                indicator_index(release)

        threading.Thread(target=prepare, name="ardoise-warm-up", daemon=True).start()
        if counter is not None:
            counter.start()
        try:
            async with mcp_endpoint.lifespan():  # the MCP session manager runs with the app
                yield
        finally:
            if counter is not None:
                counter.stop()  # the last seconds of counts are written

    return lifespan


def _include_routes(
    app: FastAPI, settings: Settings, holder: ReleaseHolder, mcp_endpoint: McpEndpoint
) -> None:
    """Every surface's routes, in the order they are matched."""
    app.include_router(territoires_router(), prefix=ROOT.v1())
    app.include_router(indicateurs_router(), prefix=ROOT.v1())
    for prefix, shape in EXPLORE_PREFIXES:
        app.include_router(
            build_router(shape),  # type: ignore[arg-type]
            prefix=prefix,
            include_in_schema=prefix != "/api/v2",
        )
    app.include_router(v1.build_router())
    # Enrolment checks (issue #7): always mounted; 503 with a clear message without registry
    # (or without the `scolarite` extra).
    scolarite.include_routes(app, settings, holder)
    app.router.routes.extend(mcp_endpoint.routes())  # MCP, streamable HTTP at /mcp
    for prefix, _shape in EXPLORE_PREFIXES:
        app.include_router(
            dcat_api.build_router(), prefix=prefix, include_in_schema=prefix == ROOT.explore()
        )
    app.include_router(datapackage_router(), prefix=ROOT.v1())
    # llms.txt and the .md twins of pages: before the dashboard, whose /donnees/{id}
    # patterns would otherwise take /donnees/{id}.md
    app.include_router(llms_api.build_router())

    # /, /territoires/…, /donnees/…: HTML + JSON, with the statuses of the one error table
    app.include_router(
        dashboard_router(settings, status_of=errors.status_of, error_body=errors.error_body)
    )


def _add_middleware(app: FastAPI, settings: Settings, current_id: Callable[[], str | None]) -> None:
    # Innermost first: answers are compressed once, then cached compressed (a cache hit costs
    # no gzip); quotas count hits too; CORS outermost.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(
        CachingMiddleware,
        release_id=current_id,
        entries=settings.response_cache_entries,
        max_bytes=settings.response_cache_mb << 20,
    )
    if settings.rate_limit_per_minute > 0:
        app.add_middleware(RateLimitMiddleware, per_minute=settings.rate_limit_per_minute)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD"],
        allow_headers=["*"],
        expose_headers=["ETag", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"],
    )
    # Enrolment checks in front of everything: their own limits, no CORS, no cache.
    scolarite.install_front(app)


def app_from_environment() -> FastAPI:
    """The app for ``uvicorn --factory`` (one per worker process), settings from ``ARDOISE_*``."""
    return create_app(load_settings())
