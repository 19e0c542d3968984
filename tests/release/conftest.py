"""Fixtures of the release tests over the real mirror."""

from __future__ import annotations

import pytest

from ardoise.release.build import BuildResult
from ardoise.settings import Settings


@pytest.fixture(scope="session")
def real_release(real_build: tuple[Settings, BuildResult]) -> tuple[Settings, BuildResult]:
    """The session's one build of the real mirror (tests/conftest.py ``real_build``)."""
    return real_build
