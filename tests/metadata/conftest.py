"""An app over a release built by the real pipeline from the indicator tests' sample sources
(datasets, a small referential with régions, académies and départements, and indicators)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ardoise.referential.tables import REGIONS_ACADEMIQUES_SCHEMA, write_parquet
from ardoise.release.build import build_release
from ardoise.settings import Settings, load_settings
from tests.indicators import sample

ROOT = Path(__file__).resolve().parents[2]


def _referential(mirror: Path, node_modules: Path, out: Path, cache: Path) -> object:
    """The sample referential, completed with an empty table of régions académiques so that
    the territory pages (which load the whole referential) know its territories."""
    summary = sample.build_referential(mirror, node_modules, out, cache)
    write_parquet(REGIONS_ACADEMIQUES_SCHEMA.empty_table(), out / "regions_academiques.parquet")
    return summary


@pytest.fixture(scope="session")
def meta_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    tmp = tmp_path_factory.mktemp("metadata")
    settings = load_settings(
        environ={},
        mirror=sample.write_mirror(tmp / "mirror"),
        catalog_dir=sample.write_catalog(tmp / "catalog"),
        var_dir=tmp / "var",
        node_modules=ROOT / "node_modules",
    )
    result = build_release(settings, build_referential_fn=_referential)
    assert result.published, result.message
    return settings


@pytest.fixture(scope="session")
def client(meta_settings: Settings) -> Iterator[object]:
    from starlette.testclient import TestClient

    from ardoise.web.app import create_app

    with TestClient(create_app(meta_settings), raise_server_exceptions=False) as c:
        yield c
