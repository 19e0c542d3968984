"""Fixtures of the dashboard tests: one release built by the real pipeline from the
dashboard's sample files, and one app (in-process client) serving it, per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.dashboard import sample
from tests.fixtures import sample_release


@pytest.fixture(scope="session")
def dash_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return sample_release(tmp_path_factory.mktemp("dashboard"), sample)


@pytest.fixture(scope="session")
def client(dash_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(dash_settings), raise_server_exceptions=False) as c:
        yield c
