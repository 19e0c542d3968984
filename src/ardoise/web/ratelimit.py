"""Optional per-IP quota (off by default): fixed one-minute windows,
``X-RateLimit-Limit``/``-Remaining``/``-Reset`` on every answer, 429 past the quota.

Every public surface counts (the API, the dashboard's pages and ``.json`` twins, ``/mcp``,
``/api/v1`` downloads); only the probes and the hashed static files do not. The address
is the connection's, or the one a trusted proxy forwards (:mod:`ardoise.web.clientip`)."""

from __future__ import annotations

import json
import threading
import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ardoise.web.clientip import client_ip

UNCOUNTED = ("/health", "/ready", "/metrics")


def counted(path: str) -> bool:
    """Whether a request to ``path`` counts in the quota."""
    return not (path in UNCOUNTED or path.startswith("/static/"))


class RateLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        per_minute: int,
        clock: object = time.time,
        trusted: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.trusted = trusted
        self.per_minute = per_minute
        self.clock = clock
        self._counts: dict[str, tuple[int, int]] = {}  # ip → (window start, count)
        self._lock = threading.Lock()

    def _hit(self, ip: str) -> tuple[int, int, int]:
        now = int(self.clock())  # type: ignore[operator]
        window = now - now % 60
        with self._lock:
            start, count = self._counts.get(ip, (window, 0))
            if start != window:
                start, count = window, 0
            count += 1
            self._counts[ip] = (start, count)
            if len(self._counts) > 100_000:  # forget old windows
                self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
        return count, max(0, self.per_minute - count), start + 60 - now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not counted(str(scope["path"])):
            await self.app(scope, receive, send)
            return
        count, remaining, reset = self._hit(client_ip(scope, self.trusted))
        limits = [
            (b"x-ratelimit-limit", str(self.per_minute).encode()),
            (b"x-ratelimit-remaining", str(remaining).encode()),
            (b"x-ratelimit-reset", str(reset).encode()),
        ]
        if count > self.per_minute:
            body = json.dumps(
                {
                    "error_code": "TooManyRequests",
                    "message": (
                        f"Quota dépassé : {self.per_minute} requêtes par minute et par adresse. "
                        f"Réessayez dans {reset} s."
                    ),
                }
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 429,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"retry-after", str(reset).encode()),
                        *limits,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for k, v in limits:
                    headers[k.decode()] = v.decode()
            await send(message)

        await self.app(scope, receive, wrapped)
