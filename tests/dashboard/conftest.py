"""Fixtures of the dashboard tests: one release built by the real pipeline from the
dashboard's sample files, and one app (in-process client) serving it, per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ardoise.release.build import build_release
from ardoise.settings import Settings, load_settings
from ardoise.web.app import create_app
from tests.dashboard import sample

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def dash_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    tmp = tmp_path_factory.mktemp("dashboard")
    settings = load_settings(
        environ={},
        mirror=sample.write_mirror(tmp / "mirror"),
        catalog_dir=sample.write_catalog(tmp / "catalog"),
        var_dir=tmp / "var",
        node_modules=ROOT / "node_modules",
    )
    result = build_release(settings, build_referential_fn=sample.build_referential)
    assert result.published, result.message
    return settings


@pytest.fixture(scope="session")
def client(dash_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(dash_settings), raise_server_exceptions=False) as c:
        yield c
