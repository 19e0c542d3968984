"""Uploads above ``upload_max_mb`` (issue #15) are refused while they stream in: a 2 GB
body is cut after the cap (the app never reads the rest), a declared Content-Length above
the cap is refused before any byte; a French 413, nothing on disk."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from starlette.testclient import TestClient

from ardoise.settings import Settings
from ardoise.web.app import create_app
from ardoise.web.errors import error_body
from ardoise.web.upload_limit import ENVELOPE, UploadLimitMiddleware

CHUNK = 1 << 20
TWO_GB = 2 << 30


def _run(path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, list[Any], int]:
    """A 2 GB body offered 1 MB at a time to an app that reads all it is given."""
    pulled = 0
    consumed = 0
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": pulled * CHUNK < TWO_GB}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def app(scope: Any, rcv: Any, snd: Any) -> None:
        nonlocal consumed
        while True:
            message = await rcv()
            if message["type"] == "http.disconnect":
                raise RuntimeError("client gone")  # what Starlette's parser does
            consumed += len(message["body"])
            if not message.get("more_body"):
                break
        await snd({"type": "http.response.start", "status": 200, "headers": []})
        await snd({"type": "http.response.body", "body": b"ok"})

    middleware = UploadLimitMiddleware(app, max_mb=2, error_body=error_body)
    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    asyncio.run(middleware(scope, receive, send))
    return pulled, sent, consumed


def test_a_2_gb_stream_is_cut_after_the_cap() -> None:
    pulled, sent, consumed = _run("/api/producteurs/v1/jeux/x/versions", [])
    assert pulled * CHUNK <= (2 << 20) + ENVELOPE + CHUNK  # a few MB read, not 2 GB
    assert consumed <= (2 << 20) + ENVELOPE
    assert sent[0]["status"] == 413 and len(sent) == 2  # only our answer left
    body = orjson.loads(sent[1]["body"])
    assert body["error_code"] == "UploadTooLarge" and "2 Mo" in body["message"]


def test_a_declared_2_gb_body_is_refused_before_reading() -> None:
    pulled, sent, _ = _run(
        "/producteurs/organisations/x/soumettre", [(b"content-length", str(TWO_GB).encode())]
    )
    assert pulled == 0
    assert sent[0]["status"] == 413
    assert "Fichier trop volumineux" in sent[1]["body"].decode()  # a French page


def test_other_routes_are_not_limited() -> None:
    _pulled, sent, consumed = _run("/api/explore/v2.1/catalog/datasets", [])
    assert sent[0]["status"] == 200 and consumed == TWO_GB


def test_through_the_app(fixture_settings: Settings) -> None:
    settings = fixture_settings.replace(upload_max_mb=1)
    with TestClient(create_app(settings)) as client:
        big = b"a;b\n" + b"1;2\n" * (700_000)  # ≈ 2.8 MB
        answer = client.post(
            "/api/producteurs/v1/jeux/test-ips-ecoles/versions",
            files={"fichier": ("ecoles.csv", big, "text/csv")},
            headers={"Authorization": "Bearer ard_x"},
        )
        assert answer.status_code == 413 and answer.json()["error_code"] == "UploadTooLarge"
    assert not (settings.var_dir / "soumissions").exists()
