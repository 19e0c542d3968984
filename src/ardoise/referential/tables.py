"""Parquet files of the referential: schemas, rows → Arrow tables, deterministic writes.

Rows arrive sorted; files carry no timestamp, so identical inputs give identical bytes
(for a given pyarrow version, which writes its name in the footer).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ardoise.referential.academies import AcademyTable
from ardoise.referential.model import (
    Academie,
    Commune,
    Departement,
    Region,
    RegionAcademique,
    TerritoryCode,
)

_TEXT = pa.string()
_TEXTS = pa.list_(pa.string())

REGIONS_SCHEMA = pa.schema(
    [
        pa.field("code", _TEXT, nullable=False),
        pa.field("nom", _TEXT, nullable=False),
        pa.field("zone", _TEXT, nullable=False),
        pa.field("chef_lieu", _TEXT, nullable=False),
        pa.field("population", pa.int64()),
    ]
)
DEPARTEMENTS_SCHEMA = pa.schema(
    [
        pa.field("code", _TEXT, nullable=False),
        pa.field("nom", _TEXT, nullable=False),
        pa.field("region", _TEXT, nullable=False),
        pa.field("academie", _TEXT),
        pa.field("zone", _TEXT, nullable=False),
        pa.field("chef_lieu", _TEXT, nullable=False),
        pa.field("population", pa.int64()),
    ]
)
ACADEMIES_SCHEMA = pa.schema(
    [
        pa.field("code", _TEXT, nullable=False),
        pa.field("nom", _TEXT, nullable=False),
        pa.field("region_academique", _TEXT),
        pa.field("region_academique_nom", _TEXT),
        pa.field("region", _TEXT, nullable=False),
        pa.field("departements", _TEXTS, nullable=False),
        pa.field("alias", _TEXTS, nullable=False),
        pa.field("ancienne", pa.bool_(), nullable=False),
        pa.field("remplacee_par", _TEXT),
    ]
)
REGIONS_ACADEMIQUES_SCHEMA = pa.schema(
    [
        pa.field("code", _TEXT, nullable=False),
        pa.field("nom", _TEXT, nullable=False),
        pa.field("region", _TEXT, nullable=False),
        pa.field("academies", _TEXTS, nullable=False),
        pa.field("alias", _TEXTS, nullable=False),
    ]
)
COMMUNES_SCHEMA = pa.schema(
    [
        pa.field("code", _TEXT, nullable=False),
        pa.field("nom", _TEXT, nullable=False),
        pa.field("type", _TEXT, nullable=False),
        pa.field("departement", _TEXT, nullable=False),
        pa.field("region", _TEXT, nullable=False),
        pa.field("academie", _TEXT),
        pa.field("population", pa.int64()),
        pa.field("commune_parente", _TEXT),
        pa.field("codes_postaux", _TEXTS, nullable=False),
    ]
)
TERRITORY_CODES_SCHEMA = pa.schema(
    [
        pa.field("niveau", _TEXT, nullable=False),
        pa.field("cle", _TEXT, nullable=False),
        pa.field("code", _TEXT, nullable=False),
    ]
)

# file name → schema: what a referential folder holds besides geo/.
SCHEMAS: dict[str, pa.Schema] = {
    "regions.parquet": REGIONS_SCHEMA,
    "departements.parquet": DEPARTEMENTS_SCHEMA,
    "academies.parquet": ACADEMIES_SCHEMA,
    "regions_academiques.parquet": REGIONS_ACADEMIQUES_SCHEMA,
    "communes.parquet": COMMUNES_SCHEMA,
    "territory_codes.parquet": TERRITORY_CODES_SCHEMA,
}


def regions_table(rows: Sequence[Region]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "code": r.code,
                "nom": r.nom,
                "zone": r.zone,
                "chef_lieu": r.chef_lieu,
                "population": r.population,
            }
            for r in rows
        ],
        schema=REGIONS_SCHEMA,
    )


def departements_table(rows: Sequence[Departement]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "code": d.code,
                "nom": d.nom,
                "region": d.region,
                "academie": d.academie,
                "zone": d.zone,
                "chef_lieu": d.chef_lieu,
                "population": d.population,
            }
            for d in rows
        ],
        schema=DEPARTEMENTS_SCHEMA,
    )


def academies_table(rows: Sequence[Academie]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "code": a.code,
                "nom": a.nom,
                "region_academique": a.region_academique,
                "region_academique_nom": a.region_academique_nom,
                "region": a.region,
                "departements": list(a.departements),
                "alias": list(a.alias),
                "ancienne": a.ancienne,
                "remplacee_par": a.remplacee_par,
            }
            for a in sorted(rows, key=lambda a: a.code)
        ],
        schema=ACADEMIES_SCHEMA,
    )


def regions_academiques_table(table: AcademyTable) -> pa.Table:
    rows: list[RegionAcademique] = sorted(table.regions_academiques, key=lambda r: r.code)
    return pa.Table.from_pylist(
        [
            {
                "code": r.code,
                "nom": r.nom,
                "region": r.region,
                "alias": list(r.alias),
                "academies": sorted(a.code for a in table.current if a.region_academique == r.code),
            }
            for r in rows
        ],
        schema=REGIONS_ACADEMIQUES_SCHEMA,
    )


def communes_table(rows: Sequence[Commune]) -> pa.Table:
    # Column-wise: 37,000 rows, built without one dict per row.
    return pa.Table.from_arrays(
        [
            pa.array([c.code for c in rows], _TEXT),
            pa.array([c.nom for c in rows], _TEXT),
            pa.array([c.type for c in rows], _TEXT),
            pa.array([c.departement for c in rows], _TEXT),
            pa.array([c.region for c in rows], _TEXT),
            pa.array([c.academie for c in rows], _TEXT),
            pa.array([c.population for c in rows], pa.int64()),
            pa.array([c.commune_parente for c in rows], _TEXT),
            pa.array([list(c.codes_postaux) for c in rows], _TEXTS),
        ],
        schema=COMMUNES_SCHEMA,
    )


def territory_codes_table(rows: Sequence[TerritoryCode]) -> pa.Table:
    return pa.Table.from_arrays(
        [
            pa.array([t.niveau for t in rows], _TEXT),
            pa.array([t.cle for t in rows], _TEXT),
            pa.array([t.code for t in rows], _TEXT),
        ],
        schema=TERRITORY_CODES_SCHEMA,
    )


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write ``table`` at ``path`` with fixed settings (zstd, statistics, no timestamps)."""
    pq.write_table(
        table,
        path,
        compression="zstd",
        use_dictionary=True,
        write_statistics=True,
        row_group_size=1 << 20,
    )
