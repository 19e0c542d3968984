"""The ingest pipeline over the fixture sources, through the real release build."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from ardoise.release.build import BuildResult, build_release
from ardoise.release.school_descriptors import DERIVED_IDS
from ardoise.settings import Settings
from tests.fixtures import fake_referential


def _build(settings: Settings, **kw: Any) -> BuildResult:
    return build_release(settings, build_referential_fn=fake_referential, **kw)


def _table(settings: Settings, dataset: str) -> list[dict[str, Any]]:
    current = settings.var_dir / "current"
    return pq.read_table(current / "data" / f"{dataset}.parquet").to_pylist()


def _quality(settings: Settings, dataset: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (settings.var_dir / "current" / "quality" / f"{dataset}.json").read_text()
    )
    return data


def _issues(q: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [i for i in q["issues"] if i["type"] == kind]


@pytest.fixture
def built(fixture_settings: Settings) -> Settings:
    result = _build(fixture_settings)
    assert result.published, result.message
    assert result.ok, [(o.id, o.status) for o in result.outcomes]
    return fixture_settings


def test_every_fixture_dataset_is_published(built: Settings) -> None:
    manifest = json.loads((built.var_dir / "current" / "manifest.json").read_text())
    assert sorted(d for d in manifest["datasets"] if d not in DERIVED_IDS) == [
        "test-calendrier",
        "test-contours",
        "test-effectifs-latin1",
        "test-ips-ecoles",
        "test-points",
        "test-xlsx",
    ]
    # and the schools followed over time (#18); no change of code here, so no crosswalk
    derived = {d for d in manifest["datasets"] if d in DERIVED_IDS}
    assert derived == {"ardoise-etablissements-annees", "ardoise-etablissements-panel"}
    rows = {k: v["rows"] for k, v in manifest["datasets"].items() if k not in DERIVED_IDS}
    assert rows == {
        "test-calendrier": 5,
        "test-contours": 2,
        "test-effectifs-latin1": 3,
        "test-ips-ecoles": 8,
        "test-points": 2,
        "test-xlsx": 2,
    }
    entry = manifest["datasets"]["test-ips-ecoles"]
    assert entry["sources"][0]["encoding"] == "utf-8-sig"
    assert len(entry["sources"][0]["sha256"]) == 64
    assert entry["parquet"]["sha256"]


def test_markers_become_null_with_their_reason(built: Settings) -> None:
    rows = _table(built, "test-ips-ecoles")
    diwan = next(r for r in rows if r["nom_de_l_ecole"] == "ECOLE DIWAN")
    assert diwan["ips"] is None
    assert json.loads(diwan["_etats"]) == {"ips": "non_significatif"}
    ajaccio = next(r for r in rows if r["nom_de_l_ecole"] == "ECOLE AJACCIO")
    assert ajaccio["ips"] == 99.5  # decimal comma
    effectifs = _table(built, "test-effectifs-latin1")
    assert [r["taux"] for r in effectifs] == [87.5, 91.0, None]
    assert json.loads(effectifs[2]["_etats"]) == {"taux": "non_disponible"}


def test_type_errors_are_reported_with_line_and_value(built: Settings) -> None:
    q = _quality(built, "test-ips-ecoles")
    [err] = _issues(q, "erreur-de-type")
    assert err["field"] == "ips" and err["count"] == 1 and err["row"] == 4
    assert "'abc'" in err["message"]
    rows = _table(built, "test-ips-ecoles")
    assert next(r for r in rows if r["nom_de_l_ecole"] == "ECOLE LUMIERE")["ips"] is None


def test_codes_are_normalised_and_linked_upward(built: Settings) -> None:
    rows = {r["nom_de_l_ecole"]: r for r in _table(built, "test-ips-ecoles")}
    guedelais = rows["ECOLE LA GUEDELAIS"]
    assert guedelais["code_du_departement"] == "035"  # official value kept as published
    assert (guedelais["_departement"], guedelais["_academie"], guedelais["_region"]) == (
        "35",
        "14",
        "53",
    )
    assert guedelais["_commune"] == "35012"
    assert rows["ECOLE AJACCIO"]["_departement"] == "2A"
    assert rows["ECOLE LUMIERE"]["_uai"] is None  # wrong check letter: not linked
    assert rows["ECOLE LA GUEDELAIS"]["_uai"] == rows["ECOLE LA GUEDELAIS"]["uai"]


def test_unknown_codes_and_invalid_uai_are_reported(built: Settings) -> None:
    q = _quality(built, "test-ips-ecoles")
    unknown = {i["field"]: i for i in _issues(q, "code-territoire-inconnu")}
    assert set(unknown) == {"code_du_departement", "code_insee_de_la_commune"}
    assert unknown["code_du_departement"]["count"] == 1
    assert "'99'" in unknown["code_du_departement"]["examples"][0]
    [uai] = _issues(q, "uai-invalide")
    assert uai["count"] == 1 and "0690001A" in uai["examples"][0]
    cal = _quality(built, "test-calendrier")
    [loc] = _issues(cal, "code-territoire-inconnu")
    assert loc["field"] == "location" and "Atlantide" in loc["examples"][0]


def test_academie_names_match_whatever_their_spelling(built: Settings) -> None:
    eff = _table(built, "test-effectifs-latin1")
    assert [r["_academie"] for r in eff] == ["18", "10", None]
    assert eff[0]["academie"] == "Orléans-Tours"  # latin-1 decoded
    cal = {r["location"]: r["_academie"] for r in _table(built, "test-calendrier")}
    assert cal["Orléans-Tours"] == "18" and cal["Nouvelle Calédonie"] == "40"


def test_school_years_become_one_dimension(built: Settings) -> None:
    q = _quality(built, "test-ips-ecoles")
    assert q["years"] == {"2022-2023": 4, "2023-2024": 4}  # "2023" (rentrée) → 2023-2024
    eff = _quality(built, "test-effectifs-latin1")
    assert eff["years"] == {"2022-2023": 2, "2023-2024": 1}  # session 2023 → 2022-2023
    cal = _quality(built, "test-calendrier")
    [bad] = _issues(cal, "annee-invalide")
    assert bad["count"] == 1 and "'2024'" in bad["examples"][0]


def test_key_duplicates_are_reported(built: Settings) -> None:
    q = _quality(built, "test-ips-ecoles")
    [dup] = _issues(q, "doublon-de-cle")
    assert dup["count"] == 2 and "2023-2024" in dup["examples"][0]


def test_completeness_per_column(built: Settings) -> None:
    q = _quality(built, "test-ips-ecoles")
    assert q["completeness"]["uai"] == 1.0
    assert q["completeness"]["ips"] == pytest.approx(5 / 8, abs=1e-3)


def test_typed_columns(built: Settings) -> None:
    cal = _table(built, "test-calendrier")
    assert cal[0]["start_date"].isoformat() == "2023-10-20T22:00:00+00:00"
    points = _table(built, "test-points")
    assert points[0]["effectif"] == 120 and points[0]["position"] == {"lon": -1.68, "lat": 48.11}
    contours = _table(built, "test-contours")
    assert contours[0]["geo_point_2d"] == {"lon": -2.0, "lat": 48.0}
    assert json.loads(contours[0]["geo_shape"])["type"] == "Polygon"
    xl = _table(built, "test-xlsx")
    assert [r["nom"] for r in xl] == ["Collège A", "Collège B"]


def test_record_ids_are_stable_unique_and_ods_shaped(built: Settings, tmp_path: Path) -> None:
    rows = _table(built, "test-ips-ecoles")
    ids = [r["_recordid"] for r in rows]
    assert len(set(ids)) == len(ids) and all(len(i) == 40 for i in ids)
    # Same rows in another order and another release → same ids.
    src = built.mirror / "ips" / "ecoles.csv"
    lines = src.read_bytes().decode("utf-8-sig").splitlines()
    src.write_bytes(b"\xef\xbb\xbf" + "\n".join([lines[0], *reversed(lines[1:])]).encode() + b"\n")
    result = _build(built)
    assert result.published
    again = {r["nom_de_l_ecole"]: r["_recordid"] for r in _table(built, "test-ips-ecoles")}
    before = {r["nom_de_l_ecole"]: r["_recordid"] for r in rows}
    assert {k: v for k, v in again.items() if k != "ECOLE STE"} == {
        k: v for k, v in before.items() if k != "ECOLE STE"
    }
