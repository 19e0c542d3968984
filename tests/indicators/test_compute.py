"""Computation at publish time, on the small release of ``sample``: values by hand, every
level, absent rows (never zero), non-significant values, references, partial coverage,
ranks, coverage report, determinism and the release manifest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from statistics import mean
from typing import Any

import duckdb
import pytest

from ardoise.indicators import compute_indicators
from ardoise.release.build import build_release
from ardoise.settings import Settings
from tests.indicators import sample

Values = dict[tuple[str, str, str, str], tuple[Any, ...]]
NUMERIC = {r[4]: float(r[6]) for r in sample.ECOLES if r[6] != "NS" and r[0] == "2022-2023"}


def _ips(year: str, keep: Any) -> list[float]:
    return [float(r[6]) for r in sample.ECOLES if r[0] == year and r[6] != "NS" and keep(r)]


@pytest.mark.parametrize(
    ("level", "code", "keep"),
    [
        ("commune", "69123", lambda r: r[3] in ("69381", "69382")),  # arrondissements → Lyon
        ("commune", "14118", lambda r: r[3] == "14011"),  # commune déléguée → its commune
        ("departement", "69", lambda r: r[2] == "69"),
        # Saint-Barthélemy's school, filed under 971 by its source, counts there (#19)
        ("departement", "971", lambda r: r[2] == "971"),
        ("academie", "32", lambda r: r[2] == "971"),
        ("region", "01", lambda r: r[2] == "971"),
        ("commune", "97701", lambda r: r[3] == "97701"),  # its commune keeps its own value
        ("academie", "10", lambda r: r[2] in ("69", "42")),
        ("region", "84", lambda r: r[2] in ("69", "42")),
        ("france", "FR", lambda r: True),
    ],
)
def test_ips_mean_and_count_at_every_level(
    values: Values, level: str, code: str, keep: Any
) -> None:
    expected = _ips("2022-2023", keep)
    value, base, status, *_ = values[("ips_moyen_ecoles", level, code, "2022-2023")]
    assert status == "ok" and base == len(expected)
    assert value == pytest.approx(mean(expected), abs=1e-9)
    count = values[("nb_ecoles_ips", level, code, "2022-2023")]
    assert count[:3] == (float(len(expected)), len(expected), "ok")


def test_school_level_is_the_school_value_and_ns_is_absent(values: Values) -> None:
    for uai, ips in NUMERIC.items():
        assert values[("ips_moyen_ecoles", "etablissement", uai, "2022-2023")][0] == ips
    # NS in 2022-2023, a number in 2023-2024: absent, never zero
    uai = next(r[4] for r in sample.ECOLES if r[6] == "NS" and r[0] == "2022-2023")
    assert values[("ips_moyen_ecoles", "etablissement", uai, "2022-2023")][:3] == (
        None,
        None,
        "absent",
    )
    assert values[("ips_moyen_ecoles", "etablissement", uai, "2023-2024")][2] == "ok"


def test_absent_rows_cover_every_territory_and_year(values: Values) -> None:
    years = ("2021-2022", "2022-2023", "2023-2024")
    for code in sample.COMMUNES:
        kind = sample.COMMUNES[code][1]
        for year in years:
            row = values.get(("nb_ecoles_ips", "commune", code, year))
            if kind != "commune-actuelle":
                assert row is None  # arrondissements and communes déléguées roll up
            else:
                assert row is not None and (row[2] != "absent" or row[0] is None)
    assert values[("nb_ecoles_ips", "commune", "42001", "2022-2023")][:3] == (None, None, "absent")
    assert values[("nb_ecoles_ips", "departement", "2A", "2023-2024")][2] == "absent"
    assert values[("nb_ecoles_ips", "academie", "27", "2022-2023")][2] == "absent"
    assert ("nb_ecoles_ips", "academie", "05", "2022-2023") not in values  # former académie
    assert not any(v[0] == 0 and v[2] != "ok" for v in values.values())


def test_school_years_from_two_datasets(values: Values) -> None:
    # 2021-2022 comes from the former dataset (département written "069")
    assert values[("ips_moyen_ecoles", "departement", "69", "2021-2022")][:3] == (99.0, 1, "ok")
    assert values[("ips_moyen_ecoles", "france", "FR", "2021-2022")][:2] == (
        pytest.approx(mean([99, 89, 109])),
        3,
    )


def test_reference_values_are_published_values_never_our_mean(
    values: Values, ind_release: Path
) -> None:
    assert values[("ips_reference_ecoles", "france", "FR", "2022-2023")][:3] == (105.4, 9, "ok")
    assert values[("ips_reference_ecoles", "academie", "10", "2022-2023")][:3] == (107.0, 5, "ok")
    # Saint-Barthélemy's school is published under 971: its reference is Guadeloupe's
    assert values[("ips_reference_ecoles", "departement", "971", "2022-2023")][:3] == (
        87.0,
        2,
        "ok",
    )
    assert values[("ips_reference_ecoles", "departement", "977", "2022-2023")][2] == "absent"
    assert values[("ips_moyen_ecoles", "departement", "977", "2022-2023")][2] == "absent"
    # two different values for the Loire in 2023-2024: none is kept, and it is reported
    assert values[("ips_reference_ecoles", "departement", "42", "2023-2024")][:3] == (
        None,
        2,
        "absent",
    )
    report = json.loads((ind_release / "indicators" / "couverture.json").read_text("utf-8"))
    entry = next(e for e in report["indicateurs"] if e["indicateur"] == "ips_reference_ecoles")
    assert [(a["type"], a["code"], a["annee_scolaire"]) for a in entry["anomalies"]] == [
        ("valeurs_de_reference_contradictoires", "42", "2023-2024")
    ]
    assert ("ips_reference_ecoles", "region", "84", "2022-2023") not in values


def test_dnb_ratio_of_sums_and_former_academies(values: Values) -> None:
    def rate(keep: Any) -> tuple[float, int]:
        rows = [r for r in sample.DNB if keep(r)]
        admis, presents = sum(r[6] for r in rows), sum(r[5] for r in rows)
        return 100 * admis / presents, presents

    # Caen (5) and Rouen (21) in 2016 count in Normandie (70), session 2016 → 2015-2016
    value, base = rate(lambda r: r[0] == 2016)
    row = values[("taux_reussite_dnb", "academie", "70", "2015-2016")]
    assert row[:3] == (pytest.approx(value, abs=1e-9), base, "ok")
    assert row[3:] == (2350.0, 2700.0)
    value, base = rate(lambda r: r[0] == 2024 and r[2] in ("69", "42"))
    assert values[("taux_reussite_dnb", "region", "84", "2023-2024")][:2] == (
        pytest.approx(value, abs=1e-9),
        base,
    )
    # 12 présents in the Loire: below the minimum base of 20
    assert values[("taux_reussite_dnb", "departement", "42", "2023-2024")] == (
        None,
        12,
        "non_significatif",
        None,
        None,
    )


def test_bac_codes_corse_and_voie_filter(values: Values) -> None:
    assert values[("taux_reussite_bac", "departement", "2A", "2023-2024")][:4] == (
        90.0,
        200,
        "ok",
        180.0,
    )
    assert values[("taux_reussite_bac_pro", "france", "FR", "2023-2024")][:2] == (
        pytest.approx(100 * 280 / 350),
        350,
    )


def test_partial_coverage_gives_no_incomplete_aggregate(values: Values) -> None:
    # ETIC: millésime 2019 → 2018-2019; the Rhône answered, the Loire did not
    assert values[("terminaux_pour_100_eleves", "departement", "69", "2018-2019")][:2] == (
        20.0,
        1000,
    )
    assert values[("terminaux_pour_100_eleves", "academie", "10", "2018-2019")][2] == "absent"
    assert values[("terminaux_pour_100_eleves", "academie", "14", "2018-2019")][2] == "ok"
    assert not any(k[0] == "terminaux_pour_100_eleves" and k[1] == "france" for k in values)


def test_ranks_parents_and_ancestors(ind_release: Path) -> None:
    con = duckdb.connect()
    rows = con.execute(
        "SELECT code, parent_niveau, parent_code, rang, rang_sur, departement, academie, region "
        "FROM read_parquet($p) WHERE indicateur = 'ips_moyen_ecoles' AND niveau = 'commune' "
        "AND annee_scolaire = '2022-2023' AND statut = 'ok' AND parent_code = '69' ORDER BY rang",
        {"p": str(ind_release / "indicators" / "valeurs.parquet")},
    ).fetchall()
    con.close()
    assert rows == [
        ("69123", "departement", "69", 1, 2, "69", "10", "84"),
        ("69259", "departement", "69", 2, 2, "69", "10", "84"),
    ]


def test_coverage_lists_sources_gaps_and_missing_columns(ind_release: Path) -> None:
    report = json.loads((ind_release / "indicators" / "couverture.json").read_text("utf-8"))
    by_id = {e["indicateur"]: e for e in report["indicateurs"]}
    dnb = by_id["taux_reussite_dnb"]
    assert dnb["annees"] == ["2015-2016", "2023-2024"]
    assert dnb["annees_manquantes"][:2] == ["2016-2017", "2017-2018"]
    deps = next(n for n in dnb["niveaux"] if n["niveau"] == "departement")
    year = next(y for y in deps["annees"] if y["annee_scolaire"] == "2023-2024")
    assert year["codes_absents"] == ["2A", "971", "977"] and year["non_significatifs"] == 1
    girls = by_id["taux_reussite_dnb_filles"]
    assert girls["annees"] == [] and "colonnes absentes" in girls["sources"][0]["probleme"]
    assert by_id["ips_moyen_colleges"]["sources"][0]["present"] is False
    ecoles = by_id["ips_moyen_ecoles"]["sources"]
    assert [(s["jeu"], s["annees"]) for s in ecoles] == [
        ("fr-en-ips_ecoles", ["2021-2022"]),
        ("fr-en-ips-ecoles-ap2022", ["2022-2023", "2023-2024"]),
    ]


def test_manifest_and_determinism(ind_release: Path, tmp_path: Path) -> None:
    manifest = json.loads((ind_release / "manifest.json").read_text("utf-8"))
    summary = manifest["indicators"]
    assert summary["indicators"] >= 15 and summary["rows"] > 0
    assert set(summary["files"]) == {
        "valeurs.parquet",
        "definitions.json",
        "filtres.parquet",
        "couverture.json",
    }
    copy = tmp_path / "release"
    for part in ("data", "catalog", "referential"):
        shutil.copytree(ind_release / part, copy / part)
    again = compute_indicators(copy)
    assert again.files == summary["files"] and again.sha256 == summary["sha256"]


def test_unchanged_release_is_not_republished(ind_settings: Settings) -> None:
    again = build_release(ind_settings, build_referential_fn=sample.build_referential)
    assert not again.published and "Aucun changement" in again.message


def test_a_faulty_declaration_is_reported_not_fatal(ind_release: Path, tmp_path: Path) -> None:
    from ardoise.indicators.loader import parse_definition

    raw: dict[str, Any] = {
        "id": "somme_de_textes",
        "version": 1,
        "title": "Essai",
        "short_description": "Essai",
        "description": "Essai.",
        "unit": "u",
        "theme": "resultats",
        "sources": ["fr-en-resultats-detailles-au-dnb"],
        "formula": {"text": "somme d'un texte", "aggregation": "sum", "field": "age"},
        "start_level": "departement",
        "min_base": 1,
        "methodology": "Année scolaire.",
    }
    good = parse_definition(
        {**raw, "id": "ok_presents", "formula": {**raw["formula"], "field": "presents"}}
    )
    copy = tmp_path / "release"
    for part in ("data", "catalog", "referential"):
        shutil.copytree(ind_release / part, copy / part)
    summary = compute_indicators(copy, [parse_definition(raw), good])
    assert summary.years == {"somme_de_textes": [], "ok_presents": ["2015-2016", "2023-2024"]}
    report = json.loads((copy / "indicators" / "couverture.json").read_text("utf-8"))
    problem = report["indicateurs"][0]["sources"][0]["probleme"]
    assert problem.startswith("calcul impossible") and summary.anomalies == 1
