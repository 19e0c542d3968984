"""The HTTP surface of a public service (issue #13) and the hostile-client defects of
issue #21 that live in the web assembly: headers, methods, quotas, logs, header sizes."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from ardoise.release.build import build_release
from ardoise.settings import Settings, load_settings
from ardoise.web.app import create_app
from tests.fixtures import fake_referential, write_catalog, write_mirror
from tests.quota_window import outside_minute_edge
from tests.web.live import live_server, raw

ROOT = Path(__file__).resolve().parents[2]
V21 = "/api/explore/v2.1/catalog/datasets"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    tmp = tmp_path_factory.mktemp("http")
    settings = load_settings(
        environ={},
        mirror=write_mirror(tmp / "mirror"),
        catalog_dir=write_catalog(tmp / "catalog"),
        var_dir=tmp / "var",
        node_modules=ROOT / "node_modules",
    )
    assert build_release(settings, build_referential_fn=fake_referential).published
    return settings


@pytest.fixture(scope="module")
def client(served: Settings) -> TestClient:
    with TestClient(create_app(served)) as c:
        yield c  # type: ignore[misc]


SURFACES = ["/", "/donnees", "/donnees.json", V21, f"{V21}/test-ips-ecoles/records", "/health"]


@pytest.mark.parametrize("path", SURFACES)
def test_every_answer_sends_the_headers_of_a_public_service(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert r.headers["x-frame-options"] == "DENY"
    assert "server" not in r.headers and "strict-transport-security" not in r.headers
    if r.headers["content-type"].startswith("text/html"):
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp.split(";")[1]
        # every executable <script> of the page comes from the site (CSP allows no inline one)
        for tag in r.text.split("<script")[1:]:
            head = tag.split(">", 1)[0]
            assert "src=" in head or 'type="application/' in head, head


def test_hsts_when_the_public_address_is_https(served: Settings) -> None:
    with TestClient(create_app(served.replace(public_url="https://ardoise.example"))) as c:
        assert c.get("/health").headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize("path", SURFACES)
def test_head_works_wherever_get_does(client: TestClient, path: str) -> None:
    get, head = client.get(path), client.head(path)
    assert head.status_code == get.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_get_405_with_allow_and_the_error_body(
    client: TestClient, method: str
) -> None:
    for path in (V21, "/donnees", "/health"):
        r = client.request(method, path)
        assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD", (method, path)
        assert r.json()["error_code"] == "MethodNotAllowed"


def test_cors_preflight_for_get(client: TestClient) -> None:
    r = client.options(
        V21, headers={"Origin": "https://a.example", "Access-Control-Request-Method": "GET"}
    )
    assert r.status_code == 200 and "GET" in r.headers["access-control-allow-methods"]
    assert r.headers["access-control-allow-origin"] in ("*", "https://a.example")


def test_oversized_request_headers_are_refused_with_431(client: TestClient) -> None:
    r = client.get("/health", headers={"X-Big": "a" * 20_000})
    assert r.status_code == 431 and r.json()["error_code"] == "RequestHeaderFieldsTooLarge"
    assert client.get("/health", headers={"X-Small": "a" * 1000}).status_code == 200


def test_mcp_refuses_the_endless_get_event_stream(client: TestClient) -> None:
    r = client.get("/mcp", headers={"Accept": "text/event-stream"})
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert r.json()["error_code"] == "MethodNotAllowed"
    assert client.delete("/mcp").status_code == 405


def test_mcp_get_streams_leave_nothing_behind_on_a_real_server(served: Settings) -> None:
    """Hundreds of GET /mcp on a live server: each is answered and closed at once (it used to
    stay open forever); the process's descriptors come back to their baseline."""
    import os

    def fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    with live_server(served) as (_host, port):
        request = (
            b"GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
            b"Connection: close\r\n\r\n"
        )
        raw(port, request)
        baseline = fds()
        answers = [raw(port, request, timeout=2) for _ in range(300)]
        assert all(a.startswith(b"HTTP/1.1 405") for a in answers)
        assert fds() <= baseline + 5


def _quota_hits(c: TestClient, path: str, n: int) -> list[int]:
    outside_minute_edge()
    return [c.get(path, headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code for i in range(n)]


@pytest.mark.parametrize(
    "path", ["/donnees.json", "/donnees", "/api/v1/territoires/communes", f"{V21}"]
)
def test_the_quota_counts_every_public_surface(served: Settings, path: str) -> None:
    settings = served.replace(rate_limit_per_minute=3, response_cache_entries=0)
    with TestClient(create_app(settings)) as c:
        statuses = _quota_hits(c, path, 4)  # rotating X-Forwarded-For changes nothing
        assert statuses[3] == 429, (path, statuses)
        assert c.get("/health").status_code == 200  # the probe is never counted


def test_the_quota_counts_mcp(served: Settings) -> None:
    settings = served.replace(rate_limit_per_minute=2)
    with TestClient(create_app(settings)) as c:
        outside_minute_edge()
        assert [c.get("/mcp").status_code for _ in range(3)] == [405, 405, 429]


def test_forwarded_for_is_believed_only_from_trusted_proxies(served: Settings) -> None:
    """On a live uvicorn (which trusted loopback by default), rotating X-Forwarded-For from
    127.0.0.1 does not escape the quota; behind a configured proxy, each client counts."""
    settings = served.replace(rate_limit_per_minute=2, response_cache_entries=0)

    def statuses(port: int) -> list[int]:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:
            outside_minute_edge()
            return [
                c.get(V21, headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                for i in range(4)
            ]

    with live_server(settings) as (_h, port):
        assert statuses(port)[2:] == [429, 429]
    with live_server(settings.replace(trusted_proxies="127.0.0.1")) as (_h, port):
        assert statuses(port) == [200, 200, 200, 200]


IDENTITY = "nomNaissance=Partilhac&prenoms=Ysaline&dateNaissance=2011-04-03"
VARIANTS = [
    "//v3/men/scolarites/identite",
    "/v3//men/scolarites/identite",
    "/V3/men/scolarites/identite",
    "/v6/men/scolarites/identite",
    "/v3/men/scolarites/identite",
    "/api/explore//v2.1/catalog/datasets",
    "/nimporte/quoi",
]


def test_identity_query_strings_never_reach_the_access_log(served: Settings) -> None:
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger = logging.getLogger("uvicorn.access")
    handler, level = Collect(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with live_server(served, access_log=True) as (_h, port), httpx.Client() as c:
            for path in VARIANTS:
                c.get(f"http://127.0.0.1:{port}{path}?{IDENTITY}")
            c.get(f"http://127.0.0.1:{port}{V21}?limit=1")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert len(lines) == len(VARIANTS) + 1, lines
    text = "\n".join(lines)
    for secret in ("Partilhac", "Ysaline", "2011-04-03"):
        assert secret not in text
    assert f"{V21}?limit=1" in text  # open-data filters stay readable


def test_serve_options_hide_the_server_and_bound_headers(served: Settings) -> None:
    with live_server(served) as (_h, port):
        answer = raw(port, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head = answer.split(b"\r\n\r\n", 1)[0].lower()
        assert head.startswith(b"http/1.1 200") and b"server:" not in head
        big = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n"
        refused = raw(port, big)
        assert refused.startswith((b"HTTP/1.1 431", b"HTTP/1.1 400")) or refused == b""


def test_refused_cors_preflights_answer_the_json_error_body(client: TestClient) -> None:
    r = client.options(
        V21, headers={"Origin": "https://a.example", "Access-Control-Request-Method": "DELETE"}
    )
    assert r.status_code == 400 and r.headers["content-type"] == "application/json"
    assert r.json()["error_code"] == "CorsRefused"


def test_the_first_answer_after_a_start_is_tagged_like_the_next(served: Settings) -> None:
    """The release is loaded by the first request's handler: its answer still carries the
    ETag and Cache-Control of the release (seen missing in the #12 snapshot replay)."""
    path = f"{V21}/test-ips-ecoles/records?limit=2"
    with TestClient(create_app(served)) as fresh:
        first = fresh.get(path)
        second = fresh.get(path)
    assert first.status_code == second.status_code == 200
    assert first.headers.get("etag") == second.headers["etag"]
    assert first.headers.get("cache-control") == second.headers["cache-control"]
    assert second.headers.get("x-cache") == "hit"  # and stored like any answer


def test_exports_answer_conditional_gets_and_ignore_ranges(client: TestClient) -> None:
    export = f"{V21}/test-ips-ecoles/exports/csv"
    first = client.get(export)
    assert first.status_code == 200 and first.headers["etag"]
    again = client.get(export, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    ranged = client.get(export, headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 200 and ranged.content == first.content  # ignored cleanly
    for bad in ("bytes=9-0", "bytes=abc", "octets=1-2", "bytes=" + "1-2," * 2000):
        assert client.get(export, headers={"Range": bad}).status_code == 200


# Raw requests as attackers and broken clients send them: each must get an answer below 500
# (or a closed connection), never a 5xx.
HOSTILE = [
    b"GET / HTTP/1.1\r\n\r\n",
    b"GET /health HTTP/1.0\r\n\r\n",
    b"GARBAGE\r\n\r\n",
    b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /%00 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /api/explore/v2.1/catalog/datasets?where=%ff HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /api/explore/v2.1/catalog/datasets?limit=%00 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET " + b"/a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Accept: application/json, text/event-stream\r\nContent-Length: 7\r\n\r\n{bad js",
    b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{",
    b"GET /donnees/..%2f..%2fetc%2fpasswd HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /static/..%2fmanifest.json HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /api/explore/v2.1/catalog/datasets/test-ips-ecoles/exports/csv HTTP/1.1\r\n"
    b"Host: x\r\nRange: bytes=-1\r\nIf-None-Match: \x01\r\n\r\n",
    b"GET /api/v1/territoires/communes HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: ::1, \xff\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 100_000 + b"\r\n\r\n",
    b"GET /health HTTP/9.9\r\nHost: x\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS hello on the plain port
    b"GET /health HTTP/1.1\r\nHost: x\r\n",  # never finished
]


def test_a_hostile_raw_socket_corpus_never_gets_a_5xx(served: Settings) -> None:
    with live_server(served) as (_h, port):
        answers = [raw(port, request, timeout=1) for request in HOSTILE]
        for request, answer in zip(HOSTILE, answers, strict=True):
            assert not answer[9:12].startswith(b"5"), (request[:60], answer[:200])
        assert sum(a.startswith(b"HTTP/1.") for a in answers) >= len(HOSTILE) - 4  # answered
        garbage = answers[HOSTILE.index(b"GARBAGE\r\n\r\n")]
        assert garbage.startswith(b"HTTP/1.1 400") and b"application/json" in garbage
        assert b'"error_code":"InvalidHTTPRequest"' in garbage
        assert (
            raw(port, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")[9:12]
            == b"200"
        )  # still serving
