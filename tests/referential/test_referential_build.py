"""The referential built from the real mirror: facts, contours, determinism, cache, loading.

Built once per module (≈ 10 s cold with the commune contours, on 2 cores).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

import ardoise.referential.build as build_module
from ardoise.errors import SourceMissing
from ardoise.referential.build import ReferentialSummary, build_referential
from ardoise.referential.inputs import locate_inputs
from ardoise.referential.load import Referential

pytestmark = [pytest.mark.mirror, pytest.mark.slow]

COM = {"975", "977", "978", "984", "986", "987", "988", "989"}
# Known gaps of the contour sources: france-geojson has no COM; the académie contours of
# 2020 have no vice-rectorat.
KNOWN_MISSING = {
    "regions": COM,
    "departements": COM,
    "academies": {"40", "41", "42", "44"},
}
SIZE_LIMITS = {"departements": 1_000_000, "regions": 300_000, "academies": 300_000}


@dataclass(frozen=True)
class Built:
    out: Path
    cache: Path
    summary: ReferentialSummary
    seconds: float


@pytest.fixture(scope="module")
def built(mirror: Path, node_modules: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("referential")
    start = time.perf_counter()
    summary = build_referential(mirror, node_modules, root / "out", root / "cache")
    return Built(root / "out", root / "cache", summary, time.perf_counter() - start)


@pytest.fixture(scope="module")
def ref(built: Built) -> Referential:
    return Referential.load(built.out)


def _rows(path: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = pq.read_table(path).to_pylist()
    return rows


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --- tables ---------------------------------------------------------------------------


def test_departements(ref: Referential) -> None:
    deps = ref.departements
    assert len([d for d in deps.values() if d.zone != "com"]) == 101
    assert set(deps) >= COM
    without = {d.code for d in deps.values() if d.academie is None}
    assert without == {"984", "989"}  # TAAF and Clipperton: no académie
    assert ref.academie_of_departement("977") == ref.academie("32")  # Saint-Barthélemy
    assert ref.academie_of_departement("2A") == ref.academie("27")
    assert deps["974"].zone == "drom" and deps["974"].region == "04"
    assert deps["42"].population is not None and deps["42"].population > 700_000


def test_academies(ref: Referential) -> None:
    current = [a for a in ref.academies.values() if not a.ancienne]
    assert len([a for a in current if a.region_academique]) == 30
    assert {a.code for a in current if not a.region_academique} == {"40", "41", "42", "44"}
    assert ref.current_academie("05").nom == "Normandie"
    assert ref.academie("10").region_academique_nom == "Auvergne-Rhône-Alpes"
    assert [d.code for d in ref.departements_of_academie("24")] == ["77", "93", "94"]
    assert ref.region_academique("10").nom == "Île-de-France"


def test_regions_and_populations(built: Built, ref: Referential) -> None:
    assert len([r for r in ref.regions.values() if r.zone != "com"]) == 18
    assert ref.region("84").chef_lieu == "69123"
    total = sum(r.population or 0 for r in ref.regions.values())
    assert total == 68_952_941  # populations légales over the communes actuelles (SOURCES.md)
    assert sum(d.population or 0 for d in ref.departements.values()) == total


def test_saint_etienne(ref: Referential) -> None:
    c = ref.commune("42218")
    assert (c.nom, c.type, c.departement, c.academie, c.region) == (
        "Saint-Étienne",
        "commune-actuelle",
        "42",
        "10",
        "84",
    )
    assert ref.academie(c.academie or "").nom == "Lyon"
    assert "42000" in c.codes_postaux


def test_arrondissements_resolve(built: Built, ref: Referential) -> None:
    for code, city in [
        ("75101", "75056"),
        ("75120", "75056"),
        ("69381", "69123"),
        ("13216", "13055"),
    ]:
        arrondissement = ref.commune(code)
        assert arrondissement.type == "arrondissement-municipal"
        assert arrondissement.commune_parente == city
        assert ref.resolve("commune", code) == code  # the lookup keeps the arrondissement
        assert ref.current_commune(code).code == city
    rows = _rows(built.out / "communes.parquet")
    assert sum(r["type"] == "arrondissement-municipal" for r in rows) == 45


def test_former_codes_map_to_current_communes(ref: Referential) -> None:
    assert ref.resolve("commune", "42190") == "42218"  # merged into Saint-Étienne
    assert ref.resolve("commune", "01340") == "01015"  # Saint-Bois → Arboys en Bugey
    assert ref.resolve("commune", "55273") == "55386"  # associée today, merged once elsewhere
    assert ref.current_commune("01340").nom == "Arboys en Bugey"


def test_names_resolve(ref: Referential) -> None:
    cases = [
        ("academie", "ACADEMIE DE LYON", "10"),
        ("academie", "Nancy Metz", "12"),
        ("academie", "Orleans-Tours", "18"),
        ("academie", "Polynésie Française", "41"),
        ("academie", "Nouvelle Calédonie", "40"),
        ("academie", "Wallis et Futuna", "42"),
        ("academie", "Saint Pierre et Miquelon", "44"),
        ("academie", "Normandie", "70"),
        ("academie", "CAEN", "05"),
        ("academie", "Réunion", "28"),
        ("region_academique", "ILE-DE-FRANCE", "10"),
        ("region_academique", "01", "01"),
        ("region", "Provence-Alpes-Côte d'Azur", "93"),
        ("region", "Auvergne-et-Rhône-Alpes", "84"),
        ("departement", "Côtes-d'Armor", "22"),
        ("departement", "SEINE ST DENIS", "93"),
        ("departement", "St-Pierre-et-Miquelon", "975"),
        ("departement", "2A", "2A"),
        ("departement", "ALPES-DE-HTE-PROVENCE", "04"),
        ("departement", "REUNION", "974"),
        ("departement", "009", "09"),
        ("departement", "02A", "2A"),
        ("departement", "620", "2A"),
        ("departement", "974", "974"),
        ("commune", "1015", "01015"),
        ("academie", "1", "01"),
    ]
    for niveau, value, code in cases:
        assert ref.resolve(niveau, value) == code, (niveau, value)
    assert ref.resolve("academie", "Atlantide") is None


DEPARTEMENT_NAMES = [
    (
        "cat-miaou-vyz/fr-en-adresse-et-geolocalisation-etablissements-premier-et-second-degre"
        "_colleges.csv",
        "libelle_departement",
    ),
    ("cat-miaou-vyz/donnees-dnb-2021-colleges.csv", "libelle_departement"),
    ("cat-miaou-vyz/valeur-ajoutee-colleges-2022-2023.csv", "Département"),
    ("helene-s-etablissement-ips/fr-en-ips-ecoles-ap2022.parquet", "departement"),
    ("lisebs-exam-data/fr-en-lycee_gt-effectifs-niveau-sexe-lv.csv", "departement"),
    ("leaajo-parcoursup-isd/fr-en-lycee_gt-effectifs-niveau-sexe-lv.csv", "departement"),
    ("leaajo-parcoursup-isd/fr-en-lycee_pro-effectifs-niveau-sexe-lv.csv", "departement"),
    (
        "leaajo-parcoursup-isd/fr-en-effectifs-specialites-doublettes-terminale-generale.csv",
        "departement",
    ),
    (
        "leaajo-parcoursup-isd/fr-en-effectifs-specialites-triplettes-1ere-generale.csv",
        "departement",
    ),
    (
        "sokyrio-datavisualisation-education/fr-en-resultats-detailles-au-dnb.csv",
        "Libellé département",
    ),
    ("sokyrio-datavisualisation-education/fr-en-baccalaureat-par-departement.csv", "Département"),
    (
        "rborhani-projet-python/fr-en-indicateurs-de-resultat-des-lycees-denseignement-general-et-"
        "technologique_extrait.csv",
        "Departement",
    ),
]


@pytest.mark.parametrize(("rel", "column"), DEPARTEMENT_NAMES)
def test_departement_names_in_the_data_resolve(
    ref: Referential, mirror: Path, rel: str, column: str
) -> None:
    path = mirror / rel
    if not path.exists():
        pytest.skip(f"{rel} absent du miroir")
    source = (
        f"read_parquet('{path}')"
        if rel.endswith(".parquet")
        else f"read_csv('{path}', all_varchar=true, sample_size=-1)"
    )
    with duckdb.connect() as conn:
        names = [
            n for (n,) in conn.execute(f'SELECT DISTINCT "{column}" FROM {source}').fetchall() if n
        ]
    assert [n for n in names if ref.resolve("departement", n) is None] == []


def test_territory_codes_are_unique_and_sorted(built: Built) -> None:
    rows = [
        (r["niveau"], r["cle"], r["code"]) for r in _rows(built.out / "territory_codes.parquet")
    ]
    assert rows == sorted(rows)
    assert len({(n, k) for n, k, _ in rows}) == len(rows)
    assert {n for n, _, _ in rows} == {
        "commune",
        "departement",
        "academie",
        "region",
        "region_academique",
    }


def test_ingest_reads_the_folder(built: Built) -> None:
    from ardoise.ingest.territories import load_referential

    with duckdb.connect() as conn:
        assert load_referential(conn, built.out)
        found = conn.execute(
            "SELECT code FROM ref_codes WHERE niveau = 'academie' AND cle = 'ORLEANS TOURS'"
        ).fetchall()
    assert found == [("18",)]


# --- contours -------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["regions", "departements", "academies"])
def test_contours(built: Built, ref: Referential, level: str) -> None:
    path = built.out / "geo" / f"{level}.topojson"
    assert path.stat().st_size <= SIZE_LIMITS[level]
    topology = json.loads(path.read_bytes())
    (name,) = topology["objects"]
    assert name == level
    geometries = topology["objects"][level]["geometries"]
    assert all(
        set(g["properties"]) == {"code", "nom"} and g["properties"]["nom"] for g in geometries
    )
    codes = {g["properties"]["code"] for g in geometries}
    expected = {
        "regions": set(ref.regions),
        "departements": set(ref.departements),
        "academies": {a.code for a in ref.academies.values() if not a.ancienne},
    }[level]
    assert expected - codes == KNOWN_MISSING[level]
    assert set(built.summary.geometry_missing[level]) == KNOWN_MISSING[level]
    boxes = json.loads((built.out / "geo" / f"{level}.bbox.json").read_bytes())
    assert set(boxes) == codes
    assert all(b[0] < b[2] and b[1] < b[3] for b in boxes.values())


def test_contour_names_are_current(built: Built) -> None:
    topology = json.loads((built.out / "geo" / "departements.topojson").read_bytes())
    names = {
        g["properties"]["code"]: g["properties"]["nom"]
        for g in topology["objects"]["departements"]["geometries"]
    }
    assert names["42"] == "Loire" and names["974"] == "La Réunion"
    boxes = json.loads((built.out / "geo" / "departements.bbox.json").read_bytes())
    minx, miny, maxx, maxy = boxes["42"]
    assert 3.6 < minx < maxx < 4.8 and 44.9 < miny < maxy < 46.4


def test_commune_contours(built: Built, ref: Referential) -> None:
    folder = built.out / "geo" / "communes"
    files = sorted(p.stem for p in folder.glob("*.topojson"))
    metro_drom = sorted(d.code for d in ref.departements.values() if d.zone != "com")
    assert files == metro_drom
    loire = json.loads((folder / "42.topojson").read_bytes())
    geometries = loire["objects"]["communes"]["geometries"]
    props = {g["properties"]["code"]: g["properties"]["nom"] for g in geometries}
    assert props["42218"] == "Saint-Étienne"
    # 2018 communes merged since are dissolved into their current commune.
    anjou = json.loads((folder / "49.topojson").read_bytes())["objects"]["communes"]["geometries"]
    codes = {g["properties"]["code"] for g in anjou}
    assert ref.resolve("commune", "49065") == "49080"
    assert "49065" not in codes and "49080" in codes
    assert codes == {
        c.code
        for c in ref.communes.values()
        if c.departement == "49" and c.type == "commune-actuelle"
    }
    missing = set(built.summary.geometry_missing["communes"])
    # Known gap: communes restored after 2018 are inside their former commune's shape.
    assert {c for c in missing if ref.commune(c).departement not in COM} == {
        "14666",
        "15031",
        "15035",
        "15047",
        "15171",
        "85165",
        "85212",
    }
    assert built.summary.geometry_unmatched == {}


# --- summary, determinism, cache, atomicity ----------------------------------------------


def test_summary(built: Built) -> None:
    data = built.summary.to_json()
    assert data["counts"] == {
        "regions": 26,
        "departements": 109,
        "academies": 36,
        "academies_actuelles": 34,
        "regions_academiques": 18,
        "communes": 37590,
        "communes_actuelles": 34969,
        "territory_codes": built.summary.counts["territory_codes"],
    }
    inputs = built.summary.inputs
    assert all(len(h) == 64 for h in inputs.values())
    assert "ardoise/referential/academies.yaml" in inputs
    assert len([k for k in inputs if "communes-par-departement" in k]) == 101
    json.dumps(data)  # serialisable as is
    assert set(built.summary.files) == set(_files(built.out))


def test_two_builds_give_the_same_bytes(
    built: Built, mirror: Path, node_modules: Path, tmp_path: Path
) -> None:
    # Fresh cache, without commune contours (the slow part): same bytes for shared files.
    summary = build_referential(
        mirror, node_modules, tmp_path / "out", tmp_path / "cache", communes_geometry=False
    )
    first, second = _files(built.out), _files(tmp_path / "out")
    assert set(second) == {k for k in first if not k.startswith("geo/communes/")}
    assert all(first[k] == second[k] for k in second)
    assert summary.cache_hits == ()

    # Warm: same cache as the first build (its time is measured by bench/ingest.py, not here).
    warm = build_referential(mirror, node_modules, tmp_path / "warm", built.cache)
    assert set(warm.cache_hits) == {"communes", "regions", "departements", "academies"}
    assert _files(tmp_path / "warm") == first
    assert warm.to_json() == built.summary.to_json()


def test_failure_leaves_no_partial_file(
    built: Built,
    mirror: Path,
    node_modules: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(staging: object, *args: object) -> None:
        build_module.write_parquet(build_module.regions_table(()), staging.path("regions.parquet"))  # type: ignore[attr-defined]
        raise OSError("disque plein")

    monkeypatch.setattr(build_module, "_write_tables", broken)
    out = tmp_path / "out"
    with pytest.raises(OSError, match="disque plein"):
        build_referential(mirror, node_modules, out, built.cache)
    assert list(out.iterdir()) == []


def test_mapshaper_is_required(mirror: Path, tmp_path: Path) -> None:
    with pytest.raises(SourceMissing, match="make install"):
        build_referential(mirror, tmp_path / "node_modules", tmp_path / "out", tmp_path / "cache")
    assert not (tmp_path / "out").exists()


def test_decoupage_falls_back_to_the_mirror(
    mirror: Path, node_modules: Path, tmp_path: Path
) -> None:
    fake = tmp_path / "node_modules"
    (fake / ".bin").mkdir(parents=True)
    os.symlink(node_modules / ".bin" / "mapshaper", fake / ".bin" / "mapshaper")
    shutil.copytree(
        node_modules / "mapshaper",
        fake / "mapshaper",
        symlinks=True,
        ignore=shutil.ignore_patterns("www", "*.js"),
    )
    inputs = locate_inputs(mirror, fake)
    assert inputs.decoupage_origin == "miroir"
    assert (
        inputs.decoupage["communes.json"].path
        == mirror / "etalab-decoupage-administratif" / "communes.json"
    )
    assert inputs.mapshaper_version == "0.7.70"
