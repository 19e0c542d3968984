"""The scolarité surfaces of the app (issue #7): the enrolment-check API, in front of
everything, and the certificate routes. They need the ``scolarite`` extra (SQLAlchemy,
psycopg, cryptography, fpdf2…), imported here and only here, when the app is built.

Without the extra the app still serves the open data; every scolarité path then answers a
503 that names the missing part and the pip command: in API Particulier's error shape on
the verification API, in the canonical ``{"error_code", "message"}`` body elsewhere.

    include_routes(app, settings, holder)   # where the certificate routes go
    install_front(app)                      # last: the outermost layer
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from ardoise.errors import MissingExtra
from ardoise.extras import require
from ardoise.query.release import ReleaseHolder
from ardoise.scolarite import errors as api_errors
from ardoise.settings import Settings
from ardoise.web.errors import error_body, status_of

API_PATHS = ("/v3/men/", "/v4/men/", "/v5/men/", "/api/introspect")  # API Particulier's
PUBLIC_PATH = "/verifier"  # the certificates' public check, and what lies under it


def include_routes(app: FastAPI, settings: Settings, holder: ReleaseHolder) -> None:
    """Build the registry service and mount the certificate routes (when installed)."""
    try:
        require("scolarite")
    except MissingExtra as exc:
        app.state.scolarite = None
        app.state.scolarite_missing = exc
        return
    from ardoise.scolarite.certificates_routes import router_for
    from ardoise.scolarite.service import ScolariteService

    app.state.scolarite = ScolariteService.from_settings(settings)
    app.state.scolarite_missing = None
    app.include_router(router_for(app.state.scolarite, settings, holder))


def install_front(app: FastAPI) -> None:
    """The verification API in front of the app (call it after the other middlewares)."""
    missing: MissingExtra | None = app.state.scolarite_missing
    if missing is not None:
        app.add_middleware(NotInstalled, error=missing)
        return
    from ardoise.scolarite.router import install

    install(app, app.state.scolarite)


class NotInstalled:
    """Answers every scolarité path with the missing extra's 503; the rest passes."""

    def __init__(self, app: ASGIApp, error: MissingExtra) -> None:
        self.app = app
        self.error = error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "") if scope["type"] == "http" else ""
        if is_scolarite(path):
            status, body = answer(self.error, path)
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"cache-control", b"no-store"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def is_scolarite(path: str) -> bool:
    return path.startswith((*API_PATHS, PUBLIC_PATH + "/")) or path == PUBLIC_PATH


def answer(error: MissingExtra, path: str) -> tuple[int, bytes]:
    """The status and body of a scolarité path on a server without the extra."""
    if path.startswith(API_PATHS):
        problem = api_errors.api_error_of(error)
        assert problem is not None  # MissingExtra is in API_ERRORS
        body: Any = {"errors": [problem.body()]}
        return problem.status, orjson.dumps(body)
    return status_of(error), orjson.dumps(error_body(error))
