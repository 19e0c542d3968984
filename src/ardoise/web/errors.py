"""One table maps domain errors to HTTP statuses; one function builds the error body.

``ERRORS`` declares, for each family of ``ardoise.errors``' tree, its status and its
``error_code``; a class takes the entry of its nearest ancestor (MRO), so a new subclass
is covered, and ``tests/web/test_error_shape.py`` fails for a class whose only entry
would be the ``ArdoiseError`` fallback. The app installs the handlers below; the dashboard
receives :func:`status_of` and :func:`error_body` from ``create_app`` (it may not import
``web``), so its pages and JSON twins answer the same statuses and codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ardoise.controlplane.errors import (
    Conflict,
    ControlPlaneError,
    Forbidden,
    ProviderUnavailable,
    Throttled,
    Unauthenticated,
    UploadTooLarge,
)
from ardoise.errors import (
    ArdoiseError,
    CatalogError,
    ConfigError,
    MissingExtra,
    NoRelease,
    NotFound,
    ReleaseCorrupt,
    ReleaseNotFound,
    SourceError,
    StoreError,
)
from ardoise.indicators.model import IndicatorDefinitionError
from ardoise.odsql.errors import QueryError
from ardoise.scolarite.errors import AuditUnavailable, RegistryUnavailable, TokenError


@dataclass(frozen=True)
class Answer:
    status: int
    code: str | None = None  # None: the exception's own ``error_code``, else its class name


ERRORS: dict[type[ArdoiseError], Answer] = {
    # client errors
    QueryError: Answer(400),  # its body is QueryError.body() (error_code, position)
    TokenError: Answer(400),
    ControlPlaneError: Answer(400),
    Unauthenticated: Answer(401),
    Forbidden: Answer(403),
    Conflict: Answer(409),
    Throttled: Answer(429),
    UploadTooLarge: Answer(413),
    NotFound: Answer(404, "NotFound"),
    ReleaseNotFound: Answer(404, "UnknownRelease"),
    # the server cannot answer now: nothing published, a broken release, a missing part
    NoRelease: Answer(503, "NoReleaseError"),
    ReleaseCorrupt: Answer(503),
    MissingExtra: Answer(503),
    RegistryUnavailable: Answer(503),
    AuditUnavailable: Answer(503),
    ProviderUnavailable: Answer(503),
    # server faults
    ConfigError: Answer(500),
    CatalogError: Answer(500),
    IndicatorDefinitionError: Answer(500),
    SourceError: Answer(500),
    StoreError: Answer(500),
    ArdoiseError: Answer(500),  # fallback of a bare ArdoiseError
}


def answer_of(exc: ArdoiseError) -> Answer:
    """The entry of the nearest class of ``exc`` in ``ERRORS``."""
    for kind in type(exc).__mro__:
        if kind in ERRORS:
            return ERRORS[kind]
    return ERRORS[ArdoiseError]


def status_of(exc: ArdoiseError) -> int:
    return answer_of(exc).status


def error_body(exc: ArdoiseError) -> dict[str, Any]:
    """The canonical body: ``{"error_code": …, "message": …}`` (+ ``position`` for ODSQL)."""
    if isinstance(exc, QueryError):
        return exc.body()
    code = answer_of(exc).code or getattr(exc, "error_code", None) or type(exc).__name__
    return {"error_code": code, "message": str(exc)}


def install(app: FastAPI) -> None:
    @app.exception_handler(ArdoiseError)
    async def ardoise_error(_request: Request, exc: ArdoiseError) -> JSONResponse:
        return JSONResponse(error_body(exc), status_code=status_of(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "path"))
        return JSONResponse(
            {
                "error_code": "InvalidRESTParameterError",
                "message": f"Invalid value for {where or 'a'} API parameter: "
                f"{first.get('msg', 'invalid')}.",
            },
            status_code=400,
        )

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        code = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
        message = {
            404: "Cette adresse n'existe pas.",
            405: "Méthode non autorisée : l'API n'accepte que GET.",
        }.get(exc.status_code, str(exc.detail))
        return JSONResponse(
            {"error_code": code, "message": message},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            {"error_code": "InternalError", "message": "Erreur interne ; elle a été journalisée."},
            status_code=500,
        )
