"""Issue #13 over the fixture release: requests as programs written for the portal send
them (qualified ids, raw UTF-8, invalid UTF-8, LIKE with %, repeated refine), GeoJSON of a
dataset without geometry, the headers programs read, OpenAPI where clients look for it.

Choices where the portal's behaviour is unknown are written beside their case."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest

V21 = "/api/explore/v2.1/catalog/datasets"
CAL = "test-calendrier"
RATE = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


def raw_get(client: httpx.Client, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """GET with raw (unencoded) bytes in the query string, straight to the ASGI app (httpx
    refuses such a URL, some HTTP clients send it)."""
    path, _, query = raw.partition(b"?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path.decode(), "raw_path": path, "query_string": query,
        "root_path": "", "server": ("testserver", 80), "client": ("127.0.0.1", 1),
        "headers": [(b"host", b"testserver")],
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def call() -> None:
        await client.app(scope, receive, send)  # type: ignore[attr-defined]

    anyio.run(call)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, body


def test_raw_utf8_query_is_read_as_utf8(client: httpx.Client) -> None:
    status, _, body = raw_get(
        client, f'{V21}/{CAL}/records?where=population="Élèves"&limit=5'.encode()
    )
    assert status == 200
    assert httpx.Response(200, content=body).json()["total_count"] == 1


@pytest.mark.parametrize(
    "query",
    [
        b"where=population=%22%FF%22",  # Latin-1 byte, percent-encoded
        b"where=population=%22%E9l%E8ves%22",  # "élèves" sent in Latin-1
        b"where=%C3%28",  # a broken two-byte sequence
        b"refine=zones:%FFZone",
        b'where=population="\xe9"',  # a raw Latin-1 byte, not encoded
    ],
)
def test_invalid_utf8_is_a_400_in_the_portal_shape(client: httpx.Client, query: bytes) -> None:
    status, headers, body = raw_get(client, f"{V21}/{CAL}/records?".encode() + query)
    assert status == 400
    error = httpx.Response(400, content=body).json()
    assert error["error_code"] == "InvalidRESTParameterError"
    assert "UTF-8" in error["message"]
    assert headers["content-type"] == "application/json"


def test_stray_percent_is_literal(client: httpx.Client) -> None:
    # Choice (the portal's behaviour is unknown): a % not followed by two hex digits is a
    # literal %, as the WHATWG URL standard decodes it; browsers and httpx send
    # like "Zone%" typed in a URL as is, and the program expects it to match.
    status, _, body = raw_get(client, f'{V21}/{CAL}/records?where=zones like "Zone%"'.encode())
    assert status == 200
    assert httpx.Response(200, content=body).json()["total_count"] == 4  # not Nouvelle Calédonie
    status, _, body = raw_get(client, f'{V21}/{CAL}/records?where=zones="Zone%2'.encode())
    assert status == 400  # the stray % leaves an unterminated string: the parser's 400
    assert httpx.Response(400, content=body).json()["error_code"] == "ODSQLError"


@pytest.mark.parametrize(
    "url",
    [
        f"{V21}/{CAL}@dataeducation/records?limit=2",
        f"{V21}/{CAL}@dataeducation",
        f"{V21}/{CAL}@dataeducation/exports/csv",
        f"/api/explore/v2.0/catalog/datasets/{CAL}@dataeducation/records",
        f"/api/records/1.0/search/?dataset={CAL}@dataeducation&rows=2",
        f"/api/datasets/1.0/{CAL}@dataeducation/",
        f"/explore/dataset/{CAL}@dataeducation/download/?format=csv",
    ],
)
def test_qualified_dataset_id_is_the_same_dataset(client: httpx.Client, url: str) -> None:
    plain = client.get(url.replace("@dataeducation", ""))
    qualified = client.get(url)
    assert plain.status_code == qualified.status_code == 200
    assert qualified.content == plain.content


def test_other_domain_is_another_dataset(client: httpx.Client) -> None:
    r = client.get(f"{V21}/{CAL}@autreportail/records")
    assert r.status_code == 404
    assert r.json()["error_code"] == "NotFound"


def test_like_percent_and_repeated_refine_over_http(client: httpx.Client) -> None:
    like = client.get(f"{V21}/{CAL}/records", params={"where": 'zones like "%Zone B%"'})
    assert like.json()["total_count"] == 2
    refine = client.get(
        f"{V21}/{CAL}/records", params=[("refine", "zones:Zone A"), ("refine", 'zones:"Zone B"')]
    )
    assert {r["zones"] for r in refine.json()["results"]} == {"Zone A", "Zone B"}
    v1 = client.get(
        "/api/records/1.0/search/",
        params=[("dataset", CAL), ("refine.zones", "Zone A"), ("refine.zones", "Zone Z")],
    )
    assert v1.json()["nhits"] == 2
    excluded = client.get(
        f"{V21}/{CAL}/records", params=[("exclude", "zones:Zone A"), ("exclude", "zones:Zone B")]
    )
    assert {r["zones"] for r in excluded.json()["results"]} == {"Nouvelle Calédonie", "Zone Z"}


def test_geojson_of_a_dataset_without_geometry(client: httpx.Client) -> None:
    r = client.get(f"{V21}/{CAL}/exports/geojson")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    body = r.json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == 5
    assert all(f["geometry"] is None for f in body["features"])
    assert body["features"][0]["properties"]["zones"] == "Zone A"


def test_parquet_content_type_is_the_portals(client: httpx.Client) -> None:
    r = client.get(f"{V21}/{CAL}/exports/parquet")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.content[:4] == b"PAR1"


@pytest.mark.parametrize(
    "url",
    [
        f"{V21}/{CAL}/records?limit=1",
        f"{V21}/{CAL}",
        f"{V21}?limit=1",
        f"{V21}/{CAL}/exports/csv",
        f"{V21}/{CAL}/records?where=inconnu=1",  # an error answer too
        f"/api/records/1.0/search/?dataset={CAL}",
    ],
)
def test_rate_limit_headers_on_every_api_answer(client: httpx.Client, url: str) -> None:
    r = client.get(url)
    assert all(h in r.headers for h in RATE), dict(r.headers)
    # no quota configured: the portal's documented one (5000 calls a day per address)
    assert r.headers["x-ratelimit-limit"] == "5000"
    assert 0 <= int(r.headers["x-ratelimit-remaining"]) < 5000
    assert 0 < int(r.headers["x-ratelimit-reset"]) <= 86_400


def test_default_quota_is_stated_not_enforced(client: httpx.Client) -> None:
    from ardoise.web.ratelimit import RateLimitMiddleware

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limiter = RateLimitMiddleware(app, per_minute=2, window=86_400, enforce=False)
    statuses = []
    for _ in range(4):
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any], sent: list[dict[str, Any]] = sent) -> None:
            sent.append(message)

        async def call() -> None:
            scope = {"type": "http", "path": "/api/x", "client": ("1.2.3.4", 1), "headers": []}
            await limiter(scope, None, send)  # type: ignore[arg-type]

        anyio.run(call)
        statuses.append((sent[0]["status"], dict(sent[0]["headers"])[b"x-ratelimit-remaining"]))
    assert statuses == [(200, b"1"), (200, b"0"), (200, b"0"), (200, b"0")]


@pytest.mark.parametrize(
    "path", ["/api/explore/v2.1/swagger.json", "/openapi.json", "/api/explore/v2.0/swagger.json"]
)
def test_openapi_where_clients_look(client: httpx.Client, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert r.json() == client.get("/api/openapi.json").json()
    paths = r.json()["paths"]
    for route in (
        "/api/explore/v2.1/catalog/datasets",
        "/api/explore/v2.1/catalog/datasets/{dataset_id}/records",
        "/api/explore/v2.1/catalog/datasets/{dataset_id}/exports/{fmt}",
        "/api/records/1.0/search/",
    ):
        assert route in paths


@pytest.mark.parametrize(
    "url",
    [
        f"{V21}/{CAL}?select=zones&limit=3&where=zones=1&refine=zones:x&order_by=zones",
        f"{V21}/{CAL}/exports?select=zones&limit=1",
        f"/api/explore/v2.0/catalog/datasets/{CAL}?rows=5&select=y",
        f"/api/datasets/1.0/{CAL}/?rows=3&interopmetas=true&sort=x",
    ],
)
def test_metadata_endpoints_ignore_parameters_they_do_not_use(
    client: httpx.Client, url: str
) -> None:
    plain = client.get(url.split("?", 1)[0])
    r = client.get(url)
    assert r.status_code == 200, r.text
    assert r.json() == plain.json()
