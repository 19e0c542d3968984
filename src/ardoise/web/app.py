"""``create_app(settings)``: mounts the routers, one error table, caching, CORS, gzip, quotas."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse

from ardoise import __version__
from ardoise.api import dcat as dcat_api
from ardoise.api import llms as llms_api
from ardoise.api import v1
from ardoise.api.bundle import build_router as bundle_router
from ardoise.api.changelog import build_router as changelog_router
from ardoise.api.codebook import build_router as codebook_router
from ardoise.api.datapackage import build_router as datapackage_router
from ardoise.api.explore import build_router
from ardoise.api.indicateurs import build_router as indicateurs_router
from ardoise.api.jsonresponse import JSONBytes
from ardoise.api.sql import build_router as sql_router
from ardoise.api.territoires import build_router as territoires_router
from ardoise.dashboard import build_router as dashboard_router
from ardoise.errors import ArdoiseError
from ardoise.extras import installed
from ardoise.mcp import McpEndpoint
from ardoise.mcp import build_server as build_mcp_server
from ardoise.query import territories
from ardoise.query.follower import Follower
from ardoise.query.indicator_disclosure import prepare_protections
from ardoise.query.indicator_index import indicator_index
from ardoise.query.release import ReleaseHolder
from ardoise.query.release_archive import ReleaseArchive
from ardoise.settings import Settings, load_settings
from ardoise.urls import ROOT
from ardoise.usage.counter import UsageCounter
from ardoise.web import (
    accesslog,
    errors,
    following,
    openapi,
    requestlog,
    scolarite,
    shared_quota,
    status_page,
    usage_page,
)
from ardoise.web.caching import CachingMiddleware
from ardoise.web.clientip import trusted_proxies
from ardoise.web.headers import JsonCorsMiddleware, SecurityHeadersMiddleware
from ardoise.web.hits import ArdoiseApp
from ardoise.web.metrics import MetricsMiddleware
from ardoise.web.portal_requests import PortalRequestMiddleware
from ardoise.web.ratelimit import PORTAL_DAILY_QUOTA, RateLimitMiddleware
from ardoise.web.reader import ControlPlaneAccess, ReaderMiddleware
from ardoise.web.readiness import readiness, release_state
from ardoise.web.release_header import ReleaseHeaderMiddleware
from ardoise.web.requestlog import RequestLogMiddleware
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
    access = ControlPlaneAccess(settings)  # restricted datasets and readers (issue #16)
    holder = ReleaseHolder(settings, access.restrictions)
    mcp_endpoint = McpEndpoint(build_mcp_server(settings, holder), settings)
    counter = usage_counter(settings)
    quota = shared_quota.configured(settings)  # the per-address quota across replicas (#17)
    app = ArdoiseApp(  # the cache's hits answered in front of the stack, as it would (#14)
        title="Ardoise",
        version=__version__,
        description=DESCRIPTION,
        lifespan=_lifespan(
            holder, mcp_endpoint, counter, following.follower(settings, holder), quota
        ),
        default_response_class=JSONBytes,
        docs_url=None,  # /api/docs: the dashboard serves Swagger UI from its own assets
        openapi_url=ROOT.openapi(),
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.releases = holder
    app.state.access = access
    app.state.archive = ReleaseArchive(settings, holder)
    app.state.usage = counter
    app.state.quota = quota
    errors.install(app)
    accesslog.install()

    def current_id() -> str | None:
        """The id of the release served now, without loading one: the event loop calls it
        (a switch's load runs in the threadpool, never here)."""
        try:
            release = holder.loaded()
        except ArdoiseError:
            return None
        return release.id if release is not None else None

    # Routes are matched in order: the trivial probe first, then the territory and indicator
    # endpoints (issue #4 targets), then the Explore API's many routes.
    @app.get("/health", tags=["Service"])
    async def health() -> dict[str, Any]:
        state = await release_state(holder)
        body = {"status": state.status, "release": state.release, "version": __version__}
        return body if state.problem is None else {**body, "probleme": state.problem}

    @app.get("/ready", tags=["Service"], responses={503: {"description": "Pas prêt"}})
    async def ready() -> JSONResponse:
        """Prête à servir : release chargée (la courante), bases joignables ; 503 sinon."""
        registry = app.state.scolarite if settings.scolarite_database_url.reveal() else None
        state = await readiness(holder, counter, registry, quota)
        headers = {"Cache-Control": "no-store"}
        return JSONResponse(state.body(), status_code=200 if state.ready else 503, headers=headers)

    app.include_router(usage_page.build_router(counter))  # /usages, .json, .csv (#17)
    app.include_router(status_page.build_router(counter))  # /statut, /statut.json (#17)
    _include_routes(app, settings, holder, mcp_endpoint)
    _openapi_aliases(app)
    openapi.install(app)  # the document states the real answers (#21.7)
    _add_middleware(app, settings, _with_restrictions(current_id, access), quota)
    worker = getattr(app.state, "queue_worker", None)  # its depth gauge (#15, #17)
    app.add_middleware(
        MetricsMiddleware, release_id=current_id, queue_depth=worker and worker.depth
    )  # /metrics (#17)
    if counter is not None:  # outermost: every answer, as sent (issue #17)
        app.add_middleware(
            UsageMiddleware, counter=counter, trusted=trusted_proxies(settings.trusted_proxies)
        )
    # outermost of all: the request id and, in JSON, the request's line (issue #17)
    log = requestlog.json_logs(settings)
    app.add_middleware(RequestLogMiddleware, release_id=current_id, log=log)
    # outermost: the served release on every answer a route did not name one for, /metrics
    # and refusals included (several replicas behind one proxy, issue #17)
    app.add_middleware(ReleaseHeaderMiddleware, served=current_id)
    return app


def _with_restrictions(
    current_id: Callable[[], str | None], access: ControlPlaneAccess
) -> Callable[[], str | None]:
    """The key of cached answers: the release, and which datasets are restricted (an answer
    cached before a dataset was restricted is never served after)."""

    def key() -> str | None:
        rid = current_id()
        restricted = access.restrictions()
        if rid is None or not restricted:
            return rid
        return rid + "~" + ",".join(sorted(restricted))

    return key


# Where clients look for the OpenAPI document besides ROOT.openapi() (issue #13): the
# portal's own paths, and FastAPI's default one.
OPENAPI_ALIASES = (
    f"{ROOT.explore('v2.1')}/swagger.json",
    f"{ROOT.explore('v2.0')}/swagger.json",
    "/openapi.json",
)


def _openapi_aliases(app: FastAPI) -> None:
    async def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())

    for path in OPENAPI_ALIASES:
        app.add_api_route(path, openapi_document, methods=["GET"], include_in_schema=False)


def _lifespan(
    holder: ReleaseHolder,
    mcp_endpoint: McpEndpoint,
    counter: UsageCounter | None = None,
    follower: Follower | None = None,  # a replica following announcements (issue #17)
    quota: shared_quota.SharedQuota | None = None,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Load the release, its tables and the territory index now, not on the first request.
        def prepare() -> None:
            try:
                release = holder.get()
                territories.prepare(release)
                indicator_index(release)
                prepare_protections(release)  # counts of restricted datasets (issue #16)
            except ArdoiseError:  # no release yet, or unservable (/health says which)
                pass
            except Exception as exc:  # a file changed on disk since it was verified (#21.2)
                logging.getLogger("ardoise").warning(
                    "Préparation de la release interrompue : %s", str(exc).splitlines()[0][:200]
                )

        warm_up = threading.Thread(target=prepare, name="ardoise-warm-up", daemon=True)
        warm_up.start()
        if counter is not None:
            counter.start()
        queue_worker = getattr(_app.state, "queue_worker", None)  # validations (#15)
        if queue_worker is not None:
            queue_worker.start()
        if follower is not None:
            follower.start()
        if quota is not None:
            quota.start()
        try:
            async with mcp_endpoint.lifespan():  # the MCP session manager runs with the app
                yield
        finally:
            if queue_worker is not None:
                queue_worker.stop()
            if follower is not None:
                follower.stop()
            if counter is not None:
                counter.stop()  # the last seconds of counts are written
            if quota is not None:
                quota.stop()
            # A warm-up still inside DuckDB when the interpreter exits aborts the process
            # ("terminate called after throwing…", exit 134): let it finish first.
            warm_up.join(timeout=60)

    return lifespan


def _include_routes(
    app: FastAPI, settings: Settings, holder: ReleaseHolder, mcp_endpoint: McpEndpoint
) -> None:
    """Every surface's routes, in the order they are matched."""
    app.include_router(territoires_router(), prefix=ROOT.v1())
    app.include_router(indicateurs_router(), prefix=ROOT.v1())
    app.include_router(sql_router(), prefix=ROOT.v1())
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
    app.include_router(changelog_router(), prefix=ROOT.v1())
    app.include_router(codebook_router(), prefix=ROOT.v1())  # codebooks (#18)
    app.include_router(bundle_router(), prefix=ROOT.v1())  # bundle, citations, Croissant (#18)
    if installed("producteurs"):  # the producers' Automation API (API keys)
        from ardoise.controlplane.automation import build_router as automation_router
        from ardoise.controlplane.database import LazyEngine
        from ardoise.controlplane.signin import SignIn
        from ardoise.controlplane.worker import InProcessWorker
        from ardoise.espace import build_router as espace_router

        engine = LazyEngine(settings)
        app.state.signin = SignIn(settings, engine)  # sessions of /compte, /producteurs (#15, #16)
        app.state.queue_worker = InProcessWorker(settings, engine)  # validations (#15)
        app.include_router(automation_router(settings, engine))
        app.include_router(espace_router(settings, app.state.signin, errors.status_of))
        from ardoise.transparence.routes import build_router as transparence_router

        # /mes-enfants (families, FranceConnect) and /partenaires/usage (issue #16)
        app.include_router(
            transparence_router(settings, app.state.scolarite, app.state.signin, errors.status_of)
        )
        from ardoise.web.upload_limit import UploadLimitMiddleware

        app.add_middleware(
            UploadLimitMiddleware, max_mb=settings.upload_max_mb, error_body=errors.error_body
        )
    # llms.txt and the .md twins of pages: before the dashboard, whose /donnees/{id}
    # patterns would otherwise take /donnees/{id}.md
    app.include_router(llms_api.build_router())

    # /, /territoires/…, /donnees/…: HTML + JSON, with the statuses of the one error table
    app.include_router(
        dashboard_router(settings, status_of=errors.status_of, error_body=errors.error_body)
    )


def _add_middleware(
    app: FastAPI,
    settings: Settings,
    current_id: Callable[[], str | None],
    quota: shared_quota.SharedQuota | None = None,
) -> None:
    # Innermost first: answers are compressed once, then cached compressed (a cache hit costs
    # no gzip); quotas count hits too; CORS outermost. The release header is set innermost,
    # so cached answers keep it.
    app.add_middleware(ReaderMiddleware, access=app.state.access)  # who reads (issue #16)
    app.add_middleware(ReleaseHeaderMiddleware)
    # zlib's default level, not Starlette's 9: half the CPU for answers ~1 % larger (a
    # 136 KB territory page: 1.9 ms instead of 4.2 ms; an 18 MB CSV export likewise).
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    app.add_middleware(
        CachingMiddleware,
        release_id=current_id,
        entries=settings.response_cache_entries,
        max_bytes=settings.response_cache_mb << 20,
    )
    # Portal-style requests (qualified ids, raw UTF-8, bad escapes: issue #13) are made into
    # the requests the routes and the cache read; quotas count the 400s too.
    app.add_middleware(PortalRequestMiddleware)
    if settings.rate_limit_per_minute > 0:
        app.add_middleware(
            RateLimitMiddleware,
            per_minute=settings.rate_limit_per_minute,
            trusted=trusted_proxies(settings.trusted_proxies),
            shared=quota,  # None: counted per process
        )
    else:  # the headers programs read, stating the portal's documented quota (issue #13)
        app.add_middleware(
            RateLimitMiddleware,
            per_minute=PORTAL_DAILY_QUOTA,
            window=86_400,
            enforce=False,
            trusted=trusted_proxies(settings.trusted_proxies),
        )
    app.add_middleware(
        JsonCorsMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD"],
        allow_headers=["*"],
        expose_headers=["ETag", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"],
    )
    # Enrolment checks in front of everything: their own limits, no CORS, no cache.
    scolarite.install_front(app)
    # Outermost: the headers of a public service on every answer, oversized headers refused.
    app.add_middleware(
        SecurityHeadersMiddleware,
        https=settings.public_url.startswith("https://"),
        max_header_bytes=settings.max_header_bytes,
    )


def app_from_environment() -> FastAPI:
    """The app for ``uvicorn --factory`` (one per worker process), settings from ``ARDOISE_*``."""
    return create_app(load_settings())
