"""An app over a release built by the real pipeline from the indicator tests' sample sources
(datasets, a small referential with régions, académies and départements, and indicators)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ardoise.settings import Settings
from tests.fixtures import sample_release
from tests.indicators import sample


@pytest.fixture(scope="session")
def meta_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return sample_release(
        tmp_path_factory.mktemp("metadata"), sample, sample.build_full_referential
    )


@pytest.fixture(scope="session")
def client(meta_settings: Settings) -> Iterator[object]:
    from starlette.testclient import TestClient

    from ardoise.web.app import create_app

    with TestClient(create_app(meta_settings), raise_server_exceptions=False) as c:
        yield c
