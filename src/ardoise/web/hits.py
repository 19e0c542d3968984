"""The response cache's hits, answered in front of the app (issue #14: a repeated URL at
thousands of requests a second on one core).

A hit used to cross a dozen ASGI layers, each wrapping ``send`` to add its headers or count
the answer. :class:`HitFront`, the outermost layer, answers a request whose answer is
stored without passing it through them, yet **as each of them would**: it finds the layers
of the app between itself and the :class:`~ardoise.web.caching.CachingMiddleware` (the very
instances, so quotas, counters and settings are theirs) and calls each one's own code for
its part, in the order of the stack: the quota's count and headers, CORS, the headers of a
public service (and ``HEAD``'s empty body), metrics (plain ints, :class:`~ardoise.web.metrics.HitTally`),
usage counting (#17: every answer is counted) and the request's id and log line.

Anything else goes through the whole stack, before any layer has counted anything: a layer
it does not know between itself and the cache (the front then stays off), a request the
portal layer would rewrite, oversized headers, a conditional request (``If-None-Match``,
answered 304 by the cache), a request the quota would refuse, a miss.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ardoise.odsql.errors import InvalidParameter
from ardoise.web.caching import (
    Answer,
    CachingMiddleware,
    cacheable,
    encoding_of,
    entry_key,
    etag_of,
    hit_headers,
)
from ardoise.web.clientip import client_ip
from ardoise.web.headers import JsonCorsMiddleware, SecurityHeadersMiddleware
from ardoise.web.metrics import MetricsMiddleware
from ardoise.web.portal_requests import PortalRequestMiddleware, read_query
from ardoise.web.ratelimit import RateLimitMiddleware
from ardoise.web.release_header import ReleaseHeaderMiddleware, with_release
from ardoise.web.requestlog import RequestLogMiddleware
from ardoise.web.scolarite import NotInstalled, is_scolarite
from ardoise.web.usage import UsageMiddleware

# The layers a hit crosses, outermost first, and whether the app may lack them.
LAYERS: tuple[tuple[str, bool], ...] = (
    # Starlette's and FastAPI's own: a 500 for an exception, telemetry, the body's limit
    ("ServerErrorMiddleware", True),
    ("ExceptionTelemetryMiddleware", True),
    ("AppBodyLimitMiddleware", True),
    (ReleaseHeaderMiddleware.__name__, True),  # X-Ardoise-Release when the route set none
    (RequestLogMiddleware.__name__, False),
    (UsageMiddleware.__name__, True),  # ARDOISE_USAGE_COUNT=0
    (MetricsMiddleware.__name__, False),
    (SecurityHeadersMiddleware.__name__, False),
    ("ScolariteRoutes", True),  # one of these two: with or without the scolarite extra
    (NotInstalled.__name__, True),
    (JsonCorsMiddleware.__name__, False),
    (RateLimitMiddleware.__name__, False),
    (PortalRequestMiddleware.__name__, False),
    (CachingMiddleware.__name__, False),
)


def stack_of(app: Any) -> dict[str, Any] | None:
    """The layers from ``app`` down to the response cache, by class name; None when one is
    not in :data:`LAYERS`, out of its order, or a required one is missing."""
    found: dict[str, Any] = {}
    order = [name for name, _optional in LAYERS]
    position = 0
    node = app
    while node is not None:
        name = type(node).__name__
        if name not in order[position:]:
            return None
        position = order.index(name) + 1
        found[name] = node
        if name == "CachingMiddleware":
            break
        node = getattr(node, "app", None)
    required = {name for name, optional in LAYERS if not optional}
    if not required <= found.keys() or found["CachingMiddleware"].cache is None:
        return None
    return found


class ArdoiseApp(FastAPI):
    """The FastAPI app, whose stored answers :class:`HitFront` sends in front of its whole
    middleware stack (FastAPI's and Starlette's own layers included)."""

    _front: HitFront | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if self.middleware_stack is None:  # as Starlette does on the first request
                self.middleware_stack = self.build_middleware_stack()
            front = self._front
            if front is None or front.app is not self.middleware_stack:
                front = self._front = HitFront(self.middleware_stack)
            scope["app"] = self
            await front(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class HitFront:
    """Answers the response cache's hits in front of the stack (see the module); passes
    everything else to it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._stack: dict[str, Any] | None = None
        self._answering: Answering | None = None
        self._resolved = False

    def _layers(self) -> dict[str, Any] | None:
        # Starlette builds the stack on the first request: the layers exist from then on.
        if not self._resolved:
            self._stack = stack_of(self.app)
            self._answering = Answering(self._stack) if self._stack is not None else None
            self._resolved = True
        return self._stack

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        stack = self._layers() if scope["type"] == "http" else None
        found = self._stored(stack, scope) if stack is not None else None
        if found is None:
            await self.app(scope, receive, send)
            return
        assert self._answering is not None
        await self._answering(scope, send, *found)

    def _stored(self, stack: dict[str, Any], scope: Scope) -> tuple[Answer, str] | None:
        """The stored answer of a request, and its client's address, when the front may
        send it; nothing is counted here."""
        if not cacheable(scope):
            return None
        security: SecurityHeadersMiddleware = stack["SecurityHeadersMiddleware"]
        if security.oversized(scope) or _rewritten(scope) or _scolarite(stack, scope):
            return None
        headers = dict(scope.get("headers") or [])
        if b"if-none-match" in headers:
            return None
        caching: CachingMiddleware = stack["CachingMiddleware"]
        rid = caching.release_id()  # type: ignore[operator]
        if rid is None:
            return None
        query = scope.get("query_string", b"").decode("latin-1")
        etag = etag_of(rid, scope["path"], query)
        assert caching.cache is not None  # stack_of: a front only with a cache
        # HEAD is asked of the cache as GET (SecurityHeadersMiddleware), its body dropped
        cached = caching.cache.get(entry_key("GET", encoding_of(headers), etag))
        if cached is None:
            return None
        quota: RateLimitMiddleware = stack["RateLimitMiddleware"]
        ip = client_ip(scope, quota.trusted)
        return None if quota.would_refuse(ip) else (cached, ip)


def _rewritten(scope: Scope) -> bool:
    """Whether :class:`PortalRequestMiddleware` would change (or refuse) the request."""
    if "@" in scope["path"]:
        return True
    raw = bytes(scope.get("query_string", b""))
    if raw.isascii() and b"%" not in raw and b"@" not in raw:
        return False
    try:
        return read_query(raw) != raw
    except InvalidParameter:
        return True


def _scolarite(stack: dict[str, Any], scope: Scope) -> bool:
    """Whether the scolarité layer answers this path itself."""
    routes = stack.get("ScolariteRoutes")
    if routes is not None and scope["path"] in routes.paths:
        return True
    return "NotInstalled" in stack and is_scolarite(scope["path"])


_REMAINING, _RESET, _ID = b"\x00remaining", b"\x00reset", b"\x00id"  # a template's blanks
_TEMPLATES_KEPT = 4096


class Template:
    """The headers of one stored answer as the stack sends them, built once by the layers'
    own code with blanks where a request's values go: the quota's remaining calls and
    reset, the request id."""

    def __init__(self, cached: Answer, headers: list[tuple[bytes, bytes]]) -> None:
        self.cached = cached  # the stored answer it was built for (not another at its id)
        self.headers = headers
        self.blanks = [
            (i, value) for i, (_k, value) in enumerate(headers) if value in (_REMAINING, _RESET)
        ]
        ids = [i for i, (_k, value) in enumerate(headers) if value == _ID]
        self.id_at = ids[0] if ids else None  # None: the answer carries its own id

    def filled(self, remaining: bytes, reset: bytes, request_id: bytes) -> list[Any]:
        headers = list(self.headers)
        for i, blank in self.blanks:
            headers[i] = (headers[i][0], remaining if blank == _REMAINING else reset)
        if self.id_at is not None:
            headers[self.id_at] = (b"x-request-id", request_id)
        return headers


async def template_of(stack: dict[str, Any], scope: Scope, cached: Answer) -> Template:
    """The stack's headers for ``cached`` answering ``scope``, blanks in: the quota's
    (:meth:`RateLimitMiddleware.decorate`), CORS's (Starlette's own ``send``), a public
    service's (:meth:`SecurityHeadersMiddleware.decorate`), the request id's."""
    quota: RateLimitMiddleware = stack["RateLimitMiddleware"]
    limits = [
        (b"x-ratelimit-limit", str(quota.per_minute).encode()),
        (b"x-ratelimit-remaining", _REMAINING),
        (b"x-ratelimit-reset", _RESET),
    ]
    message: Message = {"type": "http.response.start", "status": cached[0]}
    message["headers"] = hit_headers(cached)
    quota.decorate(message, limits)
    cors: JsonCorsMiddleware = stack["JsonCorsMiddleware"]
    await cors.send(message, send=_ignore, request_headers=Headers(scope=scope))
    security: SecurityHeadersMiddleware = stack["SecurityHeadersMiddleware"]
    security.decorate(MutableHeaders(scope=message))
    log: RequestLogMiddleware = stack["RequestLogMiddleware"]
    message = log.tagged(message, {"id": _ID.decode("latin-1")})
    if "ReleaseHeaderMiddleware" in stack:  # the outermost: the release that answered
        rid = stack["CachingMiddleware"].release_id()
        message["headers"] = with_release(list(message["headers"]), rid)
    return Template(cached, list(message["headers"]))


class Answering:
    """Sends stored answers as the stack would, then counts them as the stack would."""

    def __init__(self, stack: dict[str, Any]) -> None:
        self.stack = stack
        self.log: RequestLogMiddleware = stack["RequestLogMiddleware"]
        self.quota: RateLimitMiddleware = stack["RateLimitMiddleware"]
        self.metrics: MetricsMiddleware = stack["MetricsMiddleware"]
        self.usage: UsageMiddleware | None = stack.get("UsageMiddleware")
        # (stored answer's id, the request's Origin) → its headers' template
        self._templates: dict[tuple[int, bytes | None], Template] = {}

    async def __call__(self, scope: Scope, send: Send, cached: Answer, ip: str) -> None:
        start = time.perf_counter()
        state = self.log.state(scope)
        _count, reset, remaining = self.quota.counted(ip)
        origin: bytes | None = None
        user_agent: bytes | None = None  # read here once for usage counting
        for key, value in scope["headers"]:  # the first of each
            if key == b"origin":
                if origin is None:
                    origin = value
            elif key == b"user-agent" and user_agent is None:
                user_agent = value
        template = self._templates.get((id(cached), origin))
        if template is None or template.cached is not cached:
            if len(self._templates) >= _TEMPLATES_KEPT:
                self._templates.clear()
            template = await template_of(self.stack, scope, cached)
            self._templates[(id(cached), origin)] = template
        headers = template.filled(
            str(remaining).encode(), str(reset).encode(), state["id"].encode()
        )
        state["status"] = cached[0]
        body = b"" if scope["method"] == "HEAD" else cached[2]
        await send({"type": "http.response.start", "status": cached[0], "headers": headers})
        await send({"type": "http.response.body", "body": body})
        seconds = time.perf_counter() - start
        self.metrics.hits.add(scope, cached[0], seconds)
        if self.usage is not None:
            self.usage.answered(scope, cached[0], len(body), (), seconds, ip, user_agent or b"")
        state["bytes"] = len(body)
        if self.log.log:
            self.log.write(scope, state, seconds)


async def _ignore(_message: Message) -> None:
    """CORS's ``send`` is called for its headers only."""
