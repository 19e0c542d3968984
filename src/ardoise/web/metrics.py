"""``/metrics`` in Prometheus format (issue #17), prometheus-client.

Under several worker processes (``ardoise serve --workers N``) the CLI points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder before the workers start; each process then
writes its metrics there and ``/metrics`` sums them (``MultiProcessCollector``). Without it
(one process, the tests) the process's own registry is served.

The route family of a request is the usage counter's surface (``usage.classify``), or
``service`` for what usage does not count (probes, static assets, documentation).
"""

from __future__ import annotations

import asyncio
import bisect
import os
import time
from collections.abc import Callable

import anyio
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prom_mp
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ardoise.usage.classify import classify, route_of

REQUESTS = Counter(
    "ardoise_requests", "Réponses par famille de routes et statut", ["route", "status"]
)
LATENCY = Histogram(
    "ardoise_request_duration_seconds",
    "Durée des réponses par famille de routes",
    ["route"],
    buckets=(_BUCKETS := (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10, 30)),
)
CACHE = Counter("ardoise_response_cache", "Réponses de l'API servies du cache ou non", ["result"])
EXPORTS = Gauge("ardoise_exports_in_flight", "Exports en cours", multiprocess_mode="livesum")
ENROLMENT = Counter("ardoise_enrolment_checks", "Vérifications de scolarité par issue", ["outcome"])
QUEUE = Gauge(
    "ardoise_queue_depth",
    "Validations de soumissions en file ou en cours (file des tâches, issue #15)",
    multiprocess_mode="max",  # every process reads the same database
)
RELEASE = Gauge(
    "ardoise_release_served",
    "1 pour la release servie (étiquette release)",
    ["release"],
    multiprocess_mode="liveall",
)

LOAD_FAILURES = Counter(
    "ardoise_release_load_failures",
    "Releases annoncées qui n'ont pas pu être chargées (essais)",
    ["release"],
)
BEHIND = Gauge(
    "ardoise_release_behind",
    "1 quand la release annoncée n'est pas celle que cette réplique sert",
    multiprocess_mode="max",
)
QUOTA_LOCAL = Gauge(
    "ardoise_quota_local",
    "1 quand le quota partagé (ARDOISE_QUOTA_DATABASE_URL) est compté par processus : "
    "PostgreSQL injoignable",
    multiprocess_mode="max",
)


def exposition() -> tuple[bytes, str]:
    """The text format of every process's metrics (one process's without a multiproc dir)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prom_mp.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


_BOUNDS = (*_BUCKETS, float("inf"))  # the histogram's bucket bounds, +Inf last
_REMEMBERED = 4096


class HitTally:
    """The response cache's hits, counted in plain ints (a hit costs a dict increment, not
    three prometheus-client calls) and written to the metrics above once per turn of the
    event loop and before every scrape: ``/metrics`` shows every hit answered before it,
    under several worker processes too (each writes its own share the same way)."""

    def __init__(self) -> None:
        # (route, status, latency bucket) → [answers, seconds]
        self._counts: dict[tuple[str, str, int], list[float]] = {}
        self._routes: dict[tuple[str, str, int], str] = {}  # classify, remembered
        self._scheduled = False

    def add(self, scope: Scope, status: int, seconds: float) -> None:
        key = (scope["method"], scope["path"], status)
        route = self._routes.get(key)
        if route is None:
            if len(self._routes) >= _REMEMBERED:
                self._routes.clear()
            hit = classify(*key)
            route = self._routes[key] = hit.surface if hit else "service"
        slot = (route, str(status), bisect.bisect_left(_BOUNDS, seconds))
        counts = self._counts.get(slot)
        if counts is None:
            self._counts[slot] = [1, seconds]
        else:
            counts[0] += 1
            counts[1] += seconds
        if not self._scheduled:
            self._scheduled = True
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:  # no loop (a direct call): written now
                self.flush()

    def flush(self) -> None:
        """Writes the counts kept so far to the prometheus-client metrics."""
        self._scheduled = False
        counts, self._counts = self._counts, {}
        hits = 0
        for (route, status, bucket), (n, seconds) in counts.items():
            REQUESTS.labels(route, status).inc(n)
            latency = LATENCY.labels(route)
            latency._sum.inc(seconds)  # Histogram.observe, n at a time: one bucket, the sum
            latency._buckets[bucket].inc(n)
            hits += int(n)
        if hits:
            CACHE.labels("hit").inc(hits)


class MetricsMiddleware:
    """Counts and times every HTTP answer; answers ``GET /metrics`` itself. The response
    cache's hits answered in front of it (``web.hits``) are counted by :attr:`hits`."""

    def __init__(
        self, app: ASGIApp, release_id: object, queue_depth: Callable[[], int | None] | None = None
    ) -> None:
        self.app = app
        self.release_id = release_id  # callable: the served release id or None
        self.queue_depth = queue_depth  # jobs waiting or running; None: unknown now
        self._served: str | None = None
        self.hits = HitTally()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/metrics":
            self.hits.flush()
            self.served()
            if self.queue_depth is not None:  # a COUNT in the control plane, off the loop
                depth = await anyio.to_thread.run_sync(self.queue_depth)
                if depth is not None:
                    QUEUE.set(depth)
            await self._metrics(send)
            return
        start = time.perf_counter()
        state = {"status": 0}
        hit = route_of(scope["method"], scope["path"])
        export = hit is not None and hit.surface == "export"
        if export:
            EXPORTS.inc()

        async def timing(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                if scope["path"].startswith("/api/") and message["status"] == 200:
                    cached = (b"x-cache", b"hit") in message.get("headers", [])
                    CACHE.labels("hit" if cached else "miss").inc()
            await send(message)

        try:
            await self.app(scope, receive, timing)
        finally:
            if export:
                EXPORTS.dec()
            self._observe(scope, state["status"], time.perf_counter() - start)

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        hit = classify(scope["method"], scope["path"], status)
        route = hit.surface if hit else "service"
        REQUESTS.labels(route, str(status)).inc()
        LATENCY.labels(route).observe(seconds)
        if hit is not None and hit.surface == "scolarite":
            ENROLMENT.labels(hit.detail).inc()
        self.served()

    def served(self) -> None:
        """The served-release gauge, set to the release served now."""
        served = self.release_id()  # type: ignore[operator]
        if served != self._served:
            if self._served:
                RELEASE.labels(self._served).set(0)
            if served:
                RELEASE.labels(served).set(1)
            self._served = served

    @staticmethod
    async def _metrics(send: Send) -> None:
        body, media = exposition()
        headers = [(b"content-type", media.encode()), (b"cache-control", b"no-store")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
