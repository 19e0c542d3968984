"""HTTP surface of the scolarité service, compatible with API Particulier:

* ``GET /v3/men/scolarites/identite`` (also ``/v4``; ``/v5`` adds ``regime_pensionnat``)
* ``GET /api/introspect`` (a token's own id, name and scopes)

Every answer carries ``X-Request-ID`` and ``Cache-Control: no-store``; authenticated ones
``RateLimit-Limit/-Remaining/-Reset``. Every call writes one audit entry, committed
before the answer is sent; if it cannot be written the answer is a 503 without data.
The endpoints are always served (:func:`install`, an ASGI layer in front of the app,
not FastAPI routes: the hot path skips routing and middlewares); without a registry they
answer 503 with a clear message. They stay out of the public OpenAPI of the open-data
site: integrators use API Particulier's documentation, which these endpoints follow.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ardoise.scolarite import errors, scopes, verification
from ardoise.scolarite.calls import Call, authenticate, identify
from ardoise.scolarite.service import ScolariteService
from ardoise.scolarite.store import RegistryUnavailable

_PRIVATE_PATHS = ("/v3/men/", "/v4/men/", "/v5/men/", "/api/introspect")


class RedactQueries(logging.Filter):
    """Access logs keep the path of scolarité calls, never their query string (names,
    birth dates, tokens)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, sep, _query = args[2].partition("?")
            if sep and path.startswith(_PRIVATE_PATHS):
                record.args = (*args[:2], f"{path}?[masqué]", *args[3:])
        return True


def install_log_redaction() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactQueries) for f in logger.filters):
        logger.addFilter(RedactQueries())


async def _identite(service: ScolariteService, request: Request, version: int) -> Response:
    call = Call(service, request, f"/v{version}/men/scolarites/identite")
    try:
        return await _verify(call, version)
    except (RegistryUnavailable, SQLAlchemyError):  # database unreachable: no answer
        return call.plain_error(errors.AUDIT_DOWN)


async def _verify(call: Call, version: int) -> Response:
    service = call.service
    if service.engine is None:
        return call.plain_error(errors.NO_REGISTRY)
    accepted = frozenset(scopes.ALL if version >= 5 else scopes.ALL[:-1])
    found = await identify(
        call, service.clock().date(), lambda granted: bool(granted & accepted), announce_delay=True
    )
    if isinstance(found, Response):
        return found
    record, token = found, call.token
    assert token is not None
    meta: dict[str, Any] = {}
    if record["synthetique"]:
        meta["donnees_synthetiques"] = True
        meta["avertissement"] = "Registre synthétique : aucun élève réel."
    body: dict[str, Any] = {
        "data": verification.answer_data(record, token.scopes, version),
        "links": {},
        "meta": meta,
    }
    return await call.finish(200, "trouve", body)


async def _introspect(service: ScolariteService, request: Request) -> Response:
    """Les droits du jeton présenté (identifiant, intitulé, scopes)."""
    call = Call(service, request, "/api/introspect")
    if call.bearer is None:
        call.bearer = next((v for k, v in call.params if k == "token"), None)
    if service.engine is None:
        return call.plain_error(errors.NO_REGISTRY)
    try:
        refused = await authenticate(call)
    except (RegistryUnavailable, SQLAlchemyError):
        return call.plain_error(errors.AUDIT_DOWN)
    if refused is not None:
        return refused
    token = call.token
    assert token is not None
    return await call.finish(
        200,
        "introspection",
        {"_id": token.id, "name": token.intitule, "scopes": sorted(token.scopes)},
    )


Handler = Callable[[ScolariteService, Request], Awaitable[Response]]


def _handlers() -> dict[str, Handler]:
    def identite(version: int) -> Handler:
        async def handle(service: ScolariteService, request: Request) -> Response:
            return await _identite(service, request, version)

        return handle

    paths: dict[str, Handler] = {f"/v{v}/men/scolarites/identite": identite(v) for v in (3, 4, 5)}
    paths["/api/introspect"] = _introspect
    return paths


async def _wrong_method(service: ScolariteService, request: Request) -> Response:
    """Another method than GET: a 405 with its request id, audited like every call."""
    call = Call(service, request, request.url.path)
    call.headers["Allow"] = "GET"
    if service.engine is None:
        return call.plain_error(errors.METHOD_NOT_ALLOWED)
    return await call.error(errors.METHOD_NOT_ALLOWED, "methode")


class ScolariteRoutes:
    """The scolarité endpoints as an ASGI layer in front of the app: their calls go
    straight to their handler, without the app's routing, dependency solving and
    middlewares (about a fifth of a call's CPU under load). Everything else passes
    through. At the app's shutdown, pending audit entries are committed and the
    registry's connections closed."""

    def __init__(self, app: ASGIApp, service: ScolariteService) -> None:
        self.app = app
        self.service = service
        self.paths = _handlers()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self.paths.get(scope["path"]) if scope["type"] == "http" else None
        if handler is None:
            if scope["type"] == "lifespan":
                await self.app(scope, receive, self._closing(send))
            else:
                await self.app(scope, receive, send)
            return
        if scope["method"] != "GET":
            handler = _wrong_method
        response = await handler(self.service, Request(scope, receive))
        await response(scope, receive, send)

    def _closing(self, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                await self.service.aclose()
            await send(message)

        return wrapped


def install(app: FastAPI, service: ScolariteService) -> None:
    """Serve the scolarité endpoints of ``service`` in front of ``app`` (call it after the
    app's other middlewares: the last added is the outermost)."""
    install_log_redaction()
    app.add_middleware(ScolariteRoutes, service=service)
