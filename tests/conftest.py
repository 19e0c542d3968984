from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ardoise.settings import Settings, load_settings
from tests.fixtures import write_catalog, write_mirror

if TYPE_CHECKING:
    from ardoise.release.build import BuildResult

ROOT = Path(__file__).resolve().parents[1]


def real_mirror() -> Path:
    return Path(os.environ.get("ARDOISE_MIRROR", ROOT.parent / "shared" / "data" / "raw"))


@pytest.fixture
def fixture_settings(tmp_path: Path) -> Settings:
    """Settings over the fixture mirror and catalog, with a fresh var/ folder."""
    mirror = write_mirror(tmp_path / "mirror")
    catalog = write_catalog(tmp_path / "catalog")
    return load_settings(
        environ={},
        mirror=mirror,
        catalog_dir=catalog,
        var_dir=tmp_path / "var",
        node_modules=ROOT / "node_modules",
    )


@pytest.fixture(scope="session")
def mirror_dir() -> Iterator[Path]:
    path = real_mirror()
    if not (path / "SOURCES.md").is_file():
        pytest.skip(f"miroir de données absent ({path})")
    yield path


@pytest.fixture(scope="session")
def real_build(
    mirror_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, BuildResult]:
    """One release of the real mirror, built once for the whole session, and its result.

    Tests only read it (a test that publishes or breaks a release builds its own, or copies
    this var). Building it costs minutes: every mirror test shares this one."""
    from ardoise.release.build import build_release

    settings = load_settings(
        environ={},
        mirror=mirror_dir,
        var_dir=tmp_path_factory.mktemp("real") / "var",
        node_modules=ROOT / "node_modules",
    )
    result = build_release(settings)
    assert result.published, result.message
    return settings, result


@pytest.fixture(scope="session")
def real_settings(real_build: tuple[Settings, BuildResult]) -> Settings:
    """Settings serving the session's release of the real mirror (``real_build``)."""
    return real_build[0]


@pytest.fixture
def oidc_provider() -> Iterator[object]:
    """A real OpenID Connect provider on loopback (tests/identity.py), for one test."""
    from tests.identity import running_oidc_provider

    with running_oidc_provider() as provider:
        yield provider


@pytest.fixture
def smtp_sink() -> Iterator[object]:
    """An SMTP server on loopback keeping every message (tests/identity.py), for one test."""
    from tests.identity import running_smtp_sink

    with running_smtp_sink() as sink:
        yield sink
