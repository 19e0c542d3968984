"""Descriptor caveats are sentences, even where YAML read "a : b" as a mapping."""

from __future__ import annotations

from pathlib import Path

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


# Issue #13: types the portal declares, where the raw values alone do not decide them
# (a 1/0 column the portal serves as text, a code it serves as a number). Each decision
# is recorded in the descriptor (``type_source``), where it starts with the type it names.
PORTAL_TYPES = {
    ("fr-en-annuaire-education", "voie_generale"): "text",
    ("fr-en-annuaire-education", "voie_technologique"): "text",
    ("fr-en-annuaire-education", "voie_professionnelle"): "text",
    ("fr-en-annuaire-education", "code_nature"): "int",
    ("fr-en-ecoles-effectifs-nb_classes", "rentree_scolaire"): "int",
    ("fr-en-college-effectifs-niveau-sexe-lv", "rentree_scolaire"): "int",
    ("fr-en-lycee_gt-effectifs-niveau-sexe-lv", "rentree_scolaire"): "int",
}


@pytest.mark.parametrize(("dataset", "field"), sorted(PORTAL_TYPES))
def test_portal_types_are_declared_with_their_source(dataset: str, field: str) -> None:
    path = DESCRIPTORS_DIR / f"{dataset}.yaml"
    declared = {f.name: f for f in parse_descriptor(yaml.safe_load(path.read_text("utf-8"))).fields}
    assert declared[field].type == PORTAL_TYPES[dataset, field]
    assert declared[field].type_source.startswith(f"{PORTAL_TYPES[dataset, field]} : ")


@pytest.mark.parametrize("path", sorted(DESCRIPTORS_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_type_source_names_the_declared_type(path: object) -> None:
    descriptor = parse_descriptor(yaml.safe_load(path.read_text("utf-8")))  # type: ignore[attr-defined]
    for f in descriptor.fields:
        assert not f.type_source or f.type_source.startswith(f"{f.type} : "), f.name


def test_a_published_copy_with_a_stray_key_stays_servable(tmp_path: Path) -> None:
    """A release published before a descriptor was quoted keeps a field whose unquoted
    comma made a stray key: a producer's descriptor like it is refused, the release's copy
    is read (every published release stays servable, a rollback to it included)."""
    from ardoise.catalog.loader import load_descriptor, load_published
    from ardoise.errors import CatalogError

    text = (DESCRIPTORS_DIR / "fr-en-ips-ecoles-ap2022.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    raw["fields"][2]["pas le code INSEE)."] = None  # what the cut flow mapping read as
    copy = tmp_path / "fr-en-ips-ecoles-ap2022.yaml"
    copy.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "utf-8")
    with pytest.raises(CatalogError, match=r"clé inconnue 'pas le code INSEE\).'"):
        load_descriptor(copy)
    assert load_published(copy) == load_descriptor(DESCRIPTORS_DIR / copy.name)
