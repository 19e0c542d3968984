"""One table maps domain errors to HTTP statuses; one function builds the error body."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ardoise.errors import ArdoiseError, NotFound, ReleaseNotFound
from ardoise.odsql.errors import QueryError

STATUS: dict[type[ArdoiseError], int] = {
    QueryError: 400,
    ReleaseNotFound: 503,
    NotFound: 404,
    ArdoiseError: 500,
}

CODES: dict[type[ArdoiseError], str] = {
    ReleaseNotFound: "NoReleaseError",
    NotFound: "NotFound",
}


def status_of(exc: ArdoiseError) -> int:
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 500


def error_body(exc: ArdoiseError) -> dict[str, Any]:
    """The canonical body: ``{"error_code": …, "message": …}`` (+ ``position`` for ODSQL)."""
    if isinstance(exc, QueryError):
        return exc.body()
    code = getattr(exc, "error_code", None)
    if code is None:
        code = next((CODES[k] for k in type(exc).__mro__ if k in CODES), type(exc).__name__)
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
