"""academies.yaml: its own consistency, then every value checked against the mirror files."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ardoise.errors import SourceUnreadable
from ardoise.referential.academies import AcademyTable, load_academy_table
from ardoise.referential.keys import name_key
from ardoise.referential.territory_codes import academie_prefixed, name_keys

TABLE = load_academy_table()
BY_CODE = {a.code: a for a in TABLE.academies}
RA_BY_CODE = {r.code: r for r in TABLE.regions_academiques}
COM_ACADEMIES = {"40", "41", "42", "44"}


def _academy_keys(table: AcademyTable) -> dict[str, str]:
    keys: dict[str, str] = {}
    for a in table.academies:
        for name in (a.nom, *a.alias):
            for key in name_keys(name):
                keys[key] = a.code
                for prefixed in academie_prefixed(key):
                    keys[prefixed] = a.code
    return keys


ACADEMY_KEYS = _academy_keys(TABLE)
RA_KEYS = {
    k: r.code for r in TABLE.regions_academiques for n in (r.nom, *r.alias) for k in name_keys(n)
}


def test_table_shape() -> None:
    current = [a for a in TABLE.current if a.code not in COM_ACADEMIES]
    assert len(current) == 30
    assert {a.code for a in TABLE.academies if a.ancienne} == {"05", "21"}
    assert all(BY_CODE[c].remplacee_par == "70" for c in ("05", "21"))
    assert len(TABLE.regions_academiques) == 18
    assert all(BY_CODE[c].region_academique is None for c in COM_ACADEMIES)
    assert BY_CODE["18"].nom == "Orléans-Tours"
    assert BY_CODE["01"].region_academique_nom == "Île-de-France"
    assert {d for a in TABLE.current for d in a.departements} >= {"2A", "2B", "977", "978"}
    assert len({d for a in TABLE.current for d in a.departements}) == 101 + 6


def test_caen_and_rouen_cover_normandie() -> None:
    assert sorted(BY_CODE["05"].departements + BY_CODE["21"].departements) == sorted(
        BY_CODE["70"].departements
    )


def test_spellings_of_the_brief_resolve() -> None:
    for spelling, code in [
        ("Nancy Metz", "12"),
        ("Orleans-Tours", "18"),
        ("ACADEMIE DE LYON", "10"),
        ("Polynésie Française", "41"),
        ("Nouvelle Calédonie", "40"),
        ("Wallis et Futuna", "42"),
        ("Saint Pierre et Miquelon", "44"),
        ("Normandie", "70"),
        ("ACADÉMIE D'AMIENS", "20"),
        ("ST PIERRE ET MIQUELON", "44"),
        ("Réunion", "28"),
    ]:
        assert ACADEMY_KEYS[name_key(spelling)] == code, spelling


def test_inconsistent_table_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "academies.yaml"
    bad.write_text(
        "regions_academiques: [{code: '01', nom: A, region: '84'}]\n"
        "academies:\n"
        "  - {code: '10', nom: Lyon, region_academique: '01', region: '84', departements: ['42']}\n"
        "  - {code: '08', nom: Grenoble, region_academique: '01', region: '84', "
        "departements: ['42']}\n",
        encoding="utf-8",
    )
    with pytest.raises(SourceUnreadable, match="département 42 dans les académies"):
        load_academy_table(bad)


# --- against the mirror ---------------------------------------------------------------


def _rows(mirror: Path, rel: str, sql: str) -> list[tuple[str, ...]]:
    path = mirror / rel
    if not path.exists():
        pytest.skip(f"{rel} absent du miroir")
    source = (
        f"read_parquet('{path}')"
        if rel.endswith(".parquet")
        else f"read_csv('{path}', all_varchar=true, sample_size=-1)"
    )
    with duckdb.connect() as conn:
        return [tuple(r) for r in conn.execute(sql.format(src=source)).fetchall()]


def _dep(code: str) -> str:
    """'007' → '07', '02A' → '2A', '974' → '974'."""
    code = code.lstrip("0") or "0"
    return code.zfill(2)


@pytest.mark.mirror
def test_ips_ecoles(mirror: Path) -> None:
    rows = _rows(
        mirror,
        "helene-s-etablissement-ips/fr-en-ips-ecoles-ap2022.parquet",
        "SELECT DISTINCT code_region, region, code_de_l_academie, academie, code_du_departement "
        "FROM {src}",
    )
    pairs = set()
    for ra, ra_nom, aca, aca_nom, dep in rows:
        a = BY_CODE[aca]
        assert a.region_academique == ra, (aca, ra)
        assert RA_KEYS[name_key(ra_nom)] == ra
        assert ACADEMY_KEYS[name_key(aca_nom)] == aca
        assert dep in a.departements, (aca, dep)
        pairs.add((aca, dep))
    expected = {
        (a.code, d)
        for a in TABLE.current
        if a.code not in COM_ACADEMIES
        for d in a.departements
        if d not in ("977", "978")
    }
    assert pairs == expected


@pytest.mark.mirror
def test_colleges_geolocalisation_covers_com(mirror: Path) -> None:
    rows = _rows(
        mirror,
        "cat-miaou-vyz/fr-en-adresse-et-geolocalisation-etablissements-premier-et-second-degre"
        "_colleges.csv",
        "SELECT DISTINCT code_academie, libelle_academie, code_region, code_departement FROM {src}",
    )
    seen = set()
    for aca, aca_nom, region, dep in rows:
        a = BY_CODE[aca]
        assert ACADEMY_KEYS[name_key(aca_nom)] == aca
        assert _dep(dep) in a.departements, (aca, dep)
        # The ministry writes "00" (TOM et collectivités) for every COM.
        com = _dep(dep) in ("975", "977", "978", "986", "987", "988")
        assert region == ("00" if com else a.region), (aca, dep, region)
        seen.add((aca, _dep(dep)))
    assert seen == {(a.code, d) for a in TABLE.current for d in a.departements}


@pytest.mark.mirror
def test_dnb_regions_academiques_and_insee(mirror: Path) -> None:
    rows = _rows(
        mirror,
        "sokyrio-datavisualisation-education/fr-en-resultats-detailles-au-dnb.csv",
        'SELECT DISTINCT "Code région", "Code région Insee", "Libellé région", "Code académie", '
        '"Académie", "Code département" FROM {src}',
    )
    codes = set()
    for ra, insee, ra_nom, aca, aca_nom, dep in rows:
        a = BY_CODE[aca]
        assert (a.region_academique, a.region) == (ra, insee), aca
        assert RA_BY_CODE[ra].region == insee
        assert RA_KEYS[name_key(ra_nom)] == ra
        assert ACADEMY_KEYS[name_key(aca_nom)] == aca
        assert dep in a.departements, (aca, dep)
        codes.add(aca)
    assert {"05", "21", "70"} <= codes  # before and after the Normandie merger


@pytest.mark.mirror
def test_spellings_in_the_data_resolve(mirror: Path) -> None:
    calendar = _rows(
        mirror,
        "m-bouville-predict-elec/fr-en-calendrier-scolaire.csv",
        "SELECT DISTINCT location FROM {src}",
    )
    names = [
        *calendar,
        *_rows(
            mirror,
            "rborhani-projet-python/fr-en-baccalaureat-par-academie.csv",
            "SELECT DISTINCT academie FROM {src}",
        ),
        *_rows(
            mirror,
            "lisebs-exam-data/fr-en-lycee_gt-effectifs-niveau-sexe-lv.csv",
            "SELECT DISTINCT academie FROM {src}",
        ),
        *(
            row
            for name in (
                "fr-en-lycee_gt-effectifs-niveau-sexe-lv",
                "fr-en-lycee_pro-effectifs-niveau-sexe-lv",
                "fr-en-effectifs-specialites-doublettes-terminale-generale",
                "fr-en-effectifs-specialites-triplettes-1ere-generale",
            )
            for row in _rows(
                mirror, f"leaajo-parcoursup-isd/{name}.csv", "SELECT DISTINCT academie FROM {src}"
            )
        ),
    ]
    unknown = [n for (n,) in names if name_key(n) not in ACADEMY_KEYS]
    assert unknown == []
    # The calendar names all 36 académies, the former Caen and Rouen included.
    assert {ACADEMY_KEYS[name_key(n)] for (n,) in calendar} == set(BY_CODE)


@pytest.mark.mirror
def test_regions_academiques_spellings(mirror: Path) -> None:
    rows = _rows(
        mirror,
        "lisebs-exam-data/fr-en-lycee_gt-effectifs-niveau-sexe-lv.csv",
        "SELECT DISTINCT region_academique FROM {src}",
    )
    unknown = [n for (n,) in rows if name_key(n) not in RA_KEYS]
    assert unknown == ["TOM+COLLECTIVITES-TERRITORIALES"]  # the COM: no région académique


@pytest.mark.mirror
def test_contours_2020(mirror: Path) -> None:
    path = mirror / "cat-miaou-vyz/fr-en-contour-academies-2020.geojson"
    features = json.loads(path.read_bytes())["features"]
    assert len(features) == 30
    for f in features:
        p = f["properties"]
        a = BY_CODE[p["code_academie"]]
        assert ACADEMY_KEYS[name_key(p["name"])] == a.code
        assert ACADEMY_KEYS[name_key(p["libelle_aca_majuscules"])] == a.code
        assert p["code_region_2016"] == a.region
