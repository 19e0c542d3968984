"""The headers of a public service on every answer (issue #13), and the request-header limit.

Every answer: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy``, ``X-Frame-Options``;
HTML pages also a ``Content-Security-Policy`` (scripts from the site only: the pages' only
inline ``<script>`` elements are JSON data, which CSP does not execute; ``'unsafe-eval'``
because Vega compiles its expressions) and ``Strict-Transport-Security`` when the public
address is https. ``Server`` and ``X-Powered-By`` never leave (``ardoise serve`` also turns
off uvicorn's own ``server`` header).

A request whose headers weigh more than ``max_header_bytes`` is refused with 431 and the
API's error body, before any route runs. ``HEAD`` is answered wherever ``GET`` is (FastAPI's
routes declare GET only): the request goes in as GET and the body is dropped on the way
out, headers (length, ETag) kept; a 405's ``Allow`` then says ``GET, HEAD``.

>>> csp = content_security_policy()
>>> "script-src 'self' 'unsafe-eval'" in csp and "frame-ancestors 'none'" in csp
True
"""

from __future__ import annotations

import orjson
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS = "max-age=31536000; includeSubDomains"
REFERRER_POLICY = "strict-origin-when-cross-origin"
_HIDDEN = ("server", "x-powered-by")


def content_security_policy() -> str:
    """The policy of the HTML pages: everything from the site itself, nothing framed."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self' 'unsafe-eval'",
            "style-src 'self' 'unsafe-inline'",  # vega-embed and its tooltips set styles
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


class JsonCorsMiddleware(CORSMiddleware):
    """Starlette's CORS middleware, whose refused preflights answer the API's JSON error
    body instead of a plain-text line."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        detail = bytes(response.body).decode("utf-8", "replace")
        body = {
            "error_code": "CorsRefused",
            "message": f"Requête CORS refusée ({detail}) : seuls GET et HEAD sont permis.",
        }
        headers = {k: v for k, v in response.headers.items() if k.startswith("access-control")}
        return JSONResponse(body, status_code=response.status_code, headers=headers)


def too_large_body(limit: int) -> bytes:
    return orjson.dumps(
        {
            "error_code": "RequestHeaderFieldsTooLarge",
            "message": f"En-têtes de la requête trop volumineux (au plus {limit} octets).",
        }
    )


class SecurityHeadersMiddleware:
    """Adds the headers above to every HTTP answer; refuses oversized request headers."""

    def __init__(self, app: ASGIApp, https: bool, max_header_bytes: int) -> None:
        self.app = app
        self.https = https
        self.max_header_bytes = max_header_bytes
        self.csp = content_security_policy()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.oversized(scope):
            await self._refuse(send)
            return

        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.decorate(MutableHeaders(scope=message))
            elif head and message["type"] == "http.response.body":
                if message.get("more_body"):
                    return  # the rest of a streamed body: nothing to send for HEAD
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app(scope, receive, wrapped)

    def oversized(self, scope: Scope) -> bool:
        """Whether a request's header fields weigh more than allowed (an over-long query is
        the API's to refuse: 400, its message)."""
        size = sum(len(k) + len(v) + 4 for k, v in scope.get("headers") or [])
        return size > self.max_header_bytes

    def decorate(self, headers: MutableHeaders) -> None:
        for name in _HIDDEN:
            if name in headers:
                del headers[name]
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = REFERRER_POLICY
        headers["X-Frame-Options"] = "DENY"
        if headers.get("content-type", "").startswith("text/html"):
            headers["Content-Security-Policy"] = self.csp
        if self.https:
            headers["Strict-Transport-Security"] = HSTS
        allow = headers.get("allow", "")
        if "GET" in allow.split(", ") and "HEAD" not in allow:
            headers["Allow"] = allow.replace("GET", "GET, HEAD")

    async def _refuse(self, send: Send) -> None:
        body = too_large_body(self.max_header_bytes)
        start: Message = {
            "type": "http.response.start",
            "status": 431,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
        self.decorate(MutableHeaders(scope=start))
        await send(start)
        await send({"type": "http.response.body", "body": body})
