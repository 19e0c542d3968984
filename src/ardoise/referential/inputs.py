"""Where the referential's input files are, and their fingerprints.

* the COG tables come from ``@etalab/decoupage-administratif`` as installed by npm in
  ``node_modules``; the mirror's copy (``etalab-decoupage-administratif/``) is the fallback;
* geometries come from the mirror (france-geojson 2018, académie contours 2020);
* geometries are simplified by the mapshaper CLI from ``node_modules``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ardoise.errors import SourceMissing
from ardoise.referential.academies import ACADEMIES_YAML

DECOUPAGE_PACKAGE = Path("@etalab") / "decoupage-administratif"
DECOUPAGE_MIRROR = "etalab-decoupage-administratif"
DECOUPAGE_FILES = ("regions.json", "departements.json", "communes.json")

GEOMETRY_SOURCES = {
    "regions": "gregoiredavid-france-geojson/regions-avec-outre-mer.geojson",
    "departements": "gregoiredavid-france-geojson/departements-avec-outre-mer.geojson",
    "academies": "cat-miaou-vyz/fr-en-contour-academies-2020.geojson",
}
COMMUNES_GEOMETRY_DIR = "gregoiredavid-france-geojson/communes-par-departement"


@dataclass(frozen=True)
class InputFile:
    """An input and its name in the summary (a stable, machine-independent path)."""

    name: str
    path: Path


@dataclass(frozen=True)
class ReferentialInputs:
    decoupage: dict[str, InputFile]  # "communes.json" → file
    decoupage_origin: str  # "node_modules" or "miroir"
    decoupage_version: str
    academies: InputFile
    geometries: dict[str, InputFile]  # level → source GeoJSON
    communes_geometries: tuple[InputFile, ...]  # empty when the folder is absent
    mapshaper: Path
    mapshaper_version: str

    def all_files(self) -> tuple[InputFile, ...]:
        return (
            *self.decoupage.values(),
            self.academies,
            *self.geometries.values(),
            *self.communes_geometries,
        )


def locate_inputs(mirror: Path, node_modules: Path) -> ReferentialInputs:
    """Find every input; raise SourceMissing with the step to take when one is absent."""
    decoupage, origin, version = _decoupage(mirror, node_modules)
    geometries = {}
    for level, rel in GEOMETRY_SOURCES.items():
        path = mirror / rel
        if not path.is_file():
            raise SourceMissing(
                f"Contours des {level} introuvables : {path} (miroir des sources incomplet)."
            )
        geometries[level] = InputFile(rel, path)
    communes_dir = mirror / COMMUNES_GEOMETRY_DIR
    communes = (
        tuple(
            InputFile(f"{COMMUNES_GEOMETRY_DIR}/{p.name}", p)
            for p in sorted(communes_dir.glob("*.geojson"))
        )
        if communes_dir.is_dir()
        else ()
    )
    mapshaper, mapshaper_version = _mapshaper(node_modules)
    return ReferentialInputs(
        decoupage=decoupage,
        decoupage_origin=origin,
        decoupage_version=version,
        academies=InputFile("ardoise/referential/academies.yaml", ACADEMIES_YAML),
        geometries=geometries,
        communes_geometries=communes,
        mapshaper=mapshaper,
        mapshaper_version=mapshaper_version,
    )


def _decoupage(mirror: Path, node_modules: Path) -> tuple[dict[str, InputFile], str, str]:
    package = node_modules / DECOUPAGE_PACKAGE
    if all((package / "data" / f).is_file() for f in DECOUPAGE_FILES):
        version = _package_version(package)
        files = {
            f: InputFile(
                f"node_modules/{DECOUPAGE_PACKAGE.as_posix()}/data/{f}", package / "data" / f
            )
            for f in DECOUPAGE_FILES
        }
        return files, "node_modules", version
    fallback = mirror / DECOUPAGE_MIRROR
    if all((fallback / f).is_file() for f in DECOUPAGE_FILES):
        files = {f: InputFile(f"{DECOUPAGE_MIRROR}/{f}", fallback / f) for f in DECOUPAGE_FILES}
        return files, "miroir", "inconnue"
    raise SourceMissing(
        "Découpage administratif introuvable : ni "
        f"{package / 'data'} ni {fallback}. Lancez `make install`."
    )


def _mapshaper(node_modules: Path) -> tuple[Path, str]:
    binary = node_modules / ".bin" / "mapshaper"
    if not binary.exists():
        raise SourceMissing(
            f"mapshaper est introuvable ({binary}) : il est nécessaire pour simplifier les "
            "contours du référentiel. Lancez `make install`."
        )
    return binary, _package_version(node_modules / "mapshaper")


def _package_version(package: Path) -> str:
    try:
        meta = json.loads((package / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "inconnue"
    version = meta.get("version") if isinstance(meta, dict) else None
    return str(version) if version else "inconnue"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
