"""The releases page and the dashboard as it was (issue #18): ``/releases`` lists each
release with its changelog; ``?release=<id>`` renders a page from that release."""

from __future__ import annotations

from starlette.testclient import TestClient

from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.release.test_changelog import _edit_ips, _publish


def test_releases_page_and_pages_of_an_older_release(fixture_settings: Settings) -> None:
    first = _publish(fixture_settings)
    _edit_ips(fixture_settings)
    second = _publish(fixture_settings)
    with TestClient(create_app(fixture_settings), raise_server_exceptions=False) as client:
        data = client.get("/releases.json").json()
        ids = [r["id"] for r in data["releases"]]
        assert ids == [second, first]  # newest first
        newest = data["releases"][0]
        assert newest["servie"] and any("test-ips-ecoles" in t for t in newest["changements"])
        assert any("modifié" in t for t in newest["changements"])
        html = client.get("/releases").text
        assert f"/api/v1/releases/{second}/bundle.zip" in html and f"/?release={first}" in html
        old = client.get(f"/donnees/test-ips-ecoles.json?release={first}")
        new = client.get("/donnees/test-ips-ecoles.json")
        assert old.status_code == new.status_code == 200
        assert old.json()["page"]["release"] == first and new.json()["page"]["release"] == second
        assert old.headers.get("x-ardoise-release") == first
        bad = client.get("/donnees/test-ips-ecoles?release=20990101T000000Z-00000000")
        assert bad.status_code == 404 and "Release inconnue" in bad.text
