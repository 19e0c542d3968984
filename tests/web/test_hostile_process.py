"""Issue #21 re-checked against ``ardoise serve`` run as its users run it (a separate
process on a free loopback port): memory after /mcp clients leave (point 1), a Parquet
file corrupted after validation (point 2), identity query strings in every log the server
writes (point 3), and a generated raw-socket corpus over every route family (no 5xx)."""

from __future__ import annotations

import contextlib
import os
import socket
import time
from pathlib import Path

import httpx
import pytest

from ardoise.release.build import build_release
from ardoise.settings import Settings, load_settings
from tests.fixtures import fake_referential, write_catalog, write_mirror
from tests.web.process import Served, serve_process

ROOT = Path(__file__).resolve().parents[2]
V21 = "/api/explore/v2.1/catalog/datasets"
MCP_POST = (
    b'{"jsonrpc":"2.0","id":1,"method":"tools/call",'
    b'"params":{"name":"list_indicators","arguments":{}}}'
)


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    tmp = tmp_path_factory.mktemp("served")
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
def server(released: Settings, tmp_path_factory: pytest.TempPathFactory) -> Served:
    log = tmp_path_factory.mktemp("log") / "serve.log"
    with serve_process(released, log, ARDOISE_RESPONSE_CACHE_ENTRIES="0") as served:
        yield served  # type: ignore[misc]


def _mcp_get() -> bytes:
    return b"GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"


def _mcp_post(port: int) -> bytes:
    head = (
        f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        "Accept: application/json, text/event-stream\r\n"
        f"Content-Length: {len(MCP_POST)}\r\n\r\n"
    )
    return head.encode() + MCP_POST


def _wave(port: int, n: int) -> tuple[int, list[bytes]]:
    """Open ``n`` /mcp connections (half GET, half POST), all held open at once; returns
    the number of connections the server accepted, and the first bytes of each answer."""
    conns: list[socket.socket] = []
    try:
        for i in range(n):
            c = socket.create_connection(("127.0.0.1", port), timeout=10)
            c.sendall(_mcp_get() if i % 2 == 0 else _mcp_post(port))
            conns.append(c)
        heads = []
        for c in conns:
            with contextlib.suppress(OSError):
                heads.append(c.recv(64))
        return len(conns), heads
    finally:
        for c in conns:
            c.close()


def _settle(server: Served) -> int:
    """The RSS once the server has closed the connections (a few seconds at most)."""
    time.sleep(1.5)
    return server.rss_kib()


def test_memory_returns_to_baseline_after_mcp_clients_leave(server: Served) -> None:
    """Point 1. Tolerance: 24 MiB above the baseline taken after a warm-up wave (the first
    requests allocate caches and the allocator's arenas, which CPython does not give back),
    and no growth between the second and the fourth wave beyond 8 MiB. The leak the issue
    found held ~85 KiB per connection (1.7 GB for 20,000): 1,600 connections would leave
    ~130 MiB behind."""
    _wave(server.port, 100)  # warm-up: the MCP server, the tool, the parser
    baseline = _settle(server)
    fds = server.fds()
    after: list[int] = []
    for _ in range(4):
        opened, heads = _wave(server.port, 400)
        assert opened == 400
        assert all(h.startswith((b"HTTP/1.1 405", b"HTTP/1.1 200")) for h in heads), heads[:3]
        after.append(_settle(server))
    assert after[-1] <= baseline + 24 * 1024, (baseline, after)
    assert after[-1] <= after[1] + 8 * 1024, (baseline, after)
    assert server.fds() <= fds + 5
    assert httpx.get(f"{server.url}/health", timeout=10).json()["status"] == "ok"


IDENTITY = "nomNaissance=Partilhac&prenoms=Ysaline&dateNaissance=2011-04-03"
SECRETS = ("Partilhac", "Ysaline", "2011-04-03")
PATH_VARIANTS = [
    "/v3/men/scolarites/identite",
    "//v3/men/scolarites/identite",
    "///v3/men/scolarites/identite",
    "/v3//men/scolarites/identite",
    "/v3/men//scolarites/identite",
    "/V3/men/scolarites/identite",
    "/v3/MEN/Scolarites/Identite",
    "/v4/men/scolarites/identite",
    "/v6/men/scolarites/identite",
    "/v3%2Fmen%2Fscolarites%2Fidentite",
    "/v3/men%2fscolarites/identite",
    "/%2Fv3/men/scolarites/identite",
    "/v3;x=1/men/scolarites/identite",
    "/v3/men/scolarites/identite;jsessionid=1",
    "/v3/./men/scolarites/identite",
    "/v3/men/../men/scolarites/identite",
    "/v3/men/scolarites/identite/",
    "/v3/men/scolarites/certificat",
    "/api/introspect",
    "/verifier",
    "/api/explore//v2.1/catalog/datasets",
    "/nimporte/quoi",
    "/mcp",
]


def test_identity_query_strings_reach_no_log(server: Served) -> None:
    """Point 3: every path variant (doubled, upper-cased, other versions, encoded slashes,
    ``;`` parameters, dot segments), on GET, HEAD and POST, and in a raw request the parser
    refuses; then everything the process wrote (uvicorn's access and error logs, the app's
    log) is read: no name, no birth date."""
    with httpx.Client(base_url=server.url, timeout=10) as c:
        for path in PATH_VARIANTS:
            for method in ("GET", "HEAD", "POST"):
                r = c.request(method, f"{path}?{IDENTITY}")
                assert r.status_code < 500 or _documented_503(path, r.status_code), (
                    method,
                    path,
                    r.status_code,
                )
        c.get(f"{V21}?limit=1&where=nom_de_l_ecole%3D%22x%22")
    for line in (
        f"GET /v3/men/scolarites/identite?{IDENTITY} HTTP/1.1\r\nHost: x\r\nX: \x01\r\n\r\n",
        f"GET //v3/men/scolarites/identite?{IDENTITY} HTTP/9.9\r\nHost: x\r\n\r\n",
        f"GARBAGE /v3/men?{IDENTITY}\r\n\r\n",
    ):
        _raw(server.port, line.encode())
    time.sleep(0.5)
    text = server.log.read_text(errors="replace")
    assert "/v3/men/scolarites/identite" in text  # the log was written, paths kept
    for secret in SECRETS:
        assert secret not in text, [ln for ln in text.splitlines() if secret in ln][:3]
    assert f"{V21}?limit=1" in text  # open-data filters stay readable


# Without a registry, the enrolment checks answer their documented 503 (README, #7).
ENROLMENT = ("/v3/", "/v4/", "/v5/", "/api/introspect", "/verifier")


def _documented_503(path: str, status: int | bytes) -> bool:
    return status in (503, b"503") and path.lower().lstrip("/").startswith(
        tuple(p.strip("/") for p in ENROLMENT)
    )


def _raw(port: int, request: bytes, timeout: float = 2.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        with contextlib.suppress(OSError):
            conn.sendall(request)
        chunks = []
        with contextlib.suppress(TimeoutError, OSError):
            while chunk := conn.recv(65536):
                chunks.append(chunk)
                if len(chunks) > 64:
                    break
        return b"".join(chunks)


# One path per route family (the 55 surfaces of the issue, folded by family).
FAMILIES = [
    "/health",
    "/ready",
    "/",
    "/index.json",
    "/donnees",
    "/donnees.json",
    "/donnees/test-ips-ecoles",
    "/donnees/test-ips-ecoles.json",
    "/donnees/test-ips-ecoles.md",
    "/territoires/academie/10",
    "/territoires/academie/10.json",
    "/etablissements/0352778E",
    "/indicateurs",
    "/qualite",
    "/a-propos",
    "/recherche",
    "/sql",
    "/api/docs",
    "/api/openapi.json",
    "/llms.txt",
    "/llms-full.txt",
    V21,
    f"{V21}/test-ips-ecoles",
    f"{V21}/test-ips-ecoles/records",
    f"{V21}/test-ips-ecoles/records/1",
    f"{V21}/test-ips-ecoles/facets",
    f"{V21}/test-ips-ecoles/exports",
    f"{V21}/test-ips-ecoles/exports/csv",
    f"{V21}/test-ips-ecoles/exports/xlsx",
    f"{V21}/test-ips-ecoles/exports/parquet",
    "/api/explore/v2.1/catalog/facets",
    "/api/explore/v2.1/catalog/exports/dcat",
    "/api/explore/v2.0/catalog/datasets/test-ips-ecoles/records",
    "/api/v2/catalog/datasets",
    "/api/records/1.0/search/",
    "/api/records/1.0/download/",
    "/api/datasets/1.0/search/",
    "/api/datasets/1.0/test-ips-ecoles/",
    "/explore/dataset/test-ips-ecoles/download/",
    "/api/v1/territoires",
    "/api/v1/territoires/academie/10",
    "/api/v1/etablissements/0352778E",
    "/api/v1/geo/academie.topojson",
    "/api/v1/indicateurs",
    "/api/v1/couverture",
    "/api/v1/sql",
    "/api/v1/sql/tables",
    "/api/v1/datapackage.json",
    "/api/v1/changelog.atom",
    "/mcp",
    "/v3/men/scolarites/identite",
    "/verifier",
    "/metrics",
    "/usages",
    "/static/nothing.css",
    "/mes-enfants",  # issue #16: the families' view and the partners' usage
    "/mes-enfants/enfant/0123456789abcdef01234567",
    "/partenaires/usage.json",
]
QUERIES = [
    "",
    "?limit=-99999999999999999999",
    "?where=%ff%fe",
    "?where=" + "(" * 300,
    "?q=%00",
    "?select=" + "a," * 2000,
    "?refine=:%0d%0aX-Injected:%201",
    "?format=../../etc/passwd",
    "?release=../../x&date=2099-99-99",
    "?territoire=academie:%00",
    "?lang=%C0%AF",
    "?a=" + "b" * 20_000,
    "?%zz=1&&&==",
]
HEADERS = [
    b"",
    b"Accept: */*;q=abc\r\n",
    b"Accept-Encoding: gzip;q=2, br, zstd, \xff\r\n",
    b"If-None-Match: " + b'"x",' * 500 + b"\r\n",
    b"Range: bytes=99999999999-1\r\n",
    b"X-Forwarded-For: 1.2.3.4, ::1, \xff\xfe\r\n",
    b"Origin: http://evil.example\r\nAccess-Control-Request-Method: DELETE\r\n",
    b'Content-Length: 10\r\n\r\n{"a":',
    b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
]
METHODS = [b"GET", b"HEAD", b"POST", b"OPTIONS", b"DELETE", b"PROPFIND"]


def _corpus() -> list[bytes]:
    """Every family × a rotation of hostile queries, headers and methods, plus encoded
    and doubled variants of each path: ≈ 4,000 requests."""
    out = []
    for i, path in enumerate(FAMILIES):
        variants = [path, "/" + path, path.upper(), path.replace("/", "%2F", 2), path + ";x=1"]
        for j in range(len(QUERIES) * 5):
            target = variants[j % len(variants)] + QUERIES[j % len(QUERIES)]
            method = METHODS[(i + j) % len(METHODS)]
            header = HEADERS[(i * 7 + j) % len(HEADERS)]
            head = method + b" " + target.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            if header.endswith(b"\r\n\r\n") or b"\r\n\r\n" in header:
                out.append(head + b"Connection: close\r\n" + header)
            else:
                out.append(head + header + b"Connection: close\r\n\r\n")
    return out


def test_a_generated_hostile_corpus_over_every_route_family_never_gets_a_5xx(
    server: Served,
) -> None:
    """Point 5: ≈ 4,000 raw requests (55 families × 65 hostile variants), bounded to 240 s;
    no answer is a 5xx, the server keeps serving, its log holds no traceback."""
    corpus = _corpus()
    assert len(corpus) >= 3500
    deadline = time.monotonic() + 240
    statuses: dict[bytes, int] = {}
    sent = 0
    for request in corpus:
        if time.monotonic() > deadline:
            break
        answer = _raw(server.port, request, timeout=2)
        sent += 1
        status = answer[9:12]
        statuses[status] = statuses.get(status, 0) + 1
        target = request.split(b" ", 2)[1].decode(errors="replace")
        documented = _documented_503(target, status)
        assert not status.startswith(b"5") or documented, (request[:120], answer[:300])
    assert sent >= 1000, sent
    assert httpx.get(f"{server.url}/health", timeout=10).json()["status"] == "ok"
    assert "Traceback" not in server.log.read_text(errors="replace")


def test_a_parquet_corrupted_after_validation_never_gives_a_500(
    released: Settings, tmp_path: Path
) -> None:
    """Point 2, run-time half: the served release's Parquet files are overwritten once it
    is loaded (after the sha256 verification): the answers already in memory keep coming,
    the SQL surface that reads the files answers the documented 503 without a path, no
    answer is a 500 and the log holds no traceback."""
    import shutil

    var = tmp_path / "var"
    shutil.copytree(released.var_dir, var, symlinks=True)
    settings = released.replace(var_dir=var)
    with serve_process(settings, tmp_path / "serve.log") as served:
        with httpx.Client(base_url=served.url, timeout=30) as c:
            assert c.get(f"{V21}/test-ips-ecoles/records?limit=1").status_code == 200
            data = settings.current_link.resolve() / "data"
            data.chmod(0o755)
            for f in data.glob("*.parquet"):
                f.chmod(0o644)
                f.write_bytes(b"PAR1 not a parquet file PAR1")
            answers = {
                path: c.get(path)
                for path in (
                    f"{V21}/test-ips-ecoles/records?limit=5",
                    f"{V21}/test-ips-ecoles/exports/csv",
                    '/api/v1/sql?q=SELECT count(*) FROM "test-ips-ecoles"',
                    "/api/v1/territoires?q=rennes",
                    "/donnees/test-ips-ecoles",
                    "/health",
                    "/ready",
                )
            }
        for path, r in answers.items():
            assert r.status_code < 500 or r.status_code == 503, (path, r.status_code, r.text)
        sql = answers['/api/v1/sql?q=SELECT count(*) FROM "test-ips-ecoles"']
        assert sql.status_code == 503 and sql.json()["error_code"] == "ReleaseCorrupt"
        assert str(tmp_path) not in sql.text and "rollback" in sql.text
        assert answers[f"{V21}/test-ips-ecoles/records?limit=5"].status_code == 200
        assert "Traceback" not in served.log.read_text(errors="replace")
    assert os.path.isdir(settings.releases_dir)


def test_points_6_and_7_hold_on_the_running_server(server: Served, released: Settings) -> None:
    """Point 6: the resolved folders are printed at start. Point 7: no ``server`` header,
    an oversized header gets 431 with the JSON body, an unparsable request the JSON 400,
    a non-GET /mcp a 405 (point 1's refusal)."""
    text = server.log.read_text(errors="replace")
    assert f"Releases et cache : {released.var_dir.resolve()}" in text
    head = _raw(server.port, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"\r\nserver:" not in head.lower()
    big = _raw(server.port, b"GET /health HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 40_000 + b"\r\n\r\n")
    assert big.startswith(b"HTTP/1.1 431") and b'"error_code"' in big, big[:200]
    garbage = _raw(server.port, b"GARBAGE\r\n\r\n")
    assert garbage.startswith(b"HTTP/1.1 400") and b'"error_code":"InvalidHTTPRequest"' in garbage
    get = _raw(server.port, _mcp_get().replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
    assert get.startswith(b"HTTP/1.1 405")
