"""Fixture for the query tests: 30 schools written to Parquet with pyarrow, one Engine.

The rows are plain Python data so that tests can compute expected answers independently
of the SQL (``SCHOOLS`` is exposed through the ``schools`` fixture).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ardoise.query.engine import Engine
from ardoise.query.model import Schema

TABLE = "records"

# uai, nom, academie, departement, secteur, ips, effectif, ouverture, (lon, lat), rep, maj
_ROWS: list[tuple[Any, ...]] = [
    ("0690001A", "École élémentaire Jean Moulin", "Lyon", "069", "public", 95.2, 210, date(1962, 9, 1), (4.8357, 45.7640), False, datetime(2023, 1, 5, 8, 30)),
    ("0690002B", "Lycée Ampère", "Lyon", "069", "public", 121.7, 1450, date(1920, 10, 1), (4.8320, 45.7630), False, datetime(2023, 1, 5, 9, 0)),
    ("0690003C", "Collège Jean Moulin", "Lyon", "069", "public", 88.4, 540, date(1975, 9, 1), (4.8600, 45.7480), True, datetime(2023, 2, 1, 10, 0)),
    ("0690004D", "École privée Saint-Joseph", "Lyon", "069", "privé", 112.9, 180, date(1950, 9, 1), (4.8100, 45.7700), False, datetime(2023, 2, 1, 11, 0)),
    ("0420005E", "Lycée Claude Fauriel", "Lyon", "042", "public", 104.3, 1200, date(1985, 9, 1), (4.3872, 45.4397), False, datetime(2023, 3, 1, 8, 0)),
    ("0420006F", "École maternelle des Ursules", "Lyon", "042", "public", None, 95, date(2001, 9, 3), (4.3900, 45.4300), True, None),
    ("0750007G", "Lycée Henri-IV", "Paris", "075", "public", 151.3, 2500, date(1796, 1, 1), (2.3470, 48.8460), False, datetime(2023, 1, 10, 12, 0)),
    ("0750008H", "Collège Georges Brassens", "Paris", "075", "public", 78.9, 610, date(1974, 9, 1), (2.3800, 48.8900), True, datetime(2023, 1, 11, 12, 0)),
    ("0750009J", "École élémentaire Belleville", "Paris", "075", "public", 82.5, 250, date(1890, 9, 1), (2.3850, 48.8720), True, datetime(2023, 4, 12, 7, 45)),
    ("0750010K", "École Alsacienne", "Paris", "075", "privé", 153.0, 1900, date(1874, 10, 1), (2.3330, 48.8430), False, datetime(2023, 4, 12, 8, 0)),
    ("0750011L", "Lycée Louis-le-Grand", "Paris", "075", "public", 149.8, 1800, date(1563, 1, 1), (2.3440, 48.8480), False, datetime(2022, 12, 31, 23, 30)),
    ("0750012M", "Collège Françoise Dolto", "Paris", "075", "public", None, 480, None, None, True, None),
    ("0590013N", "Lycée Faidherbe", "Lille", "059", "public", 108.6, 1600, date(1852, 9, 1), (3.0630, 50.6300), False, datetime(2023, 5, 2, 9, 0)),
    ("0590014P", "Collège Lavoisier", "Lille", "059", "public", 72.1, 520, date(1968, 9, 1), (3.0800, 50.6200), True, datetime(2023, 5, 3, 9, 0)),
    ("0590015R", "École élémentaire Voltaire", "Lille", "059", "public", 69.8, 230, date(1930, 9, 1), (3.0500, 50.6400), True, datetime(2023, 5, 3, 10, 0)),
    ("0620016S", "Lycée Robespierre", "Lille", "062", "public", 96.0, 1100, date(1956, 9, 1), (2.7770, 50.2910), False, datetime(2023, 6, 1, 9, 0)),
    ("0620017T", "École privée Sainte-Marie", "Lille", "062", "privé", 101.5, 160, date(1912, 9, 1), (2.7800, 50.2900), False, datetime(2023, 6, 1, 10, 0)),
    ("0380018U", "Lycée Champollion", "Grenoble", "038", "public", 118.2, 1700, date(1887, 9, 1), (5.7245, 45.1885), False, datetime(2023, 7, 1, 9, 0)),
    ("0380019V", "Collège Olympique", "Grenoble", "038", "public", 84.7, 450, date(1968, 9, 1), (5.7400, 45.1800), True, datetime(2023, 7, 1, 10, 0)),
    ("0380020W", "École élémentaire Jean Jaurès", "Grenoble", "038", "public", 99.9, 300, date(1934, 9, 1), (5.7300, 45.1900), False, datetime(2023, 7, 2, 10, 0)),
    ("0730021X", "Lycée Vaugelas", "Grenoble", "073", "public", 103.1, 900, date(1875, 9, 1), (5.9200, 45.5700), False, datetime(2023, 8, 1, 9, 0)),
    ("0730022Y", "Collège de Maistre", "Grenoble", "073", "privé", 109.4, 700, date(2010, 9, 1), (5.9100, 45.5600), False, datetime(2023, 8, 1, 10, 0)),
    ("0130023Z", "Lycée Thiers", "Aix-Marseille", "013", "public", 124.0, 1500, date(1802, 1, 1), (5.3810, 43.2970), False, datetime(2023, 9, 1, 9, 0)),
    ("0130024A", "Collège Izzo", "Aix-Marseille", "013", "public", 71.3, 600, date(2015, 9, 1), (5.3700, 43.3100), True, datetime(2023, 9, 1, 10, 0)),
    ("0130025B", "École élémentaire Saint-Charles", "Aix-Marseille", "013", "public", 66.2, 280, date(1955, 9, 1), (5.3800, 43.3050), True, datetime(2023, 9, 2, 10, 0)),
    ("0840026C", "Lycée Mistral", "Aix-Marseille", "084", "public", 97.7, 1300, date(1900, 9, 1), (4.8050, 43.9500), False, datetime(2023, 10, 1, 9, 0)),
    ("0840027D", "École privée Notre-Dame", "Aix-Marseille", "084", "privé", 114.6, 210, date(1890, 9, 1), (4.8100, 43.9450), False, datetime(2023, 10, 1, 10, 0)),
    ("9710028E", "Lycée Baimbridge", "Guadeloupe", "971", "public", 90.5, 1400, date(1966, 9, 1), (-61.5200, 16.2400), False, datetime(2023, 11, 1, 9, 0)),
    ("9710029F", "Collège Front de Mer", "Guadeloupe", "971", "public", 75.4, 500, date(1980, 9, 1), (-61.5300, 16.2300), True, datetime(2023, 11, 1, 10, 0)),
    ("9710030G", "École élémentaire Bébian", None, "971", None, 80.0, None, date(1999, 9, 1), (-61.5400, 16.2350), None, datetime(2023, 11, 2, 10, 0)),
]

FIELDS = ("uai", "nom", "academie", "departement", "secteur", "ips", "effectif",
          "date_ouverture", "position", "rep", "maj")
SCHOOLS: list[dict[str, Any]] = [
    {**dict(zip(FIELDS, row, strict=True)),
     "position": None if row[8] is None else {"lon": row[8][0], "lat": row[8][1]}}
    for row in _ROWS
]
SCHEMA = Schema(TABLE, (
    ("uai", "text"), ("nom", "text"), ("academie", "text"), ("departement", "text"),
    ("secteur", "text"), ("ips", "double"), ("effectif", "int"), ("date_ouverture", "date"),
    ("position", "geo_point_2d"), ("rep", "boolean"), ("maj", "datetime"),
    ("contour", "geo_shape"),
))
ARROW_SCHEMA = pa.schema([
    ("uai", pa.string()), ("nom", pa.string()), ("academie", pa.string()),
    ("departement", pa.string()), ("secteur", pa.string()), ("ips", pa.float64()),
    ("effectif", pa.int64()), ("date_ouverture", pa.date32()),
    ("position", pa.struct([("lon", pa.float64()), ("lat", pa.float64())])),
    ("rep", pa.bool_()), ("maj", pa.timestamp("us")), ("contour", pa.string()),
])


def write_schools(path: Path) -> Path:
    columns = {name: [row[name] for row in SCHOOLS] for name in FIELDS}
    columns["contour"] = [None] * len(SCHOOLS)
    pq.write_table(pa.table(columns, schema=ARROW_SCHEMA), path)
    return path


@pytest.fixture(scope="session")
def schools_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_schools(tmp_path_factory.mktemp("query") / "schools.parquet")


@pytest.fixture(scope="session")
def engine(schools_parquet: Path) -> Iterator[Engine]:
    with Engine({TABLE: schools_parquet}, memory_limit="256MB", threads=2, time_limit_ms=5000) as e:
        yield e


@pytest.fixture(scope="session")
def schema() -> Schema:
    return SCHEMA


@pytest.fixture(scope="session")
def schools() -> list[dict[str, Any]]:
    return SCHOOLS
