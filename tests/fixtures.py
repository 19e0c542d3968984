"""Small fixture sources, descriptors and referential, written by the tests themselves.

They exercise every reader (``;`` and ``,`` CSV, BOM, declared latin-1, Parquet, XLSX,
GeoJSON) and every kind of data problem the quality report must find.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

ECOLES_HEADER = (
    "Rentrée scolaire;Code du département;UAI;Nom de l'école;Code INSEE de la commune;Secteur;IPS"
)
ECOLES_ROWS = [
    "2022-2023;035;0352778E;ECOLE LA GUEDELAIS;35012;public;106.2",
    "2022-2023;35;0352865Z;ECOLE DIWAN;35115;privé;NS",
    "2022-2023;69;0690001A;ECOLE LUMIERE;69123;public;abc",  # bad check letter, bad IPS
    "2022-2023;2A;0200001X;ECOLE AJACCIO;2A004;public;99,5",  # decimal comma
    "2023;42;0420001K;ECOLE STE;42218;public;88.1",  # rentrée spelled 2023
    "2023-2024;42;0420001K;ECOLE STE;42218;public;89",
    "2023-2024;42;0420001K;ECOLE STE BIS;42218;public;90",  # duplicate key
    "2023-2024;99;0420002L;ECOLE NULLE PART;99999;public;",  # unknown dep + commune
]


def _uai_letter(digits: str) -> str:
    return "ABCDEFGHJKLMNPRSTUVWXYZ"[int(digits) % 23]


def fix_uais(rows: list[str]) -> list[str]:
    """Give every UAI its right check letter, except the one meant to be wrong (069…)."""
    out = []
    for row in rows:
        parts = row.split(";")
        uai = parts[2]
        if not uai.startswith("0690001"):
            parts[2] = uai[:7] + _uai_letter(uai[:7])
        out.append(";".join(parts))
    return out


CALENDAR = (
    "description,population,start_date,end_date,location,zones,annee_scolaire\n"
    "Vacances de la Toussaint,-,2023-10-20T22:00:00+00:00,2023-11-05T23:00:00+00:00,Lyon,Zone A,2023-2024\n"
    "Vacances de Noël,-,2023-12-22T23:00:00+00:00,2024-01-07T23:00:00+00:00,Rennes,Zone B,2023-2024\n"
    "Vacances de Noël,Élèves,2023-12-22T23:00:00+00:00,2024-01-07T23:00:00+00:00,Orléans-Tours,Zone B,2023-2024\n"
    "Vacances d'Été,-,2024-07-05T22:00:00+00:00,2024-09-01T22:00:00+00:00,Nouvelle Calédonie,Nouvelle Calédonie,2024\n"
    "Vacances d'Été,-,2024-07-05T22:00:00+00:00,2024-09-01T22:00:00+00:00,Atlantide,Zone Z,2023-2024\n"
)

EFFECTIFS_LATIN1 = (
    "Session;Académie;Effectif;Taux\n"
    "2023;Orléans-Tours;1200;87,5\n"
    "2023;LYON;800;91,0\n"
    "2024;Académie de Rennes;950;ND\n"
)


def write_mirror(root: Path) -> Path:
    (root / "ips").mkdir(parents=True, exist_ok=True)
    text = ECOLES_HEADER + "\n" + "\n".join(fix_uais(ECOLES_ROWS)) + "\n"
    (root / "ips" / "ecoles.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (root / "cal").mkdir(exist_ok=True)
    (root / "cal" / "calendrier.csv").write_text(CALENDAR, encoding="utf-8")
    (root / "latin").mkdir(exist_ok=True)
    (root / "latin" / "effectifs.csv").write_bytes(EFFECTIFS_LATIN1.encode("latin-1"))
    (root / "geo").mkdir(exist_ok=True)
    pq.write_table(
        pa.table(
            {
                "uai": ["0350001" + _uai_letter("0350001"), "0690002" + _uai_letter("0690002")],
                "effectif": [120.0, 85.0],
                "position": ["48.11, -1.68", "45.76, 4.83"],
            }
        ),
        root / "geo" / "points.parquet",
    )
    _write_xlsx(root / "geo" / "etabs.xlsx")
    (root / "geo" / "academies.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {
                            "code_academie": "14",
                            "name": "Rennes",
                            "geo_point_2d": {"lon": -2.0, "lat": 48.0},
                        },
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [[[-3, 47], [-1, 47], [-1, 49], [-3, 47]]],
                        },
                    },
                    {
                        "type": "Feature",
                        "properties": {
                            "code_academie": "10",
                            "name": "Lyon",
                            "geo_point_2d": {"lon": 4.8, "lat": 45.8},
                        },
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [[[4, 45], [5, 45], [5, 46], [4, 45]]],
                        },
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    return root


def _write_xlsx(path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "2D"
    sheet.append(["Liste des établissements"])
    sheet.append([])
    sheet.append(["Communes", "Nom", "UAI"])
    sheet.append(["Rennes", "Collège A", "0350001" + _uai_letter("0350001")])
    sheet.append(["Lyon", "Collège B", "0690002" + _uai_letter("0690002")])
    book.save(path)


def _field(name: str, label: str, type_: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, "label": label, "type": type_, "description": f"Champ {label}.", **kw}


def _descriptor(
    id_: str, sources: list[dict[str, Any]], fields: list[dict[str, Any]], **kw: Any
) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": id_,
        "title": f"Jeu de test {id_}",
        "description": "Jeu écrit par les tests.",
        "publisher": "Tests Ardoise",
        "licence": "Licence Ouverte v2.0 (Etalab)",
        "source_url": f"https://example.invalid/{id_}.csv",
        "frequency": "ponctuelle",
        "temporal_coverage": {"kind": "rentree", "years": ["2022-2023"]},
        "spatial_coverage": {"national": True, "description": "Test"},
        "sources": sources,
        "fields": fields,
    }
    base.update(kw)
    return base


DESCRIPTORS: list[dict[str, Any]] = [
    _descriptor(
        "test-ips-ecoles",
        [{"path": "ips/ecoles.csv"}],
        [
            _field("rentree_scolaire", "Rentrée scolaire", "text"),
            _field("code_du_departement", "Code du département", "text"),
            _field("uai", "UAI", "text"),
            _field("nom_de_l_ecole", "Nom de l'école", "text"),
            _field("code_insee_de_la_commune", "Code INSEE de la commune", "text"),
            _field("secteur", "Secteur", "text", facet=True),
            _field("ips", "IPS", "double", unit="indice"),
        ],
        key=["rentree_scolaire", "uai"],
        school_year={"field": "rentree_scolaire", "kind": "rentree"},
        territories={
            "uai": "uai",
            "commune": "code_insee_de_la_commune",
            "departement": "code_du_departement",
        },
    ),
    _descriptor(
        "test-calendrier",
        [{"path": "cal/calendrier.csv"}],
        [
            _field("description", "description", "text"),
            _field("population", "population", "text"),
            _field("start_date", "start_date", "datetime"),
            _field("end_date", "end_date", "datetime"),
            _field("location", "location", "text"),
            _field("zones", "zones", "text"),
            _field("annee_scolaire", "annee_scolaire", "text"),
        ],
        school_year={"field": "annee_scolaire", "kind": "annee_scolaire"},
        territories={"academie_nom": "location"},
    ),
    _descriptor(
        "test-effectifs-latin1",
        [{"path": "latin/effectifs.csv", "encoding": "latin-1"}],
        [
            _field("session", "Session", "int"),
            _field("academie", "Académie", "text"),
            _field("effectif", "Effectif", "int", unit="élèves"),
            _field("taux", "Taux", "double", unit="%"),
        ],
        school_year={"field": "session", "kind": "session"},
        territories={"academie_nom": "academie"},
        temporal_coverage={"kind": "session", "years": ["2023", "2024"]},
    ),
    _descriptor(
        "test-points",
        [{"path": "geo/points.parquet"}],
        [
            _field("uai", "uai", "text"),
            _field("effectif", "effectif", "int"),
            _field("position", "position", "geo_point_2d"),
        ],
        territories={"uai": "uai"},
        spatial_coverage={
            "national": False,
            "description": "Deux points",
            "territories": [{"niveau": "departement", "code": "35", "nom": "Ille-et-Vilaine"}],
        },
    ),
    _descriptor(
        "test-xlsx",
        [{"path": "geo/etabs.xlsx", "sheet": "2D", "header_row": 3}],
        [
            _field("communes", "Communes", "text"),
            _field("nom", "Nom", "text"),
            _field("uai", "UAI", "text"),
        ],
        territories={"uai": "uai"},
    ),
    _descriptor(
        "test-contours",
        [{"path": "geo/academies.geojson"}],
        [
            _field("code_academie", "code_academie", "text"),
            _field("name", "name", "text"),
            _field("geo_point_2d", "geo_point_2d", "geo_point_2d"),
            _field("geo_shape", "geo_shape", "geo_shape"),
        ],
        territories={"academie": "code_academie"},
        temporal_coverage={"kind": "annee_civile", "years": ["2020"]},
    ),
]


def write_catalog(directory: Path, descriptors: list[dict[str, Any]] | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for d in descriptors or DESCRIPTORS:
        (directory / f"{d['id']}.yaml").write_text(
            yaml.safe_dump(d, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    return directory


@dataclass(frozen=True)
class FakeReferentialSummary:
    counts: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {"counts": self.counts, "fixture": True}


def fake_referential(
    mirror: Path, node_modules: Path, out_dir: Path, cache_dir: Path
) -> FakeReferentialSummary:
    """A tiny referential with the territories the fixtures name (and not 99 / 99999)."""
    from ardoise.referential.keys import name_key

    out_dir.mkdir(parents=True, exist_ok=True)
    deps = {
        "35": ("Ille-et-Vilaine", "53", "14"),
        "69": ("Rhône", "84", "10"),
        "42": ("Loire", "84", "10"),
        "2A": ("Corse-du-Sud", "94", "27"),
    }
    acas = {
        "14": ("Rennes", "53"),
        "10": ("Lyon", "84"),
        "27": ("Corse", "94"),
        "18": ("Orléans-Tours", "24"),
        "40": ("Nouvelle-Calédonie", None),
    }
    communes = {
        "35012": "35",
        "35115": "35",
        "69123": "69",
        "42218": "42",
        "2A004": "2A",
        "35238": "35",
    }
    pq.write_table(
        pa.table(
            {
                "code": list(communes),
                "nom": [f"Commune {c}" for c in communes],
                "departement": list(communes.values()),
                "region": [deps[d][1] for d in communes.values()],
                "academie": [deps[d][2] for d in communes.values()],
            }
        ),
        out_dir / "communes.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "code": list(deps),
                "nom": [v[0] for v in deps.values()],
                "region": [v[1] for v in deps.values()],
                "academie": [v[2] for v in deps.values()],
            }
        ),
        out_dir / "departements.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "code": list(acas),
                "nom": [v[0] for v in acas.values()],
                "region": [v[1] for v in acas.values()],
            }
        ),
        out_dir / "academies.parquet",
    )
    codes: list[tuple[str, str, str]] = []
    codes += [("commune", c, c) for c in communes]
    codes += [("departement", d, d) for d in deps] + [
        ("departement", name_key(v[0]), d) for d, v in deps.items()
    ]
    codes += [("academie", a, a) for a in acas] + [
        ("academie", name_key(v[0]), a) for a, v in acas.items()
    ]
    codes += [("academie", name_key("Nouvelle Calédonie"), "40")]
    pq.write_table(
        pa.table(
            {
                "niveau": [c[0] for c in codes],
                "cle": [c[1] for c in codes],
                "code": [c[2] for c in codes],
            }
        ),
        out_dir / "territory_codes.parquet",
    )
    return FakeReferentialSummary({"departement": len(deps), "academie": len(acas)})


def square_topology(
    name: str, boxes: dict[str, tuple[float, float, float, float]], names: dict[str, str]
) -> dict[str, Any]:
    """A quantized topology (as mapshaper writes it) with one square ring per feature."""
    x0 = min(b[0] for b in boxes.values())
    y0 = min(b[1] for b in boxes.values())
    scale = 0.0001
    arcs, geometries = [], []
    for i, (code, (w, s, e, n)) in enumerate(sorted(boxes.items())):
        ring = [(w, s), (w, n), (e, n), (e, s), (w, s)]  # clockwise, as d3-geo wants
        q = [(round((x - x0) / scale), round((y - y0) / scale)) for x, y in ring]
        arcs.append([list(q[0])] + [[b[0] - a[0], b[1] - a[1]] for a, b in pairwise(q)])
        geometries.append(
            {"type": "Polygon", "arcs": [[i]], "properties": {"code": code, "nom": names[code]}}
        )
    return {
        "type": "Topology",
        "transform": {"scale": [scale, scale], "translate": [x0, y0]},
        "objects": {name: {"type": "GeometryCollection", "geometries": geometries}},
        "arcs": arcs,
    }


def sample_release(
    tmp: Path,
    sample: ModuleType,
    build_referential_fn: Any = None,
    **settings: Any,
) -> Any:
    """Settings of a release built by the real pipeline from a sample module's files
    (``write_mirror``, ``write_catalog``, ``build_referential`` unless another is given),
    under ``tmp``; published, or the test session stops here."""
    from ardoise.release.build import build_release
    from ardoise.settings import load_settings

    made = load_settings(
        environ={},
        mirror=sample.write_mirror(tmp / "mirror"),
        catalog_dir=sample.write_catalog(tmp / "catalog"),
        var_dir=tmp / "var",
        node_modules=Path(__file__).resolve().parents[1] / "node_modules",
        **settings,
    )
    result = build_release(
        made, build_referential_fn=build_referential_fn or sample.build_referential
    )
    assert result.published, result.message
    return made


# Two extracts of one dataset that overlap on rentrée 2020 (issue #19: lycée GT enrolment
# known by two copies). BOM, ";" and CRLF like the portal's exports; the newer extract adds
# a column, a school and a year, and differs on one label.
OLD_EXTRACT = (
    "rentree_scolaire;numero_lycee;academie;nombre_d_eleves",
    "2019;0350001{a};RENNES;300",
    "2019;0690002{b};LYON;200",
    "2020;0350001{a};RENNES;310",
    "2020;0690002{b};LYON;210",
)
NEW_EXTRACT = (
    "rentree_scolaire;numero_lycee;academie;nombre_d_eleves;code_postal",
    "2020;0350001{a};RENNES;310;35000",
    "2020;0690002{b};ACADEMIE DE LYON;210;69001",
    "2020;0690003{c};LYON;99;69002",
    "2021;0350001{a};RENNES;320;35000",
)


def write_overlapping_extracts(root: Path) -> Path:
    """The two extracts under ``root/gt`` (old.csv, new.csv); returns ``root``."""
    letters = {k: _uai_letter(v) for k, v in (("a", "0350001"), ("b", "0690002"), ("c", "0690003"))}
    (root / "gt").mkdir(parents=True, exist_ok=True)
    for name, lines in (("old.csv", OLD_EXTRACT), ("new.csv", NEW_EXTRACT)):
        text = "\r\n".join(line.format(**letters) for line in lines) + "\r\n"
        (root / "gt" / name).write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    return root


OVERLAP_DESCRIPTOR: dict[str, Any] = _descriptor(
    "test-extraits",
    [
        {"path": "gt/old.csv", "years": ["2019-2020"], "absent": ["code_postal"]},
        {"path": "gt/new.csv"},
    ],
    [
        _field("rentree_scolaire", "Rentrée scolaire", "int"),
        _field("numero_lycee", "Numéro lycée", "text"),
        _field("academie", "Académie", "text"),
        _field("nombre_d_eleves", "Nombre d'élèves", "int", unit="élèves"),
        _field("code_postal", "Code postal", "text"),
    ],
    key=["rentree_scolaire", "numero_lycee"],
    school_year={"field": "rentree_scolaire", "kind": "rentree"},
    temporal_coverage={"kind": "rentree", "years": ["2019-2020", "2020-2021", "2021-2022"]},
)
