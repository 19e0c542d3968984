"""The dashboard's fixture release: the indicator tests' sources and referential (official
dataset ids, a few rows each, overseas départements included), plus square contours for
every level (so that maps draw) and a small directory of schools with coordinates (so that
school points and school pages have a location)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import yaml

from ardoise.catalog.loader import DESCRIPTORS_DIR
from ardoise.catalog.portal import PORTAL_EXPORT
from ardoise.referential.tables import REGIONS_ACADEMIQUES_SCHEMA, write_parquet
from ardoise.referential.topojson import bboxes
from tests.fixtures import square_topology
from tests.indicators import sample as ind

# (west, south, east, north) in degrees: one square per département, at its true place.
DEP_BOXES = {
    "69": (4.3, 45.5, 4.9, 46.3),
    "42": (3.7, 45.2, 4.7, 46.2),
    "35": (-2.3, 47.6, -1.0, 48.7),
    "14": (-1.2, 48.7, 0.4, 49.4),
    "76": (0.1, 49.3, 1.8, 50.1),
    "971": (-61.8, 15.8, -61.0, 16.5),
    "977": (-62.9, 17.85, -62.78, 17.95),
    "2A": (8.5, 41.3, 9.4, 42.4),
}
COMMUNE_BOXES = {
    "69": {"69123": (4.77, 45.7, 4.9, 45.8), "69259": (4.85, 45.68, 4.92, 45.72)},
    "42": {"42218": (4.3, 45.4, 4.45, 45.5), "42001": (3.9, 45.9, 4.0, 46.0)},
}
# uai: (name, nature, lat, lon, commune)
SCHOOLS = {
    "0690001B": ("École Jean Macé", "ECOLE DE NIVEAU ELEMENTAIRE", 45.767, 4.834, "69381"),
    "0690002C": ("École Saint-Joseph", "ECOLE DE NIVEAU ELEMENTAIRE", 45.75, 4.83, "69382"),
    "0420001Y": ("École Jules Ferry", "ECOLE DE NIVEAU ELEMENTAIRE", 45.44, 4.39, "42218"),
    "0420009G": ("École Victor Hugo", "ECOLE DE NIVEAU ELEMENTAIRE", 45.43, 4.40, "42218"),
    "0350001L": ("École Anne de Bretagne", "ECOLE DE NIVEAU ELEMENTAIRE", 48.11, -1.68, "35238"),
    "0690026D": ("Lycée Ampère", "LYCEE POLYVALENT", 45.763, 4.836, "69382"),
}
ANNUAIRE_ID = "fr-en-annuaire-education"
# A lycée's bac results (IVAL): general and technological sessions 2021 and 2022 (value added
# not published in 2021), vocational sessions 2020 and 2021 (a later year than the other).
IVAL_GT_ID = "fr-en-indicateurs-de-resultat-des-lycees-denseignement-general-et-technologique"
IVAL_PRO_ID = "fr-en-indicateurs-de-resultat-des-lycees-denseignement-professionnels"
IVAL_FIELDS = (
    "annee",
    "uai",
    "code_commune",
    "code_departement",
    "secteur",
    "presents_toutes_series",
    "taux_de_reussite_toutes_series",
    "valeur_ajoutee_du_taux_de_reussite_toutes_series",
)
IVAL_ROWS = {
    IVAL_GT_ID: (
        ("2021", "0690026D", "69382", "069", "public", "310", "93", "ND"),
        ("2022", "0690026D", "69382", "069", "public", "320", "96", "3"),
    ),
    IVAL_PRO_ID: (
        ("2020", "0690026D", "69382", "069", "public", "80", "84", "-2"),
        ("2021", "0690026D", "69382", "069", "public", "75", "88", "1"),
    ),
}


def _union(codes: list[str]) -> tuple[float, float, float, float]:
    boxes = [DEP_BOXES[c] for c in codes if c in DEP_BOXES]
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def write_geo(out: Path) -> None:
    geo = out / "geo"
    (geo / "communes").mkdir(parents=True, exist_ok=True)
    deps = {c: v[0] for c, v in ind.DEPARTEMENTS.items()}
    acas = {c: v[0] for c, v in ind.ACADEMIES.items() if not v[3]}
    files = {
        "departements": square_topology("departements", DEP_BOXES, deps),
        "academies": square_topology(
            "academies", {a: _union(list(ind.ACADEMIES[a][2])) for a in acas}, acas
        ),
        "regions": square_topology(
            "regions",
            {r: _union([d for d, v in ind.DEPARTEMENTS.items() if v[1] == r]) for r in ind.REGIONS},
            dict(ind.REGIONS),
        ),
    }
    communes = {c: v[0] for c, v in ind.COMMUNES.items()}
    for dep, boxes in COMMUNE_BOXES.items():
        files[f"communes/{dep}"] = square_topology("communes", boxes, communes)
    for name, topology in files.items():
        (geo / f"{name}.topojson").write_text(json.dumps(topology), encoding="utf-8")
        if "/" not in name:
            (geo / f"{name}.bbox.json").write_text(json.dumps(bboxes(topology)), encoding="utf-8")


def build_referential(mirror: Path, node_modules: Path, out: Path, cache: Path) -> ind.Summary:
    summary = ind.build_referential(mirror, node_modules, out, cache)
    if not (out / "regions_academiques.parquet").is_file():
        write_parquet(
            pa.Table.from_pylist([], schema=REGIONS_ACADEMIQUES_SCHEMA),
            out / "regions_academiques.parquet",
        )
    write_geo(out)
    return summary


def write_mirror(root: Path) -> Path:
    ind.write_mirror(root)
    lines = ["numero_uai;appellation_officielle;nature_uai_libe;latitude;longitude;code_commune"]
    lines += [f"{u};{n};{k};{lat};{lon};{c}" for u, (n, k, lat, lon, c) in SCHOOLS.items()]
    (root / "ind" / "annuaire.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for ident, rows in IVAL_ROWS.items():
        lines = [";".join(IVAL_FIELDS), *(";".join(r) for r in rows)]
        (root / "ind" / f"{ident}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _write_numerique(root)
    return root


def _ival_descriptor(ident: str) -> dict[str, object]:
    return ind._descriptor(
        ident,
        f"ind/{ident}.csv",
        [
            {**ind._field("annee", "int"), "label": "Annee"},
            {**ind._field("uai"), "label": "UAI"},
            {**ind._field("code_commune"), "label": "Code commune"},
            {**ind._field("code_departement"), "label": "Code departement"},
            {**ind._field("secteur"), "label": "Secteur"},
            {**ind._field("presents_toutes_series", "int"), "label": "Presents - Toutes series"},
            {
                **ind._field("taux_de_reussite_toutes_series", "int"),
                "label": "Taux de reussite - Toutes series",
            },
            {
                **ind._field("valeur_ajoutee_du_taux_de_reussite_toutes_series", "int"),
                "label": "Valeur ajoutee du taux de reussite - Toutes series",
            },
        ],
        key=["annee", "uai"],
        school_year={"field": "annee", "kind": "session"},
        temporal_coverage={"kind": "session", "years": ["2020", "2021", "2022"]},
        territories={"uai": "uai", "commune": "code_commune", "departement": "code_departement"},
        null_markers=["ND"],
    )


# The /numerique board (issue #19): the portal's catalogue export (one dataset held, three
# on the theme not held) and the Hérault TNE file, here with two collèges of the Rhône.
PORTAL_ROWS = (
    ("fr-en-etic_2d", "Enquête ETIC 2nd degré", "DEPP", "120"),
    ("fr-en-pix_resultats_par_eple", "Pix - Résultats par établissement", "GIP Pix", "32949"),
    ("fr-en-tne_personnels_formes", "TNE - Personnels formés", "DNE", "460"),
    ("fr-en-tne_suivi_audiences", "TNE - Suivi des audiences", "DNE", ""),
)
TNE_ID = "od-indicateurs-2d-colleges-tne"
TNE_PATH = "salim-belkhir-projet-data-science/od-indicateurs-2d-colleges-tne.csv"
TNE_ROWS = (
    "Communes;Nom;UAI;Niveau de labellisation;IPS;Résultats au DNB;"
    "Nombre de terminaux pédagogique /élève;Nombre d'heures de formation numérique /enseignant /3an",
    "LYON;COLLEGE A;0690007H;3;100.5;95.0;0.33;2.5",
    "LYON;COLLEGE B;0690008J;2;;;;1.0",
)


def _write_numerique(root: Path) -> None:
    export = root / PORTAL_EXPORT
    export.parent.mkdir(parents=True, exist_ok=True)
    head = "dataset_id;title;publisher;license;keyword;theme;modified;records_count"
    lines = [head] + [
        f"{i};{t};{p};Licence Ouverte v2.0 (Etalab);;;2026-01-01;{n}" for i, t, p, n in PORTAL_ROWS
    ]
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / TNE_PATH).parent.mkdir(parents=True, exist_ok=True)
    (root / TNE_PATH).write_text("\n".join(TNE_ROWS) + "\n", encoding="utf-8")


def write_catalog(directory: Path) -> Path:
    ind.write_catalog(directory)
    descriptor = ind._descriptor(
        ANNUAIRE_ID,
        "ind/annuaire.csv",
        [
            ind._field("numero_uai"),
            ind._field("appellation_officielle"),
            {**ind._field("nature_uai_libe"), "facet": True},
            ind._field("latitude", "double"),
            ind._field("longitude", "double"),
            ind._field("code_commune"),
        ],
        key=["numero_uai"],
        territories={"uai": "numero_uai", "commune": "code_commune"},
        temporal_coverage={"kind": "rentree", "years": []},
        spatial_coverage={
            "national": False,
            "description": "Extrait de test",
            "territories": [{"niveau": "academie", "code": "10", "nom": "Lyon"}],
        },
    )
    for ident, d in ((ANNUAIRE_ID, descriptor), *((i, _ival_descriptor(i)) for i in IVAL_ROWS)):
        (directory / f"{ident}.yaml").write_text(
            yaml.safe_dump(d, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    # the real descriptor of the TNE file, over the fixture rows
    shutil.copy(DESCRIPTORS_DIR / f"{TNE_ID}.yaml", directory / f"{TNE_ID}.yaml")
    return directory
