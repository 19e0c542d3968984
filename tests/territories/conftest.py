"""A small release for the territory tests: its own referential (with contours) and sources.

The referential holds a few real territories (Lyon, Saint-Étienne, Rennes, Caen…) with their
true codes and populations, square contours, and the links the real build writes. The
sources cover each case: a national dataset of collèges (IPS), a partial directory with
names, natures and coordinates, a national dataset of écoles, results by département only,
a dataset holding only commune codes, and a calendar keyed by académie names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest

from ardoise.api.territoires import build_router
from ardoise.query.release import ServedRelease
from ardoise.referential.keys import name_key
from ardoise.referential.model import (
    Academie,
    Commune,
    Departement,
    Region,
    TerritoryCode,
)
from ardoise.referential.tables import (
    REGIONS_ACADEMIQUES_SCHEMA,
    academies_table,
    communes_table,
    departements_table,
    regions_table,
    territory_codes_table,
    write_parquet,
)
from ardoise.referential.topojson import bboxes
from ardoise.release.build import build_release
from ardoise.settings import Settings, load_settings
from ardoise.web.app import create_app
from tests.fixtures import _descriptor, _field, _uai_letter, square_topology, write_catalog

ROOT = Path(__file__).resolve().parents[2]

REGIONS = [
    Region("84", "Auvergne-Rhône-Alpes", "metro", "69123", 8_205_557),
    Region("53", "Bretagne", "metro", "35238", 3_449_370),
    Region("28", "Normandie", "metro", "76540", 3_345_842),
]
DEPARTEMENTS = [
    Departement("01", "Ain", "84", "10", "metro", "01053", 679_344),
    Departement("42", "Loire", "84", "10", "metro", "42218", 774_133),
    Departement("69", "Rhône", "84", "10", "metro", "69123", 1_908_961),
    Departement("35", "Ille-et-Vilaine", "53", "14", "metro", "35238", 1_109_567),
    Departement("14", "Calvados", "28", "70", "metro", "14118", 699_474),
    Departement("27", "Eure", "28", "70", "metro", "27229", 599_962),
]
ACADEMIES = [
    Academie("10", "Lyon", "01", "Auvergne-Rhône-Alpes", "84", ("01", "42", "69")),
    Academie("14", "Rennes", "03", "Bretagne", "53", ("35",)),
    Academie("05", "Caen", "14", "Normandie", "28", ("14",), ancienne=True, remplacee_par="70"),
    Academie("70", "Normandie", "14", "Normandie", "28", ("14", "27")),
]
_C = [
    ("42218", "Saint-Étienne", "42", 173_136),
    ("42207", "Saint-Chamond", "42", 35_000),
    ("69123", "Lyon", "69", 519_127),
    ("01053", "Bourg-en-Bresse", "01", 41_000),
    ("35238", "Rennes", "35", 222_485),
    ("14118", "Caen", "14", 106_000),
    ("27377", "Lyons-la-Forêt", "27", 756),
]
COMMUNES = [
    Commune(
        code,
        nom,
        "commune-actuelle",
        dep,
        next(d.region for d in DEPARTEMENTS if d.code == dep),
        next(d.academie for d in DEPARTEMENTS if d.code == dep),
        pop,
        None,
        (),
    )
    for code, nom, dep, pop in _C
]
COMMUNES += [
    Commune(
        "69381",
        "Lyon 1er Arrondissement",
        "arrondissement-municipal",
        "69",
        "84",
        "10",
        28_717,
        "69123",
        ("69001",),
    ),
    Commune(
        "69383",
        "Lyon 3e Arrondissement",
        "arrondissement-municipal",
        "69",
        "84",
        "10",
        100_679,
        "69123",
        ("69003",),
    ),
]
# Squares (west, south, east, north) in degrees: each contour is one ring.
DEP_BOXES = {
    "01": (5.0, 45.6, 6.0, 46.5),
    "42": (3.7, 45.2, 4.7, 46.2),
    "69": (4.3, 45.5, 4.9, 46.3),
    "35": (-2.3, 47.6, -1.0, 48.7),
    "14": (-1.2, 48.7, 0.4, 49.4),
    "27": (0.3, 48.6, 1.8, 49.5),
}
COMMUNE_BOXES = {
    "42": {"42218": (4.2, 45.3, 4.5, 45.5), "42207": (4.4, 45.4, 4.6, 45.5)},
    "69": {"69123": (4.77, 45.7, 4.9, 45.8)},
    "01": {"01053": (5.2, 46.1, 5.3, 46.3)},
}


def uai(digits: str) -> str:
    return digits + _uai_letter(digits)


# Schools of the fixture sources.
COL_STE = uai("0420010")  # collège in Saint-Étienne: IPS + directory (name, nature, place)
COL_STE2 = uai("0420011")  # collège in Saint-Étienne: directory only (missing from IPS)
COL_LYON1 = uai("0690010")  # collège in Lyon 1er arrondissement
COL_RENNES = uai("0350010")
ECOLE_CAEN = uai("0140010")


def _union(codes: list[str]) -> tuple[float, float, float, float]:
    boxes = [DEP_BOXES[c] for c in codes]
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _write_geo(out: Path) -> None:
    geo = out / "geo"
    (geo / "communes").mkdir(parents=True)
    deps = {d.code: d.nom for d in DEPARTEMENTS}
    acas = {a.code: a.nom for a in ACADEMIES if not a.ancienne}
    regs = {r.code: r.nom for r in REGIONS}
    files = {
        "departements": square_topology("departements", DEP_BOXES, deps),
        "academies": square_topology(
            "academies",
            {a: _union([d.code for d in DEPARTEMENTS if d.academie == a]) for a in acas},
            acas,
        ),
        "regions": square_topology(
            "regions",
            {r: _union([d.code for d in DEPARTEMENTS if d.region == r]) for r in regs},
            regs,
        ),
    }
    communes = {c.code: c.nom for c in COMMUNES}
    for dep, boxes in COMMUNE_BOXES.items():
        files[f"communes/{dep}"] = square_topology("communes", boxes, communes)
    for name, topology in files.items():
        (geo / f"{name}.topojson").write_text(json.dumps(topology), encoding="utf-8")
        if "/" not in name:
            (geo / f"{name}.bbox.json").write_text(json.dumps(bboxes(topology)), encoding="utf-8")


@dataclass(frozen=True)
class _Summary:
    def to_json(self) -> dict[str, Any]:
        return {"fixture": "territoires"}


def territory_referential(
    mirror: Path, node_modules: Path, out_dir: Path, cache_dir: Path
) -> _Summary:
    out_dir.mkdir(parents=True, exist_ok=True)
    codes: list[TerritoryCode] = []
    for c in COMMUNES:
        codes.append(TerritoryCode("commune", c.code, c.code))
    for niveau, items in (
        ("departement", DEPARTEMENTS),
        ("region", REGIONS),
        ("academie", ACADEMIES),
    ):
        for t in items:
            keys = {t.code, name_key(t.nom)}
            if niveau == "academie":
                keys.add(name_key(f"Académie de {t.nom}"))
            codes += [TerritoryCode(niveau, k, t.code) for k in sorted(keys)]
    write_parquet(regions_table(REGIONS), out_dir / "regions.parquet")
    write_parquet(departements_table(DEPARTEMENTS), out_dir / "departements.parquet")
    write_parquet(academies_table(ACADEMIES), out_dir / "academies.parquet")
    write_parquet(communes_table(COMMUNES), out_dir / "communes.parquet")
    write_parquet(
        territory_codes_table(sorted(codes, key=lambda t: (t.niveau, t.cle))),
        out_dir / "territory_codes.parquet",
    )
    write_parquet(
        pa.Table.from_pylist([], schema=REGIONS_ACADEMIQUES_SCHEMA),
        out_dir / "regions_academiques.parquet",
    )
    _write_geo(out_dir)
    return _Summary()


SOURCES = {
    "ips-colleges.csv": [
        "rentree_scolaire;academie;code_du_departement;uai;nom_de_l_etablissment;"
        "code_insee_de_la_commune;secteur;effectifs;ips",
        f"2021-2022;LYON;042;{COL_STE};COLLEGE JEAN MOULIN;42218;public;400;101.5",
        f"2022-2023;LYON;042;{COL_STE};COLLEGE JEAN MOULIN;42218;public;410;102.5",
        f"2022-2023;LYON;069;{COL_LYON1};COLLEGE ANTOINE;69381;public;500;120.0",
        f"2022-2023;RENNES;035;{COL_RENNES};COLLEGE RENNES;35238;privé sous contrat;300;NS",
    ],
    "annuaire.csv": [
        "numero_uai;appellation_officielle;nature_uai_libe;latitude;longitude;code_commune",
        f"{COL_STE};Collège Jean Moulin;COLLEGE;45.43;4.39;42218",
        f"{COL_STE2};Collège Honoré d'Urfé;COLLEGE;45.44;4.38;42218",
        f"{COL_LYON1};Collège Antoine de Saint-Exupéry;COLLEGE;45.76;4.83;69381",
        f"{ECOLE_CAEN};École Jules Ferry;ECOLE DE NIVEAU ELEMENTAIRE;49.18;-0.37;14118",
    ],
    "ips-ecoles.csv": [
        "rentree_scolaire;uai;nom_de_l_etablissement;code_insee_de_la_commune;ips",
        f"2022-2023;{ECOLE_CAEN};ECOLE ELEMENTAIRE JULES FERRY;14118;95.0",
    ],
    "dnb-dep.csv": [
        "session;code_departement;presents;admis",
        "2023;42;1000;880",
        "2023;69;2000;1800",
        "2023;35;1500;1400",
        "2023;1;500;450",
    ],
    "communes.csv": [
        "code_commune;valeur",
        "42218;1",
        "42207;2",
        "69381;3",
        "69123;4",
        "01053;5",
        "35238;6",
        "27377;7",
    ],
    "calendrier.csv": [
        "location;annee_scolaire;description",
        "Lyon;2023-2024;Noël",
        "Caen;2018-2019;Noël",
        "Normandie;2023-2024;Noël",
        "Rennes;2023-2024;Noël",
    ],
}

_T = "text"


def _f(name: str, type_: str, **kw: Any) -> dict[str, Any]:
    """A field whose label follows the portal's naming rule back to ``name``."""
    return _field(name, name.replace("_", " ").capitalize(), type_, **kw)


DESCRIPTORS = [
    _descriptor(
        "t-ips-colleges",
        [{"path": "terr/ips-colleges.csv"}],
        [
            _f("rentree_scolaire", _T, facet=True),
            _f("academie", _T, facet=True),
            _f("code_du_departement", _T),
            _f("uai", _T),
            _f("nom_de_l_etablissment", _T),
            _f("code_insee_de_la_commune", _T),
            _f("secteur", _T, facet=True),
            _f("effectifs", "int", unit="élèves"),
            _f("ips", "double", unit="indice"),
        ],
        key=["rentree_scolaire", "uai"],
        school_year={"field": "rentree_scolaire", "kind": "annee_scolaire"},
        territories={
            "uai": "uai",
            "commune": "code_insee_de_la_commune",
            "departement": "code_du_departement",
            "academie_nom": "academie",
        },
    ),
    _descriptor(
        "t-annuaire",
        [{"path": "terr/annuaire.csv"}],
        [
            _f("numero_uai", _T),
            _f("appellation_officielle", _T),
            _f("nature_uai_libe", _T, facet=True),
            _f("latitude", "double"),
            _f("longitude", "double"),
            _f("code_commune", _T),
        ],
        territories={"uai": "numero_uai", "commune": "code_commune"},
        spatial_coverage={
            "national": False,
            "description": "Extrait",
            "territories": [{"niveau": "departement", "code": "42", "nom": "Loire"}],
        },
    ),
    _descriptor(
        "t-ips-ecoles",
        [{"path": "terr/ips-ecoles.csv"}],
        [
            _f("rentree_scolaire", _T),
            _f("uai", _T),
            _f("nom_de_l_etablissement", _T),
            _f("code_insee_de_la_commune", _T),
            _f("ips", "double"),
        ],
        school_year={"field": "rentree_scolaire", "kind": "annee_scolaire"},
        territories={"uai": "uai", "commune": "code_insee_de_la_commune"},
    ),
    _descriptor(
        "t-dnb-dep",
        [{"path": "terr/dnb-dep.csv"}],
        [
            _f("session", "int"),
            _f("code_departement", _T, facet=True),
            _f("presents", "int"),
            _f("admis", "int"),
        ],
        school_year={"field": "session", "kind": "session"},
        temporal_coverage={"kind": "session", "years": ["2023"]},
        territories={"departement": "code_departement"},
    ),
    _descriptor(
        "t-communes",
        [{"path": "terr/communes.csv"}],
        [_f("code_commune", _T), _f("valeur", "int")],
        territories={"commune": "code_commune"},
    ),
    _descriptor(
        "t-calendrier",
        [{"path": "terr/calendrier.csv"}],
        [_f("location", _T), _f("annee_scolaire", _T), _f("description", _T)],
        school_year={"field": "annee_scolaire", "kind": "annee_scolaire"},
        territories={"academie_nom": "location"},
    ),
]


@pytest.fixture(scope="session")
def terr_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    tmp = tmp_path_factory.mktemp("territoires")
    mirror = tmp / "mirror"
    (mirror / "terr").mkdir(parents=True)
    (mirror / "SOURCES.md").write_text("Sources des tests des territoires.\n", encoding="utf-8")
    for name, lines in SOURCES.items():
        (mirror / "terr" / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = load_settings(
        environ={},
        mirror=mirror,
        catalog_dir=write_catalog(tmp / "catalog", DESCRIPTORS),
        var_dir=tmp / "var",
        node_modules=ROOT / "node_modules",
    )
    result = build_release(settings, build_referential_fn=territory_referential)
    assert result.published, result.message
    return settings


@pytest.fixture(scope="session")
def served(terr_settings: Settings) -> Iterator[ServedRelease]:
    release = ServedRelease(terr_settings.current_link.resolve(), terr_settings)
    yield release
    release.close()


@pytest.fixture(scope="session")
def client(terr_settings: Settings) -> Iterator[httpx.Client]:
    from starlette.testclient import TestClient

    app = create_app(terr_settings)
    app.include_router(build_router(), prefix="/api/v1")
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
