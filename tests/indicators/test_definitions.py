"""Declarations: every packaged YAML loads, the issue's indicators are defined exactly as
asked, and a bad declaration is refused with a French message naming the problem."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from ardoise.indicators.aggregations import AGGREGATIONS
from ardoise.indicators.loader import (
    DEFINITIONS_DIR,
    definition_from_json,
    load_definition,
    load_definitions,
    parse_definition,
)
from ardoise.indicators.model import THEMES, IndicatorDefinitionError
from ardoise.referential.levels import LADDER as LEVELS

DEFS = {d.id: d for d in load_definitions()}


def test_at_least_fifteen_indicators_over_every_theme() -> None:
    assert len(DEFS) >= 15
    assert {d.theme for d in DEFS.values()} == set(THEMES)
    assert {d.formula.aggregation for d in DEFS.values()} == set(AGGREGATIONS)


@pytest.mark.parametrize(
    ("ident", "datasets", "field"),
    [
        ("nb_ecoles_ips", ("fr-en-ips_ecoles", "fr-en-ips-ecoles-ap2022"), "ips"),
        ("nb_colleges_ips", ("fr-en-ips_colleges", "fr-en-ips-colleges-ap2022"), "ips"),
        ("nb_lycees_ips", ("fr-en-ips_lycees", "fr-en-ips-lycees-ap2022"), "ips_ensemble_gt_pro"),
    ],
)
def test_school_counts(ident: str, datasets: tuple[str, ...], field: str) -> None:
    d = DEFS[ident]
    assert d.dataset_ids == datasets
    assert (d.formula.aggregation, d.formula.field, d.formula.count) == ("sum", field, True)
    assert d.start_level == "etablissement" and d.levels[-1] == "france"


@pytest.mark.parametrize(
    ("ident", "field"),
    [
        ("ips_moyen_ecoles", "ips"),
        ("ips_moyen_colleges", "ips"),
        ("ips_moyen_lycees", "ips_ensemble_gt_pro"),
    ],
)
def test_ips_means(ident: str, field: str) -> None:
    d = DEFS[ident]
    assert (d.formula.aggregation, d.formula.field, d.formula.weight) == ("mean", field, None)
    assert d.levels == LEVELS and d.formula.filters == ()


def test_reference_ips_is_the_ministry_value_at_three_levels() -> None:
    d = DEFS["ips_reference_ecoles"]
    assert d.dataset_ids == ("fr-en-ips-ecoles-ap2022",)
    assert d.formula.aggregation == "reference"
    assert dict(d.formula.references) == {
        "france": "ips_national",
        "academie": "ips_academique",
        "departement": "ips_departemental",
    }
    assert d.levels == ("departement", "academie", "france")


@pytest.mark.parametrize(
    ("ident", "dataset", "num", "den"),
    [
        ("taux_reussite_dnb", "fr-en-resultats-detailles-au-dnb", ("admis",), ("presents",)),
        (
            "taux_reussite_bac",
            "fr-en-baccalaureat-par-departement",
            ("nombre_d_admis_a_l_examen",),
            ("nombre_de_presents_a_l_examen",),
        ),
    ],
)
def test_success_rates_are_ratios_of_sums_over_every_row(
    ident: str, dataset: str, num: tuple[str, ...], den: tuple[str, ...]
) -> None:
    d = DEFS[ident]
    f = d.formula
    assert d.dataset_ids == (dataset,) and d.start_level == "departement"
    assert f.aggregation == "ratio_of_sums" and f.factor == 100 and f.filters == ()
    assert f.numerator is not None and f.denominator is not None
    assert (f.numerator.fields, f.denominator.fields) == (num, den)


def test_texts_are_french_and_name_the_school_year_mapping() -> None:
    for d in DEFS.values():
        assert d.methodology and d.short_description and d.caveats, d.id
        assert "année scolaire" in d.methodology, d.id
        if any(
            s.dataset in ("fr-en-resultats-detailles-au-dnb", "fr-en-baccalaureat-par-departement")
            for s in d.sources
        ):
            assert "N-1-N" in d.methodology, d.id


def test_json_round_trip() -> None:
    for d in DEFS.values():
        assert definition_from_json(d.to_json()) == d


def _raw(ident: str = "ips_moyen_ecoles") -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEFINITIONS_DIR / f"{ident}.yaml").read_text("utf-8"))
    return copy.deepcopy(data)


def _set(raw: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, last = path.split(".")
    node = raw
    for p in parents:
        node = node[p]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return raw


_DELETE = object()

BAD: list[tuple[str, str, Any, str]] = [
    ("ips_moyen_ecoles", "methodology", _DELETE, "clés obligatoires absentes : methodology"),
    ("ips_moyen_ecoles", "colour", "bleu", "clés inconnues : colour"),
    ("ips_moyen_ecoles", "id", "IPS moyen", "minuscules, chiffres"),
    ("ips_moyen_ecoles", "version", 0, "« version » doit être un entier ≥ 1"),
    ("ips_moyen_ecoles", "theme", "sport", "« theme » 'sport' inconnu"),
    ("ips_moyen_ecoles", "start_level", "canton", "« start_level » 'canton' inconnu"),
    ("ips_moyen_ecoles", "min_base", -1, "« min_base » doit être un entier ≥ 0"),
    ("ips_moyen_ecoles", "formula.aggregation", "median", "agrégations : sum, mean"),
    ("ips_moyen_ecoles", "formula.field", _DELETE, "« field » est requis"),
    ("ips_moyen_ecoles", "formula.weight", "effectifs", "« weight » n'a pas de sens ici"),
    ("ips_moyen_ecoles", "levels", ["canton"], "« levels » : canton hors des niveaux"),
    ("ips_moyen_ecoles", "caveats", [{"a": "b"}], "« caveats » doit être une liste de textes"),
    ("ips_moyen_ecoles", "sources", [], "« sources » doit être une liste non vide"),
    (
        "ips_moyen_ecoles",
        "sources",
        [{"dataset": "x", "years": ["2023"]}],
        "années 2023 au format AAAA-AAAA",
    ),
    (
        "ips_moyen_ecoles",
        "sources",
        [{"dataset": "x", "year_field": "m"}],
        "« year_field » et « year_kind » vont ensemble",
    ),
    ("ips_moyen_ecoles", "sources", ["x", "x"], "un jeu de données est cité deux fois"),
    ("taux_reussite_dnb", "min_base", 0, "demande « min_base » ≥ 1"),
    (
        "taux_reussite_dnb",
        "formula.denominator",
        _DELETE,
        "« numerator » et « denominator » sont requis",
    ),
    ("part_prive_ecoles", "formula.denominator", {"fields": ["x"]}, "un seul champ"),
    (
        "ips_reference_ecoles",
        "formula.references",
        {"region": "ips_regional"},
        "niveaux region non publiés",
    ),
    ("ips_moyen_ecoles", "formula.filters", {"secteur": 3}, "doivent être des textes"),
]


@pytest.mark.parametrize(
    ("ident", "path", "value", "message"), BAD, ids=[f"{b[0]}:{b[1]}" for b in BAD]
)
def test_bad_declarations_are_refused_in_french(
    ident: str, path: str, value: Any, message: str
) -> None:
    with pytest.raises(IndicatorDefinitionError) as err:
        parse_definition(_set(_raw(ident), path, value), f"{ident}.yaml")
    assert message in str(err.value)
    assert f"Déclaration d'indicateur invalide ({ident}.yaml)" in str(err.value)


def test_file_name_must_be_the_id(tmp_path: Path) -> None:
    path = tmp_path / "autre.yaml"
    path.write_text(yaml.safe_dump(_raw(), allow_unicode=True), encoding="utf-8")
    with pytest.raises(IndicatorDefinitionError, match="doit être le nom du fichier"):
        load_definition(path)
    (tmp_path / "casse.yaml").write_text("caveats: [a: b", encoding="utf-8")
    with pytest.raises(IndicatorDefinitionError, match="lecture impossible"):
        load_definition(tmp_path / "casse.yaml")
    with pytest.raises(IndicatorDefinitionError, match="Aucune déclaration"):
        load_definitions(tmp_path / "vide")
