"""Per-IP quota: fixed windows, ``X-RateLimit-Limit``/``-Remaining``/``-Reset`` on every
answer, 429 past the quota.

The configured quota (``ARDOISE_RATE_LIMIT_PER_MINUTE``) is enforced on one-minute windows.
Without one, the headers still go out (programs written for the portal read them, issue
#13) and state the portal's documented anonymous quota, :data:`PORTAL_DAILY_QUOTA` calls a
day per address, counted on UTC days but not enforced: Ardoise sets no quota of its own
unless configured to, and a program pacing itself on the headers sees what it would see
on the portal.

Every public surface counts (the API, the dashboard's pages and ``.json`` twins, ``/mcp``,
``/api/v1`` downloads); only the probes and the hashed static files do not. The address
is the connection's, or the one a trusted proxy forwards (:mod:`ardoise.web.clientip`).

Counted per process, unless a shared database is configured: then the counts of every
process and replica meet in PostgreSQL (:mod:`ardoise.web.shared_quota`), and a request is
refused when this process's count plus the others' last known total passes the quota."""

from __future__ import annotations

import json
import threading
import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ardoise.web.clientip import client_ip
from ardoise.web.shared_quota import SharedQuota

# "Le nombre d'appels API pour un utilisateur anonyme est limité à 5000 appels par adresse
# IP et par jour" (data.education.gouv.fr's API page, betagouv/api.gouv.fr _api/api_menj.md)
PORTAL_DAILY_QUOTA = 5000

UNCOUNTED = ("/health", "/ready", "/metrics")
_ADDRESSES = 100_000  # addresses remembered at most


def counted(path: str) -> bool:
    """Whether a request to ``path`` counts in the quota."""
    return not (path in UNCOUNTED or path.startswith("/static/"))


class RateLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        per_minute: int,
        clock: object = time.time,
        *,
        window: int = 60,
        enforce: bool = True,
        trusted: frozenset[str] = frozenset(),
        shared: SharedQuota | None = None,
    ) -> None:
        self.app = app
        self.trusted = trusted
        self.per_minute = per_minute  # the quota per window (one minute unless told)
        self.clock = clock
        self.window = window
        self.enforce = enforce
        self._counts: dict[str, tuple[int, int]] = {}  # ip → (window start, count)
        self._lock = threading.Lock()
        # (window start, address → the other processes' count in it, at the last sync)
        self._others: tuple[int, dict[str, int]] = (-1, {})
        if shared is not None:
            shared.attach(self)

    def current(self) -> tuple[int, dict[str, int]]:
        """The current window's start and each address's count in it, in this process."""
        now = int(self.clock())  # type: ignore[operator]
        window = now - now % self.window
        with self._lock:
            counts = list(self._counts.items())
        return window, {ip: count for ip, (start, count) in counts if start == window}

    def learned(self, window: int, others: dict[str, int]) -> None:
        """The other processes' counts in ``window``, from the shared table."""
        seen, known = self._others
        if seen == window and len(known) < _ADDRESSES:
            known.update(others)
        else:
            self._others = (window, others)

    def _hit(self, ip: str) -> tuple[int, int, int]:
        now = int(self.clock())  # type: ignore[operator]
        window = now - now % self.window
        with self._lock:
            start, count = self._counts.get(ip, (window, 0))
            if start != window:
                start, count = window, 0
            count += 1
            self._counts[ip] = (start, count)
            if len(self._counts) > _ADDRESSES:
                self._forget(window)
        seen, others = self._others
        if seen == start:
            count += others.get(ip, 0)
        return count, max(0, self.per_minute - count), start + self.window - now

    def would_refuse(self, ip: str) -> bool:
        """Whether the next request of ``ip`` would get a 429 (nothing is counted)."""
        if not self.enforce:
            return False
        now = int(self.clock())  # type: ignore[operator]
        start, count = self._counts.get(ip, (0, 0))
        window = now - now % self.window
        seen, others = self._others
        count = (count if start == window else 0) + (others.get(ip, 0) if seen == window else 0)
        return count + 1 > self.per_minute

    def counted(self, ip: str) -> tuple[int, int, int]:
        """Counts a request of ``ip``: its count, seconds to the window's end, calls left."""
        count, remaining, reset = self._hit(ip)
        return count, reset, remaining

    def limits(self, ip: str) -> tuple[int, int, list[tuple[bytes, bytes]]]:
        """Counts a request of ``ip``: (its count, seconds to the window's end, headers)."""
        count, reset, remaining = self.counted(ip)
        return (
            count,
            reset,
            [
                (b"x-ratelimit-limit", str(self.per_minute).encode()),
                (b"x-ratelimit-remaining", str(remaining).encode()),
                (b"x-ratelimit-reset", str(reset).encode()),
            ],
        )

    @staticmethod
    def decorate(message: Message, limits: list[tuple[bytes, bytes]]) -> None:
        """The quota's headers on an answer's start message."""
        headers = MutableHeaders(scope=message)
        for k, v in limits:
            headers[k.decode()] = v.decode()

    def _forget(self, window: int) -> None:
        """Old windows forgotten, and, when the current one alone holds more than half the
        budget (a day's window of a national service's visitors), its first-seen half: the
        next prune is then at least half the budget of new addresses away, never one per
        request (each rebuilt the whole table: ~0.2 ms a request past 100,000 addresses)."""
        current = [(k, v) for k, v in self._counts.items() if v[0] == window]
        self._counts = dict(current[-(_ADDRESSES // 2) :])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not counted(str(scope["path"])):
            await self.app(scope, receive, send)
            return
        count, reset, limits = self.limits(client_ip(scope, self.trusted))
        if self.enforce and count > self.per_minute:
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
                self.decorate(message, limits)
            await send(message)

        await self.app(scope, receive, wrapped)
