"""HTTP caching: a release never changes, so an answer is a function of the release id and
the normalised query. ETag, Cache-Control, 304, and a small in-memory response cache."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ardoise.lru import LRU

CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=60"
_MAX_BODY = 2 << 20  # answers above 2 MB (exports) are streamed, never stored


def normalised_query(query_string: str) -> str:
    """Parameters sorted by name (keeping repeated ones in order): the cache key."""
    pairs = parse_qsl(query_string, keep_blank_values=True)
    return urlencode(sorted(pairs, key=lambda kv: kv[0]))


def etag_for(release_id: str, path: str, query_string: str) -> str:
    digest = hashlib.sha256(f"{release_id}\n{path}\n{normalised_query(query_string)}".encode())
    return '"' + digest.hexdigest()[:32] + '"'


_ETAGS: dict[tuple[str, str, str], str] = {}  # (release, path, raw query) → etag_for(…)
_ETAGS_KEPT = 4096


def etag_of(release_id: str, path: str, query_string: str) -> str:
    """:func:`etag_for`, remembered by the raw request (a repeated URL is neither parsed,
    sorted nor hashed again); bounded, cleared when full."""
    key = (release_id, path, query_string)
    etag = _ETAGS.get(key)
    if etag is None:
        if len(_ETAGS) >= _ETAGS_KEPT:
            _ETAGS.clear()
        etag = _ETAGS[key] = etag_for(release_id, path, query_string)
    return etag


def cacheable(scope: Scope) -> bool:
    """Whether an HTTP request's answer may be tagged and kept: GET or HEAD under /api/,
    neither per-token nor per-reader (#7, #16)."""
    if scope["method"] not in ("GET", "HEAD") or not str(scope["path"]).startswith("/api/"):
        return False
    if scope["path"] == "/api/introspect":
        return False
    return not any(
        k == b"authorization" or (k == b"cookie" and b"ardoise_session=" in v)
        for k, v in scope.get("headers") or []
    )


def encoding_of(headers: dict[bytes, bytes]) -> str:
    """The stored body is the one sent: compressed when the client accepts gzip."""
    return "gzip" if b"gzip" in headers.get(b"accept-encoding", b"") else "identity"


def entry_key(method: str, encoding: str, etag: str) -> str:
    return f"{method} {encoding} {etag}"


Answer = tuple[int, list[tuple[bytes, bytes]], bytes]  # status, headers, body


def response_cache(entries: int, max_bytes: int) -> LRU[str, Answer]:
    """At most ``entries`` answers and ``max_bytes`` of bodies: memory stays bounded."""
    return LRU(entries, max_bytes, size=lambda answer: len(answer[2]))


class CachingMiddleware:
    """For GET under /api: ETag from (release, path, normalised query), 304 on If-None-Match,
    and an LRU of successful small JSON answers keyed the same way and by content encoding
    (it sits outside the gzip middleware, so a hit is sent as stored). Budget: ``entries``
    answers and ``max_bytes`` of bodies (``ARDOISE_RESPONSE_CACHE_ENTRIES``, ``_MB``)."""

    def __init__(self, app: ASGIApp, release_id: object, entries: int, max_bytes: int) -> None:
        self.app = app
        self.release_id = release_id  # callable returning the current release id or None
        self.cache = response_cache(entries, max_bytes) if entries > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not cacheable(scope):
            await self.app(scope, receive, send)
            return
        rid = self.release_id()  # type: ignore[operator]
        etag: str | None = None
        query = scope.get("query_string", b"").decode("latin-1")
        headers = dict(scope.get("headers") or [])
        encoding = encoding_of(headers)
        if rid is not None:
            etag = etag_of(rid, scope["path"], query)
            if headers.get(b"if-none-match", b"").decode("latin-1") in (etag, "*"):
                await _send_not_modified(send, etag)
                return
            cached = (
                self.cache.get(entry_key(scope["method"], encoding, etag)) if self.cache else None
            )
            if cached is not None:
                await _send_cached(send, cached)
                return
        await self.app(scope, receive, self._storing(scope, send, etag, encoding))

    def _storing(self, scope: Scope, send: Send, etag: str | None, encoding: str) -> Send:
        """``send`` adding ETag and Cache-Control to a 200 and keeping small JSON answers.
        ``etag`` None: the release was not loaded when the request came (the first one after
        a start or a switch); the handler has loaded it, so its id tags the answer."""
        state: dict[str, object] = {"status": 0, "headers": [], "body": [], "key": None}

        async def wrapped(message: Message) -> None:
            nonlocal etag
            if message["type"] == "http.response.start":
                status = int(message["status"])
                if etag is None and (rid := self.release_id()) is not None:  # type: ignore[operator]
                    query = scope.get("query_string", b"").decode("latin-1")
                    etag = etag_of(rid, scope["path"], query)
                out = MutableHeaders(scope=message)
                if status == 200 and etag is not None:
                    out["ETag"] = etag
                    out["Cache-Control"] = CACHE_CONTROL
                    if (
                        out.get("content-type", "").startswith("application/json")
                        and self.cache is not None
                    ):
                        state["key"] = entry_key(scope["method"], encoding, etag)
                state["status"] = status
                state["headers"] = list(message["headers"])
            elif message["type"] == "http.response.body" and state["key"] is not None:
                parts: list[bytes] = state["body"]  # type: ignore[assignment]
                parts.append(message.get("body", b""))
                if sum(len(p) for p in parts) > _MAX_BODY:
                    state["key"] = None
                elif not message.get("more_body") and self.cache is not None:
                    entry = (
                        int(state["status"]),  # type: ignore[call-overload]
                        state["headers"],
                        b"".join(parts),
                    )
                    self.cache.put(str(state["key"]), entry)  # type: ignore[arg-type]
            await send(message)

        return wrapped


async def _send_not_modified(send: Send, etag: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 304,
            "headers": [(b"etag", etag.encode()), (b"cache-control", CACHE_CONTROL.encode())],
        }
    )
    await send({"type": "http.response.body", "body": b""})


def hit_headers(cached: Answer) -> list[tuple[bytes, bytes]]:
    """The headers of a stored answer as a hit sends them."""
    return [*cached[1], HIT]


HIT = (b"x-cache", b"hit")


async def _send_cached(send: Send, cached: Answer) -> None:
    status, _raw_headers, body = cached
    await send({"type": "http.response.start", "status": status, "headers": hit_headers(cached)})
    await send({"type": "http.response.body", "body": body})
