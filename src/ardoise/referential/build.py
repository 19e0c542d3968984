"""Build a release's ``referential/`` folder: territorial tables, lookup and contours.

Written into ``out_dir``::

    regions.parquet  departements.parquet  academies.parquet  regions_academiques.parquet
    communes.parquet  territory_codes.parquet
    geo/{regions,departements,academies}.topojson  geo/<level>.bbox.json
    geo/communes/<département>.topojson            (when the commune contours are built)

Everything is staged under a temporary folder of ``out_dir`` then renamed into place, so a
failed build leaves no partial file. Only ``out_dir`` and ``cache_dir`` are written.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ardoise.referential.academies import AcademyTable, load_academy_table
from ardoise.referential.communes import AdminTables, admin_tables, read_json_list
from ardoise.referential.geometry import (
    LEVELS,
    QUANTIZATION,
    SIMPLIFY,
    GeometryJob,
    GeometryResult,
    build_geometries,
    communes_map,
)
from ardoise.referential.inputs import InputFile, ReferentialInputs, locate_inputs, sha256_file
from ardoise.referential.model import TerritoryCode
from ardoise.referential.staging import Staging
from ardoise.referential.tables import (
    academies_table,
    communes_table,
    departements_table,
    regions_academiques_table,
    regions_table,
    territory_codes_table,
    write_parquet,
)
from ardoise.referential.territory_codes import territory_codes


@dataclass(frozen=True)
class ReferentialSummary:
    """What a build produced, for the release manifest (see :meth:`to_json`)."""

    counts: Mapping[str, int]
    inputs: Mapping[str, str]  # input name → sha256
    decoupage_origin: str  # "node_modules" or "miroir"
    decoupage_version: str
    mapshaper_version: str
    files: tuple[str, ...]  # every file written, relative to out_dir
    geometry_sizes: Mapping[str, int]  # geo/… → bytes
    geometry_missing: Mapping[str, tuple[str, ...]]  # level → codes without a contour
    geometry_unmatched: Mapping[str, tuple[str, ...]]  # level → source codes not in the COG
    cache_hits: tuple[str, ...] = ()  # geometry levels taken from the cache (not in to_json)

    def to_json(self) -> dict[str, object]:
        """Deterministic: identical inputs give an identical dict, cache hit or not.

        Commune contours are summed up (file count and total bytes), not listed.
        """
        sizes: dict[str, object] = {
            k: v for k, v in self.geometry_sizes.items() if not k.startswith("geo/communes/")
        }
        commune_sizes = [v for k, v in self.geometry_sizes.items() if k.startswith("geo/communes/")]
        if commune_sizes:
            sizes["geo/communes/"] = {"fichiers": len(commune_sizes), "octets": sum(commune_sizes)}
        return {
            "counts": dict(self.counts),
            "inputs": dict(self.inputs),
            "sources": {
                "decoupage_administratif": {
                    "origine": self.decoupage_origin,
                    "version": self.decoupage_version,
                },
                "mapshaper": self.mapshaper_version,
            },
            "geometry": {
                "simplify": {k: v for k, v in SIMPLIFY.items() if k in LEVELS or commune_sizes},
                "quantization": QUANTIZATION,
                "sizes": sizes,
                "missing": {k: list(v) for k, v in self.geometry_missing.items()},
                "unmatched": {k: list(v) for k, v in self.geometry_unmatched.items()},
            },
        }


def build_referential(
    mirror: Path,
    node_modules: Path,
    out_dir: Path,
    cache_dir: Path,
    *,
    communes_geometry: bool = True,
) -> ReferentialSummary:
    """Build the referential into ``out_dir`` (a release's ``referential/`` folder).

    ``communes_geometry=False`` skips the per-département commune contours (the slowest
    part, ≈ 6 s cold). Raise SourceMissing when an input or mapshaper is absent,
    SourceUnreadable when an input is inconsistent.
    """
    inputs = locate_inputs(mirror, node_modules)
    used = [
        f for f in inputs.all_files() if communes_geometry or f not in inputs.communes_geometries
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        hashes = dict(
            zip([f.name for f in used], pool.map(lambda f: sha256_file(f.path), used), strict=True)
        )

    academies = load_academy_table(inputs.academies.path)
    admin = admin_tables(
        read_json_list(inputs.decoupage["regions.json"].path),
        read_json_list(inputs.decoupage["departements.json"].path),
        read_json_list(inputs.decoupage["communes.json"].path),
        academies,
    )
    codes = territory_codes(admin, academies)
    jobs = _geometry_jobs(inputs, hashes, admin, academies, communes_geometry)

    with Staging(out_dir) as staging, ThreadPoolExecutor(max_workers=1) as pool:
        # mapshaper runs in subprocesses while the tables are written.
        geometry = pool.submit(build_geometries, jobs, inputs, cache_dir, staging)
        _write_tables(staging, admin, academies, codes)
        result = geometry.result()
        written = staging.commit(replace_dirs=("geo/communes",))

    return ReferentialSummary(
        counts=_counts(admin, academies, codes),
        inputs=dict(sorted(hashes.items())),
        decoupage_origin=inputs.decoupage_origin,
        decoupage_version=inputs.decoupage_version,
        mapshaper_version=inputs.mapshaper_version,
        files=tuple(written),
        geometry_sizes=dict(sorted(result.files.items())),
        geometry_missing=_missing(result, admin, academies),
        geometry_unmatched=result.unmatched,
        cache_hits=result.cache_hits,
    )


def _geometry_jobs(
    inputs: ReferentialInputs,
    hashes: Mapping[str, str],
    admin: AdminTables,
    academies: AcademyTable,
    communes_geometry: bool,
) -> list[GeometryJob]:
    def job(
        level: str, files: tuple[InputFile, ...], names: dict[str, str], extra: bytes = b""
    ) -> GeometryJob:
        return GeometryJob(level, files, tuple(hashes[f.name] for f in files), names, extra)

    # Longest first: the commune contours take most of the time.
    jobs = []
    if communes_geometry and inputs.communes_geometries:
        current = {
            c.code: (c.nom, c.departement) for c in admin.communes if c.type == "commune-actuelle"
        }
        delegated = {
            c.code: c.commune_parente
            for c in admin.communes
            if c.type in ("commune-deleguee", "commune-associee") and c.commune_parente
        }
        jobs.append(
            job(
                "communes",
                inputs.communes_geometries,
                {code: nom for code, (nom, _d) in current.items()},
                communes_map(admin.anciens_codes, delegated, current),
            )
        )
    jobs += [
        job("regions", (inputs.geometries["regions"],), {r.code: r.nom for r in admin.regions}),
        job(
            "departements",
            (inputs.geometries["departements"],),
            {d.code: d.nom for d in admin.departements},
        ),
        job(
            "academies",
            (inputs.geometries["academies"],),
            {a.code: a.nom for a in academies.current},
        ),
    ]
    return jobs


def _write_tables(
    staging: Staging,
    admin: AdminTables,
    academies: AcademyTable,
    codes: tuple[TerritoryCode, ...],
) -> None:
    write_parquet(regions_table(admin.regions), staging.path("regions.parquet"))
    write_parquet(departements_table(admin.departements), staging.path("departements.parquet"))
    write_parquet(academies_table(academies.academies), staging.path("academies.parquet"))
    write_parquet(regions_academiques_table(academies), staging.path("regions_academiques.parquet"))
    write_parquet(communes_table(admin.communes), staging.path("communes.parquet"))
    write_parquet(territory_codes_table(codes), staging.path("territory_codes.parquet"))


def _counts(
    admin: AdminTables, academies: AcademyTable, codes: tuple[TerritoryCode, ...]
) -> dict[str, int]:
    return {
        "regions": len(admin.regions),
        "departements": len(admin.departements),
        "academies": len(academies.academies),
        "academies_actuelles": len(academies.current),
        "regions_academiques": len(academies.regions_academiques),
        "communes": len(admin.communes),
        "communes_actuelles": sum(c.type == "commune-actuelle" for c in admin.communes),
        "territory_codes": len(codes),
    }


def _missing(
    result: GeometryResult, admin: AdminTables, academies: AcademyTable
) -> dict[str, tuple[str, ...]]:
    expected = {
        "regions": [r.code for r in admin.regions],
        "departements": [d.code for d in admin.departements],
        "academies": [a.code for a in academies.current],
        "communes": [c.code for c in admin.communes if c.type == "commune-actuelle"],
    }
    return {
        level: tuple(sorted(set(expected[level]) - set(present)))
        for level, present in sorted(result.codes.items())
    }
