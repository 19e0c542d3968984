"""An app over a release built from the fixture sources, shared by the API tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ardoise.release.build import build_release
from ardoise.settings import Settings, load_settings
from ardoise.web.app import create_app
from tests.fixtures import fake_referential, write_catalog, write_mirror

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def api_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    tmp = tmp_path_factory.mktemp("api")
    settings = load_settings(
        environ={},
        mirror=write_mirror(tmp / "mirror"),
        catalog_dir=write_catalog(tmp / "catalog"),
        var_dir=tmp / "var",
        node_modules=ROOT / "node_modules",
    )
    result = build_release(settings, build_referential_fn=fake_referential)
    assert result.published
    return settings


@pytest.fixture(scope="session")
def client(api_settings: Settings) -> Iterator[httpx.Client]:
    from starlette.testclient import TestClient

    with TestClient(create_app(api_settings), raise_server_exceptions=False) as c:
        yield c  # type: ignore[misc]
