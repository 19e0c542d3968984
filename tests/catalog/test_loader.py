"""Descriptor validation: mistakes in a YAML descriptor are named, not published."""

from __future__ import annotations

import pytest
import yaml

from ardoise.catalog.loader import DESCRIPTORS_DIR, parse_descriptor
from ardoise.errors import CatalogError

IPS = DESCRIPTORS_DIR / "fr-en-ips-ecoles-ap2022.yaml"


def test_shipped_caveats_are_sentences() -> None:
    ds = parse_descriptor(yaml.safe_load(IPS.read_text("utf-8")), IPS.name)
    assert ds.caveats and all(isinstance(c, str) for c in ds.caveats)
    assert any(c.startswith("Les écoles maternelles sont presque absentes : ") for c in ds.caveats)


def test_unquoted_colon_in_a_caveat_is_refused() -> None:
    text = IPS.read_text("utf-8").replace(
        '  - "Les écoles maternelles sont presque absentes : l\'IPS', "  - Les écoles maternelles "
        "sont presque absentes : l'IPS", 1).replace("d'élémentaire.\"", "d'élémentaire.", 1)
    raw = yaml.safe_load(text)
    assert any(isinstance(c, dict) for c in raw["caveats"])
    with pytest.raises(CatalogError, match="précaution qui n'est pas un texte"):
        parse_descriptor(raw, IPS.name)
