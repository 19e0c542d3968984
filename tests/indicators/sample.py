"""A small release for the indicator tests: official dataset ids with a few rows each, and a
referential with the real schema (communes déléguées, arrondissements, former académies).

The rows are plain Python data so that tests can compute expected values by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ardoise.referential.keys import name_key
from ardoise.referential.model import Academie, Commune, Departement, Region, TerritoryCode
from ardoise.referential.tables import (
    REGIONS_ACADEMIQUES_SCHEMA,
    academies_table,
    communes_table,
    departements_table,
    regions_table,
    territory_codes_table,
    write_parquet,
)

# --- referential ------------------------------------------------------------------------

REGIONS = {
    "84": "Auvergne-Rhône-Alpes",
    "53": "Bretagne",
    "28": "Normandie",
    "01": "Guadeloupe",
    "977": "Saint-Barthélemy",
    "94": "Corse",
}
# code: (nom, region, academie)
DEPARTEMENTS = {
    "69": ("Rhône", "84", "10"),
    "42": ("Loire", "84", "10"),
    "35": ("Ille-et-Vilaine", "53", "14"),
    "14": ("Calvados", "28", "70"),
    "76": ("Seine-Maritime", "28", "70"),
    "971": ("Guadeloupe", "01", "32"),
    "977": ("Saint-Barthélemy", "977", "32"),
    "2A": ("Corse-du-Sud", "94", "27"),
}
# code: (nom, region, departements, ancienne, remplacee_par)
ACADEMIES = {
    "10": ("Lyon", "84", ("01", "42", "69"), False, None),
    "14": ("Rennes", "53", ("35",), False, None),
    "70": ("Normandie", "28", ("14", "76"), False, None),
    "05": ("Caen", "28", ("14",), True, "70"),
    "21": ("Rouen", "28", ("76",), True, "70"),
    "32": ("Guadeloupe", "01", ("971", "977"), False, None),
    "27": ("Corse", "94", ("2A",), False, None),
}
# code: (nom, type, departement, parent)
COMMUNES = {
    "69123": ("Lyon", "commune-actuelle", "69", None),
    "69381": ("Lyon 1er", "arrondissement-municipal", "69", "69123"),
    "69382": ("Lyon 2e", "arrondissement-municipal", "69", "69123"),
    "69259": ("Vénissieux", "commune-actuelle", "69", None),
    "42218": ("Saint-Étienne", "commune-actuelle", "42", None),
    "42001": ("Aboën", "commune-actuelle", "42", None),
    "35238": ("Rennes", "commune-actuelle", "35", None),
    "14118": ("Caen", "commune-actuelle", "14", None),
    "14011": ("Ancienne commune", "commune-deleguee", "14", "14118"),
    "76540": ("Rouen", "commune-actuelle", "76", None),
    "97105": ("Basse-Terre", "commune-actuelle", "971", None),
    "97701": ("Saint-Barthélemy", "commune-actuelle", "977", None),
    "2A004": ("Ajaccio", "commune-actuelle", "2A", None),
}


@dataclass(frozen=True)
class Summary:
    counts: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {"counts": self.counts, "fixture": "indicateurs"}


def build_referential(mirror: Path, node_modules: Path, out: Path, cache: Path) -> Summary:
    out.mkdir(parents=True, exist_ok=True)
    write_parquet(
        regions_table(
            [
                Region(c, n, "com" if c == "977" else "metro", "x", None)
                for c, n in sorted(REGIONS.items())
            ]
        ),
        out / "regions.parquet",
    )
    write_parquet(
        departements_table(
            [
                Departement(c, n, r, a, "metro", "x", None)
                for c, (n, r, a) in sorted(DEPARTEMENTS.items())
            ]
        ),
        out / "departements.parquet",
    )
    write_parquet(
        academies_table(
            [
                Academie(c, n, None, None, r, deps, (), old, new)
                for c, (n, r, deps, old, new) in ACADEMIES.items()
            ]
        ),
        out / "academies.parquet",
    )
    write_parquet(
        communes_table(
            [
                Commune(c, n, t, d, DEPARTEMENTS[d][1], DEPARTEMENTS[d][2], None, p, ())
                for c, (n, t, d, p) in sorted(COMMUNES.items())
            ]
        ),
        out / "communes.parquet",
    )
    codes: set[tuple[str, str, str]] = set()
    for c, (n, _r, _a) in DEPARTEMENTS.items():
        codes |= {("departement", c, c), ("departement", name_key(n), c)}
    for c, (n, *_rest) in ACADEMIES.items():
        codes |= {("academie", c, c), ("academie", name_key(n), c)}
    for c, n in REGIONS.items():
        codes |= {("region", c, c), ("region", name_key(n), c)}
    codes |= {("commune", c, c) for c in COMMUNES}
    write_parquet(
        territory_codes_table([TerritoryCode(*t) for t in sorted(codes)]),
        out / "territory_codes.parquet",
    )
    return Summary({"communes": len(COMMUNES), "departements": len(DEPARTEMENTS)})


def build_full_referential(mirror: Path, node_modules: Path, out: Path, cache: Path) -> Summary:
    """:func:`build_referential`, completed with an empty table of régions académiques so
    that what loads the whole referential (territory pages, search) knows its territories."""
    summary = build_referential(mirror, node_modules, out, cache)
    write_parquet(REGIONS_ACADEMIQUES_SCHEMA.empty_table(), out / "regions_academiques.parquet")
    return summary


# --- datasets -----------------------------------------------------------------------------

# IPS écoles from 2022: (year, académie, département as published, commune, uai, secteur, ips,
# national, académique, départemental)
ECOLES = [
    ("2022-2023", "10", "69", "69381", "0690001B", "public", "100", "105.4", "107.0", "110.1"),
    (
        "2022-2023",
        "10",
        "69",
        "69382",
        "0690002C",
        "privé sous contrat",
        "120.5",
        "105.4",
        "107.0",
        "110.1",
    ),
    ("2022-2023", "10", "69", "69382", "0690003D", "public", "NS", "105.4", "107.0", "110.1"),
    ("2022-2023", "10", "69", "69259", "0690004E", "public", "80.5", "105.4", "107.0", "110.1"),
    ("2022-2023", "10", "42", "42218", "0420001Y", "public", "90", "105.4", "107.0", "98.0"),
    ("2022-2023", "14", "35", "35238", "0350001L", "public", "110", "105.4", "106.0", "104.0"),
    ("2022-2023", "70", "14", "14011", "0140001A", "public", "95", "105.4", "101.0", "99.5"),
    ("2022-2023", "32", "971", "97105", "9710001Z", "public", "85", "105.4", "88.0", "87.0"),
    (
        "2022-2023",
        "32",
        "971",
        "97701",
        "9770001S",
        "privé sous contrat",
        "130",
        "105.4",
        "88.0",
        "87.0",
    ),
    ("2023-2024", "10", "69", "69381", "0690001B", "public", "101", "105.5", "107.1", "110.2"),
    (
        "2023-2024",
        "10",
        "69",
        "69382",
        "0690002C",
        "privé sous contrat",
        "121.5",
        "105.5",
        "107.1",
        "110.2",
    ),
    ("2023-2024", "10", "69", "69382", "0690003D", "public", "99", "105.5", "107.1", "110.2"),
    ("2023-2024", "10", "42", "42218", "0420001Y", "public", "91", "105.5", "107.1", "98.5"),
    ("2023-2024", "10", "42", "42218", "0420009G", "public", "93", "105.5", "107.1", "98.7"),
    ("2023-2024", "14", "35", "35238", "0350001L", "public", "NS", "105.5", "106.1", "104.1"),
]
# IPS écoles 2021 (old dataset): (year, académie name, département 3 digits, commune, uai, secteur, ips)
ECOLES_2021 = [
    ("2021-2022", "LYON", "069", "69381", "0690001B", "public", "99"),
    ("2021-2022", "LYON", "042", "42218", "0420001Y", "public", "89"),
    ("2021-2022", "RENNES", "035", "35238", "0350001L", "public", "109"),
]
# DNB: (session, académie code as published, département, âge, série, présents, admis,
# admis AB, admis B, admis TB)
DNB = [
    (2016, "5", "14", "15 ans", "SERIE GENERALE", 1000, 900, 300, 200, 100),
    (2016, "5", "14", "16 ans ou plus", "SERIE PROFESSIONNELLE", 200, 150, 20, 10, 5),
    (2016, "21", "76", "15 ans", "SERIE GENERALE", 1500, 1300, 400, 300, 200),
    (2024, "70", "14", "15 ans", "SERIE GENERALE", 1100, 1000, 300, 300, 100),
    (2024, "70", "76", "15 ans", "SERIE GENERALE", 1600, 1400, 500, 300, 200),
    (2024, "10", "69", "15 ans", "SERIE GENERALE", 3000, 2700, 900, 700, 500),
    (2024, "10", "69", "14 ans ou moins", "SERIE GENERALE", 100, 99, 20, 30, 40),
    (2024, "10", "42", "16 ans ou plus", "SERIE PROFESSIONNELLE", 12, 9, 1, 1, 0),
    (2024, "14", "35", "15 ans", "SERIE GENERALE", 2000, 1800, 600, 500, 400),
]
# Bac by département: (session, département as published, voie, genre, présents, admis)
BAC = [
    (2024, "069", "Générale", "Féminin", 500, 480),
    (2024, "069", "Professionnelle", "Masculin", 300, 240),
    (2024, "042", "Générale", "Masculin", 200, 190),
    (2024, "620", "Générale", "Féminin", 150, 140),
    (2024, "620", "Professionnelle", "Féminin", 50, 40),
]
# ETIC (partial coverage, millésime): (millésime, uai, académie name, département name,
# élèves, terminaux)
ETIC = [
    (2019, "0690005F", "LYON", "RHONE", 600, 150),
    (2019, "0690006G", "LYON", "RHONE", 400, 50),
    (2019, "0350007T", "RENNES", "ILLE-ET-VILAINE", 500, 100),
]

# Lycées pro (rentrée): (rentrée, uai, académie name, département name, élèves, filles and
# garçons of 2nde pro); the other sexed levels are 0.
LYCEES_PRO = [
    (2022, "0690007H", "LYON", "RHONE", 300, 40, 60),
    (2022, "0690008J", "LYON", "RHONE", 200, 30, 20),
    (2022, "0420010H", "LYON", "LOIRE", "", 5, 5),  # no total: left out of the sum
    (2022, "0350008U", "RENNES", "ILLE-ET-VILAINE", 150, 12, 3),
]
# Terminale générale specialities (rentrée): (rentrée, uai, académie, département,
# mathématiques filles, garçons, maths + physique-chimie filles, garçons); an empty cell is
# no pupil, as in the real file (a girls' lycée leaves its « garçons » cells empty)
SPECIALITES: list[tuple[Any, ...]] = [
    (2022, "0690007H", "LYON", "RHONE", 50, 70, 20, 40),
    (2022, "0690008J", "LYON", "RHONE", 30, 10, 5, 5),
    (2022, "0690011M", "LYON", "RHONE", 25, "", 9, ""),  # girls only
    (2022, "0420012K", "LYON", "LOIRE", "", "", "", ""),  # neither speciality taught
    (2022, "0350008U", "RENNES", "ILLE-ET-VILAINE", 8, 4, 1, 2),
]


def _indicator_fields(dataset: str) -> list[str]:
    """Every field the real indicator declarations read from ``dataset`` (so the sample
    declares them all, and no indicator is left with missing columns)."""
    from ardoise.indicators.loader import load_definitions

    names: list[str] = []
    for d in load_definitions():
        if dataset in d.dataset_ids:
            assert d.formula is not None
            names += d.formula.fields_used()
    return list(dict.fromkeys(names))


PRO_SEXED = [f for f in _indicator_fields("fr-en-lycee_pro-effectifs-niveau-sexe-lv") if "_" in f]
SPE_FIELDS = _indicator_fields("fr-en-effectifs-specialites-doublettes-terminale-generale")


def _pro_rows(lycees: list[tuple[Any, ...]] | None = None) -> list[tuple[Any, ...]]:
    rows = []
    for year, uai, aca, dep, total, girls, boys in LYCEES_PRO if lycees is None else lycees:
        sexed = [
            girls if f == "2ndes_pro_filles" else boys if f == "2ndes_pro_garcons" else 0
            for f in PRO_SEXED
            if f != "nombre_d_eleves"
        ]
        rows.append((year, uai, aca, dep, total, *sexed))
    return rows


def _spe_rows() -> list[tuple[Any, ...]]:
    given = (
        "0613_mathematiques_filles",
        "0613_mathematiques_garcons",
        "0001_mathematiques_physique_chimie_filles",
        "0001_mathematiques_physique_chimie_garcons",
    )
    rows = []
    for year, uai, aca, dep, *counts in SPECIALITES:
        by_name = dict(zip(given, counts, strict=True))
        rows.append((year, uai, aca, dep, *(by_name.get(f, 0) for f in SPE_FIELDS)))
    return rows


def _csv(path: Path, header: list[str], rows: list[tuple[Any, ...]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [";".join(header)] + [";".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_mirror(root: Path, lycees_pro: list[tuple[Any, ...]] | None = None) -> Path:
    """The sample's files under ``root``; ``lycees_pro``: other vocational lycées."""
    _csv(
        root / "ind" / "ecoles.csv",
        [
            "rentree_scolaire",
            "code_de_l_academie",
            "code_du_departement",
            "code_insee_de_la_commune",
            "uai",
            "secteur",
            "ips",
            "ips_national",
            "ips_academique",
            "ips_departemental",
        ],
        ECOLES,
    )
    _csv(
        root / "ind" / "ecoles2021.csv",
        [
            "rentree_scolaire",
            "academie",
            "code_du_departement",
            "code_insee_de_la_commune",
            "uai",
            "secteur",
            "ips",
        ],
        ECOLES_2021,
    )
    _csv(
        root / "ind" / "dnb.csv",
        [
            "annee",
            "code_academie",
            "code_departement",
            "age",
            "serie",
            "presents",
            "admis",
            "admis_mention_assez_bien",
            "admis_mention_bien",
            "admis_mention_tres_bien",
        ],
        DNB,
    )
    _csv(
        root / "ind" / "bac.csv",
        [
            "session",
            "code_departement",
            "voie",
            "genre",
            "nombre_de_presents_a_l_examen",
            "nombre_d_admis_a_l_examen",
        ],
        BAC,
    )
    _csv(
        root / "ind" / "etic.csv",
        ["millesime", "code_uai", "academie", "departement", "nbeleve", "nbterminaux"],
        ETIC,
    )
    pro_sexed = [f for f in PRO_SEXED if f != "nombre_d_eleves"]
    _csv(
        root / "ind" / "pro.csv",
        [
            "rentree_scolaire",
            "numero_lycee",
            "academie",
            "departement",
            "nombre_d_eleves",
            *pro_sexed,
        ],
        _pro_rows(lycees_pro),
    )
    _csv(
        root / "ind" / "doublettes.csv",
        ["rentree_scolaire", "numero_etablissement", "academie", "departement", *SPE_FIELDS],
        _spe_rows(),
    )
    return root


def _field(name: str, type_: str = "text") -> dict[str, Any]:
    return {"name": name, "label": name, "type": type_, "description": f"Champ {name}."}


def _descriptor(id_: str, path: str, fields: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": id_,
        "title": f"Jeu {id_}",
        "description": "Jeu écrit par les tests.",
        "publisher": "Tests",
        "licence": "Licence Ouverte v2.0 (Etalab)",
        "source_url": f"https://example.invalid/{id_}.csv",
        "frequency": "annuelle",
        "temporal_coverage": {"kind": "rentree", "years": ["2022-2023"]},
        "spatial_coverage": {"national": True, "description": "Test"},
        "sources": [{"path": path}],
        "fields": fields,
    }
    base.update(kw)
    return base


DESCRIPTORS: list[dict[str, Any]] = [
    _descriptor(
        "fr-en-ips-ecoles-ap2022",
        "ind/ecoles.csv",
        [
            _field("rentree_scolaire"),
            _field("code_de_l_academie"),
            _field("code_du_departement"),
            _field("code_insee_de_la_commune"),
            _field("uai"),
            _field("secteur"),
            _field("ips", "double"),
            _field("ips_national", "double"),
            _field("ips_academique", "double"),
            _field("ips_departemental", "double"),
        ],
        key=["rentree_scolaire", "uai"],
        school_year={"field": "rentree_scolaire", "kind": "annee_scolaire"},
        territories={
            "uai": "uai",
            "commune": "code_insee_de_la_commune",
            "departement": "code_du_departement",
            "academie": "code_de_l_academie",
        },
    ),
    _descriptor(
        "fr-en-ips_ecoles",
        "ind/ecoles2021.csv",
        [
            _field("rentree_scolaire"),
            _field("academie"),
            _field("code_du_departement"),
            _field("code_insee_de_la_commune"),
            _field("uai"),
            _field("secteur"),
            _field("ips", "double"),
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
        "fr-en-resultats-detailles-au-dnb",
        "ind/dnb.csv",
        [
            _field("annee", "int"),
            _field("code_academie"),
            _field("code_departement"),
            _field("age"),
            _field("serie"),
            _field("presents", "int"),
            _field("admis", "int"),
            _field("admis_mention_assez_bien", "int"),
            _field("admis_mention_bien", "int"),
            _field("admis_mention_tres_bien", "int"),
        ],
        key=["annee", "code_departement", "age", "serie"],
        school_year={"field": "annee", "kind": "session"},
        temporal_coverage={"kind": "session", "years": ["2016", "2024"]},
        territories={"departement": "code_departement", "academie": "code_academie"},
    ),
    _descriptor(
        "fr-en-baccalaureat-par-departement",
        "ind/bac.csv",
        [
            _field("session", "int"),
            _field("code_departement"),
            _field("voie"),
            _field("genre"),
            _field("nombre_de_presents_a_l_examen", "int"),
            _field("nombre_d_admis_a_l_examen", "int"),
        ],
        key=["session", "code_departement", "voie", "genre"],
        school_year={"field": "session", "kind": "session"},
        temporal_coverage={"kind": "session", "years": ["2024"]},
        territories={"departement": "code_departement"},
    ),
    _descriptor(
        "fr-en-etic_2d",
        "ind/etic.csv",
        [
            _field("millesime", "int"),
            _field("code_uai"),
            _field("academie"),
            _field("departement"),
            _field("nbeleve", "int"),
            _field("nbterminaux", "int"),
        ],
        key=["millesime", "code_uai"],
        school_year={"field": "millesime", "kind": "annee_civile"},
        temporal_coverage={"kind": "annee_civile", "years": ["2019"]},
        spatial_coverage={
            "national": False,
            "description": "Deux académies",
            "territories": [
                {"niveau": "academie", "code": "10", "nom": "Lyon"},
                {"niveau": "academie", "code": "14", "nom": "Rennes"},
            ],
        },
        territories={
            "uai": "code_uai",
            "academie_nom": "academie",
            "departement_nom": "departement",
        },
    ),
]

_LYCEE_TERRITORIES = {"academie_nom": "academie", "departement_nom": "departement"}
DESCRIPTORS += [
    _descriptor(
        "fr-en-lycee_pro-effectifs-niveau-sexe-lv",
        "ind/pro.csv",
        [
            _field("rentree_scolaire", "int"),
            _field("numero_lycee"),
            _field("academie"),
            _field("departement"),
            _field("nombre_d_eleves", "int"),
            *(_field(f, "int") for f in PRO_SEXED if f != "nombre_d_eleves"),
        ],
        key=["rentree_scolaire", "numero_lycee"],
        school_year={"field": "rentree_scolaire", "kind": "rentree"},
        territories={"uai": "numero_lycee", **_LYCEE_TERRITORIES},
    ),
    _descriptor(
        "fr-en-effectifs-specialites-doublettes-terminale-generale",
        "ind/doublettes.csv",
        [
            _field("rentree_scolaire", "int"),
            _field("numero_etablissement"),
            _field("academie"),
            _field("departement"),
            *(_field(f, "int") for f in SPE_FIELDS),
        ],
        key=["rentree_scolaire", "numero_etablissement"],
        school_year={"field": "rentree_scolaire", "kind": "rentree"},
        territories={"uai": "numero_etablissement", **_LYCEE_TERRITORIES},
    ),
]


def write_catalog(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for d in DESCRIPTORS:
        (directory / f"{d['id']}.yaml").write_text(
            yaml.safe_dump(d, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    return directory
