"""An app over a release built from the fixture sources by the real pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ardoise.release.build import build_release
from ardoise.settings import Settings, load_settings
from tests.fixtures import fake_referential, write_catalog, write_mirror

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def meta_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    tmp = tmp_path_factory.mktemp("metadata")
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
def client(meta_settings: Settings) -> Iterator[object]:
    from starlette.testclient import TestClient

    from ardoise.web.app import create_app

    with TestClient(create_app(meta_settings), raise_server_exceptions=False) as c:
        yield c
