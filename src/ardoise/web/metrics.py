"""``/metrics`` in Prometheus format (issue #17), prometheus-client.

Under several worker processes (``ardoise serve --workers N``) the CLI points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder before the workers start; each process then
writes its metrics there and ``/metrics`` sums them (``MultiProcessCollector``). Without it
(one process, the tests) the process's own registry is served.

The route family of a request is the usage counter's surface (``usage.classify``), or
``service`` for what usage does not count (probes, static assets, documentation).
"""

from __future__ import annotations

import os
import time

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
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10, 30),
)
CACHE = Counter("ardoise_response_cache", "Réponses de l'API servies du cache ou non", ["result"])
EXPORTS = Gauge("ardoise_exports_in_flight", "Exports en cours", multiprocess_mode="livesum")
ENROLMENT = Counter("ardoise_enrolment_checks", "Vérifications de scolarité par issue", ["outcome"])
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


def exposition() -> tuple[bytes, str]:
    """The text format of every process's metrics (one process's without a multiproc dir)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prom_mp.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Counts and times every HTTP answer; answers ``GET /metrics`` itself."""

    def __init__(self, app: ASGIApp, release_id: object) -> None:
        self.app = app
        self.release_id = release_id  # callable: the served release id or None
        self._served: str | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/metrics":
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
