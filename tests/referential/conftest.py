"""Fixtures of the referential tests: the real mirror and node_modules, skipped when absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from ardoise.settings import load_settings


@pytest.fixture(scope="session")
def mirror(mirror_dir: Path) -> Path:
    """The real mirror (``mirror_dir`` of tests/conftest.py) with the COG tables in it."""
    if not (mirror_dir / "etalab-decoupage-administratif").is_dir():
        pytest.skip(f"découpage administratif absent du miroir ({mirror_dir})")
    return mirror_dir


@pytest.fixture(scope="session")
def node_modules() -> Path:
    path = load_settings().node_modules
    if not (path / ".bin" / "mapshaper").exists():
        pytest.skip(f"mapshaper absent ({path}/.bin/mapshaper) : lancez `make install`")
    return path
