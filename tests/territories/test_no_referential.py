"""A release whose referential is incomplete: territories are unknown (404), never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ardoise.api.territoires import build_router
from ardoise.release.build import build_release
from ardoise.settings import load_settings
from ardoise.web.app import create_app
from tests.fixtures import fake_referential, write_catalog, write_mirror

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    from starlette.testclient import TestClient

    tmp = tmp_path_factory.mktemp("sans-referentiel")
    settings = load_settings(
        environ={},
        mirror=write_mirror(tmp / "mirror"),
        catalog_dir=write_catalog(tmp / "catalog"),
        var_dir=tmp / "var",
        node_modules=ROOT / "node_modules",
    )
    assert build_release(settings, build_referential_fn=fake_referential).published
    app = create_app(settings)
    app.include_router(build_router(), prefix="/api/v1")
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_degrades_to_not_found(bare: httpx.Client) -> None:
    results = bare.get("/api/v1/territoires", params={"q": "0352"}).json()["results"]
    assert results and {r["niveau"] for r in results} == {"etablissement"}
    assert bare.get("/api/v1/territoires/departement/35").status_code == 404
    assert bare.get("/api/v1/geo/departement.topojson").status_code == 404
    assert bare.get("/api/v1/geo/commune.topojson?parent=departement:35").status_code == 404
    r = bare.get(
        "/api/explore/v2.1/catalog/datasets/test-ips-ecoles/records",
        params={"territoire": "academie:10"},
    )  # linked codes, not checked
    assert r.status_code == 200 and r.json()["total_count"] == 4
