"""The response cache's hits answered in front of the stack (issue #14, ``web.hits``): the
same answer, byte for byte and header for header, as the whole stack sends; counted by
usage and metrics (#17); refused by the quota; and the front off when it meets a layer it
does not know."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from starlette.testclient import TestClient

from ardoise.release.build import build_release
from ardoise.settings import Settings
from ardoise.web import hits
from ardoise.web.app import create_app
from tests.fixtures import fake_referential
from tests.web.test_metrics import _value

RECORDS = "/api/explore/v2.1/catalog/datasets/test-ips-ecoles/records"
URL = RECORDS + "?limit=3&where=uai%20like%20%22%25%22&order_by=uai"
# a request's own values; the reset (seconds to the quota window's end) is compared apart:
# two requests a few ms apart may straddle a second (it failed once so, on a loaded machine)
DYNAMIC = {"x-ratelimit-remaining", "x-ratelimit-reset", "x-request-id", "date"}
VARIANTS: list[tuple[str, dict[str, str]]] = [
    ("GET", {}),
    ("GET", {"Accept-Encoding": "gzip"}),
    ("GET", {"Origin": "https://example.org"}),
    ("HEAD", {}),
    ("GET", {"X-Request-ID": "essai-front-1234"}),
]


class Spy:
    """Counts the answers :class:`hits.Answering` sends."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent = 0
        answer = hits.Answering.__call__

        async def counting(this: Any, *args: Any) -> None:
            self.sent += 1
            await answer(this, *args)

        monkeypatch.setattr(hits.Answering, "__call__", counting)


def _shape(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, "…" if k in DYNAMIC else v) for k, v in response.headers.multi_items()]
    return response.status_code, headers, response.content


def _front(app: Any, on: bool) -> None:
    front = app._front
    front._resolved = True
    front._stack = hits.stack_of(front.app) if on else None
    front._answering = hits.Answering(front._stack) if on and front._stack else None


def test_a_hit_is_the_stacks_answer_header_for_header(
    fixture_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_release(fixture_settings, build_referential_fn=fake_referential)
    spy = Spy(monkeypatch)
    app = create_app(fixture_settings)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        for method, headers in VARIANTS:  # stored (raw and gzip), then answered twice
            client.request(method, URL, headers=headers)
        assert app._front is not None and hits.stack_of(app._front.app) is not None
        for method, headers in VARIANTS:
            before = spy.sent
            front = client.request(method, URL, headers=headers)
            assert spy.sent == before + 1, (method, headers)  # answered in front
            assert front.headers["x-cache"] == "hit" and front.status_code == 200
            _front(app, on=False)
            stack = client.request(method, URL, headers=headers)
            _front(app, on=True)
            assert spy.sent == before + 1  # the whole stack this time
            assert _shape(front) == _shape(stack), (method, headers)
            reset = (int(r.headers["x-ratelimit-reset"]) for r in (front, stack))
            assert 0 <= next(reset) - next(reset) <= 1  # the stack answered just after
            if "X-Request-ID" in headers:
                assert front.headers["x-request-id"] == headers["X-Request-ID"]
            remaining = int(front.headers["x-ratelimit-remaining"])
            assert int(stack.headers["x-ratelimit-remaining"]) == remaining - 1
        assert client.head(URL).content == b""
        assert client.get(URL, headers={"If-None-Match": front.headers["etag"]}).status_code == 304


def test_hits_are_counted_by_metrics_and_usage(
    fixture_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_release(fixture_settings, build_referential_fn=fake_referential)
    spy = Spy(monkeypatch)
    app = create_app(fixture_settings)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        assert client.get(URL).status_code == 200
        before = client.get("/metrics").text
        for _ in range(5):
            assert client.get(URL, headers={"User-Agent": "curl/8.0"}).status_code == 200
        after = client.get("/metrics").text
        app.state.usage.flush()
        counts = app.state.usage.store.counts()
    assert spy.sent == 5
    labels = {"route": "records", "status": "200"}
    grew = _value(after, "ardoise_requests_total", **labels)
    assert grew - _value(before, "ardoise_requests_total", **labels) == 5
    hit = {"result": "hit"}
    assert (
        _value(after, "ardoise_response_cache_total", **hit)
        - _value(before, "ardoise_response_cache_total", **hit)
        == 5
    )
    seconds = "ardoise_request_duration_seconds_count"
    assert _value(after, seconds, route="records") - _value(before, seconds, route="records") == 5
    programs = sum(c.calls for c in counts if c.surface == "records" and c.device == "program")
    assert programs == 6  # the miss that stored the answer, and the 5 hits


def test_the_quota_refuses_hits_too(fixture_settings: Settings) -> None:
    build_release(fixture_settings, build_referential_fn=fake_referential)
    settings = dataclasses.replace(fixture_settings, rate_limit_per_minute=3)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        statuses = [client.get(URL).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


class Unknown:
    def __init__(self, app: Any) -> None:
        self.app = app


def test_the_front_stays_off_past_a_layer_it_does_not_know(fixture_settings: Settings) -> None:
    build_release(fixture_settings, build_referential_fn=fake_referential)
    app = create_app(fixture_settings)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        client.get(URL)
        stack = app._front.app
        assert hits.stack_of(stack) is not None
        assert hits.stack_of(Unknown(stack)) is None  # in front: unknown
        layer = stack
        while type(layer).__name__ != "MetricsMiddleware":
            layer = layer.app
        inner = layer.app
        layer.app = Unknown(inner)  # between metrics and the cache
        try:
            assert hits.stack_of(stack) is None
        finally:
            layer.app = inner
