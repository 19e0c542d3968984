from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from ardoise.errors import ReleaseCorrupt
from ardoise.release.build import build_release
from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.fixtures import fake_referential


def _client(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings)), base_url="http://test"
    )


@pytest.mark.anyio
async def test_health_and_home_without_release(fixture_settings: Settings) -> None:
    async with _client(fixture_settings) as client:
        r = await client.get("/health")
        assert r.status_code == 200 and r.json()["status"] == "sans_release"
        r = await client.get("/")  # the dashboard's home: a French page, 503 until a release
        assert r.status_code == 503 and "Aucune release" in r.text


@pytest.mark.anyio
async def test_health_and_home_with_release(fixture_settings: Settings) -> None:
    result = build_release(fixture_settings, build_referential_fn=fake_referential)
    async with _client(fixture_settings) as client:
        r = await client.get("/health")
        assert r.json() == {"status": "ok", "release": result.release_id, "version": "0.1.0"}
        r = await client.get("/")
        assert r.status_code == 200 and str(result.release_id) in r.text
        assert '<html lang="fr"' in r.text.replace("'", '"')
        r = await client.get("/donnees")  # the dashboard's catalog
        assert "test-ips-ecoles" in r.text


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_unservable_release_is_a_503_and_not_reloaded_each_time(tmp_path: Path) -> None:
    """A release whose manifest cannot be read answers 503 with a French message, and the
    holder does not retry the load on every request."""
    from ardoise.query.release import ReleaseHolder
    from ardoise.settings import load_settings

    var = tmp_path / "var"
    (var / "releases" / "r1").mkdir(parents=True)
    (var / "releases" / "r1" / "manifest.json").write_text("{pas du json", "utf-8")
    (var / "current").symlink_to("releases/r1")
    settings = load_settings(environ={}, var_dir=var)
    holder = ReleaseHolder(settings)
    with pytest.raises(ReleaseCorrupt, match="ne peut pas être servie") as first:
        holder.get()
    with pytest.raises(ReleaseCorrupt) as second:
        holder.get()
    assert second.value is first.value  # the failure is remembered for that target
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        r = client.get("/api/explore/v2.1/catalog/datasets")
        assert r.status_code == 503 and "ne peut pas être servie" in r.json()["message"]
