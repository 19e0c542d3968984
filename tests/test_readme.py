"""The README's settings table lists exactly the settings of ``settings.py``, each once,
with its default (for the settings whose default is a plain value)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ardoise.settings import SETTINGS, Setting

README = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
SECTION = README.split("## Réglages", 1)[1].split("\n## ", 1)[0]
ROWS = [line for line in SECTION.splitlines() if line.startswith("| `ARDOISE_")]


def _table() -> dict[str, str | None]:
    """Setting name → its default as the table shows it (None: shown in words)."""
    out: dict[str, str | None] = {}
    for row in ROWS:
        names_cell, default_cell = (cell.strip() for cell in row.strip("|").split("|")[:2])
        names = re.findall(r"`ARDOISE_([A-Z0-9_]+)`", names_cell)
        defaults = re.findall(r"`([^`]*)`", default_cell)
        for i, name in enumerate(names):
            assert name.lower() not in out, f"ARDOISE_{name} is listed twice"
            out[name.lower()] = defaults[i] if len(defaults) == len(names) else None
    return out


TABLE = _table()


def shown(setting: Setting) -> str:
    if isinstance(setting.default, bool):
        return "1" if setting.default else "0"
    return str(setting.default)


def test_the_table_lists_exactly_the_settings() -> None:
    assert set(TABLE) == {s.name for s in SETTINGS}


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_in_the_readme_with_its_default(setting: Setting) -> None:
    assert f"`ARDOISE_{setting.name.upper()}`" in README
    if setting.kind in ("int", "bool", "str"):
        assert TABLE[setting.name] == shown(setting), setting.name
