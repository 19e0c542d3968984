"""A release that cannot be loaded at run time (issue #21): the previous one stays served,
``/health`` says why, and no answer shows an absolute path."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.testclient import TestClient

from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.release.test_integrity import _break, _flip, _two_releases

V21 = "/api/explore/v2.1/catalog/datasets"


def _point_current_at(settings: Settings, release_id: str) -> None:
    """What an operator's hand (not `ardoise rollback`, which verifies) would do."""
    tmp = settings.var_dir / ".current-test"
    os.symlink(Path("releases") / release_id, tmp)
    os.replace(tmp, settings.current_link)


def _first_parquet(settings: Settings, release_id: str) -> str:
    manifest = ReleaseStore(settings.var_dir).manifest(release_id)
    return sorted(e.parquet.path for e in manifest.published.values() if e.parquet)[0]


def test_a_corrupt_release_keeps_the_previous_one_served(fixture_settings: Settings) -> None:
    first, second = _two_releases(fixture_settings)
    _point_current_at(fixture_settings, first)
    with TestClient(create_app(fixture_settings)) as client:
        assert client.get("/health").json()["status"] == "ok"
        assert client.get(V21).status_code == 200
        _break(
            fixture_settings.releases_dir / second, _first_parquet(fixture_settings, second), _flip
        )
        _point_current_at(fixture_settings, second)
        for _ in range(3):
            assert client.get(f"{V21}?limit=1").status_code == 200
        health = client.get("/health").json()
        assert health["status"] == "release_precedente" and health["release"] == first
        assert second in health["probleme"] and "empreinte" in health["probleme"]
        assert str(fixture_settings.var_dir) not in health["probleme"]


def test_without_a_previous_release_the_answer_is_a_clean_503(fixture_settings: Settings) -> None:
    _first, second = _two_releases(fixture_settings)
    (fixture_settings.releases_dir / second / "data").chmod(0o755)
    for name in os.listdir(fixture_settings.releases_dir / second / "data"):
        path = fixture_settings.releases_dir / second / "data" / name
        path.unlink()
    with TestClient(create_app(fixture_settings), raise_server_exceptions=False) as client:
        r = client.get(V21)
        assert r.status_code == 503 and r.json()["error_code"] == "ReleaseCorrupt"
        assert "/" + fixture_settings.var_dir.parts[1] not in r.text  # no absolute path at all
        health = client.get("/health").json()
        assert health["status"] == "release_inservable" and "parquet" in health["probleme"]
