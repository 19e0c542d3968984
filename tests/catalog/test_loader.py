"""Descriptor caveats are sentences, even where YAML read "a : b" as a mapping."""

from __future__ import annotations

import pytest
import yaml

from ardoise.catalog.loader import DESCRIPTORS_DIR, parse_descriptor

IPS = DESCRIPTORS_DIR / "fr-en-ips-ecoles-ap2022.yaml"
SENTENCE = (
    "Les écoles maternelles sont presque absentes : l'IPS n'est calculé que pour les "
    "écoles ayant des élèves de CM2 ou d'élémentaire."
)


@pytest.mark.parametrize("path", sorted(DESCRIPTORS_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_caveats_are_quoted_sentences(path: object) -> None:
    raw = yaml.safe_load(path.read_text("utf-8"))  # type: ignore[attr-defined]
    assert all(isinstance(c, str) for c in raw.get("caveats") or ())


def test_unquoted_colon_reads_back_as_the_sentence() -> None:
    """Releases published before the caveat was quoted hold the unquoted copy."""
    text = IPS.read_text("utf-8").replace(f'  - "{SENTENCE}"', f"  - {SENTENCE}", 1)
    raw = yaml.safe_load(text)
    assert any(isinstance(c, dict) for c in raw["caveats"])
    assert SENTENCE in parse_descriptor(raw, IPS.name).caveats
    assert SENTENCE in parse_descriptor(yaml.safe_load(IPS.read_text("utf-8"))).caveats
