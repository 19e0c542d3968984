"""The README documents every setting of ``settings.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from ardoise.settings import SETTINGS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")


@pytest.mark.parametrize("name", [s.name for s in SETTINGS])
def test_every_setting_is_in_the_readme(name: str) -> None:
    assert f"`ARDOISE_{name.upper()}`" in README
