"""Fixtures of the release tests over the real mirror."""

from __future__ import annotations

from pathlib import Path

import pytest

from ardoise.release.build import BuildResult, build_release
from ardoise.settings import Settings, load_settings


@pytest.fixture(scope="session")
def real_release(
    mirror_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, BuildResult]:
    var = tmp_path_factory.mktemp("real") / "var"
    settings = load_settings(environ={}, mirror=mirror_dir, var_dir=var)
    result = build_release(settings)
    assert result.published, result.message
    return settings, result
