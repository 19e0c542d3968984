"""Every table of the producers' space and of the families' and partners' pages scrolls, on
a phone, inside a focusable, named region (DSFR 1.14's table structure): axe's
``scrollable-region-focusable`` rule (serious) otherwise, as the Chromium flow of the
habilitations found on its pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "ardoise"
TEMPLATES = sorted(
    p for part in ("espace", "transparence") for p in (SRC / part / "templates").glob("*.html")
)
REGION = re.compile(
    r'<div class="fr-table__container" tabindex="0" role="region" aria-label="[^"]+">'
    r'<div class="fr-table__content">\s*<table'
)


@pytest.mark.parametrize("path", [p for p in TEMPLATES if "<table" in p.read_text("utf-8")],
                         ids=lambda p: p.name)  # fmt: skip
def test_each_table_scrolls_in_a_focusable_named_region(path: Path) -> None:
    text = path.read_text("utf-8")
    assert text.count("<table") == len(REGION.findall(text)), path.name
