"""A Frictionless Data Package (``datapackage.json``) describing a release, written at publish.

A researcher loads a whole release with standard tools (``frictionless``, ``datapackage``
readers, pandas/pyarrow over the listed paths): one resource per published dataset, plus
the referential and indicator tables, each with its Parquet path relative to the release
folder, sha256, size, row count and a Table Schema (types from the Parquet schema, labels
and descriptions from the dataset descriptor).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from ardoise.catalog.licence import licence_url
from ardoise.catalog.model import Dataset
from ardoise.release.files import sha256_file
from ardoise.release.manifest import DatasetEntry, Manifest, ParquetColumn, ParquetFile

PROFILE = "data-package"
PARQUET_MEDIA_TYPE = "application/vnd.apache.parquet"
# Derived tables worth a resource, relative to the release folder, with a French title.
DERIVED: dict[str, str] = {
    "referential/regions.parquet": "Référentiel : régions",
    "referential/regions_academiques.parquet": "Référentiel : régions académiques",
    "referential/academies.parquet": "Référentiel : académies",
    "referential/departements.parquet": "Référentiel : départements",
    "referential/communes.parquet": "Référentiel : communes",
    "referential/territory_codes.parquet": "Référentiel : codes et noms des territoires",
    "indicators/valeurs.parquet": "Indicateurs : valeurs par niveau, territoire et année",
}
ARDOISE_COLUMNS: dict[str, str] = {
    "_recordid": "Identifiant stable de l'enregistrement (40 caractères hexadécimaux).",
    "_annee_scolaire": "Année scolaire AAAA-AAAA, quelle que soit l'écriture de la source.",
    "_uai": "UAI de l'établissement, normalisée.",
    "_commune": "Code INSEE de la commune (référentiel).",
    "_departement": "Code du département (référentiel).",
    "_academie": "Code de l'académie (référentiel).",
    "_region": "Code de la région (référentiel).",
    "_etats": "États des valeurs publiées vides (JSON : champ → non_significatif…).",
}


def _name(text: str) -> str:
    """A Data Package name: lower case, digits, ``-``, ``_`` and ``.`` only."""
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-") or "ressource"


def table_schema_type(arrow_type: str) -> dict[str, str]:
    """Table Schema ``type`` (and ``format``) of a column from its Arrow type's text."""
    t = arrow_type.strip()
    if t in ("string", "large_string", "utf8"):
        return {"type": "string"}
    if re.fullmatch(r"u?int(8|16|32|64)", t):
        return {"type": "integer"}
    if t in ("double", "float", "halffloat") or t.startswith("decimal"):
        return {"type": "number"}
    if t == "bool":
        return {"type": "boolean"}
    if t.startswith("date32") or t.startswith("date64"):
        return {"type": "date"}
    if t.startswith("timestamp"):
        return {"type": "datetime"}
    if t.startswith("struct<lon") or t.startswith("struct<lat"):
        return {"type": "geopoint", "format": "object"}
    if t.startswith("struct"):
        return {"type": "object"}
    if t.startswith(("list", "large_list")):
        return {"type": "array"}
    return {"type": "any"}


def _fields(columns: Sequence[ParquetColumn], dataset: Dataset | None) -> list[dict[str, Any]]:
    known = {f.name: f for f in dataset.fields} if dataset else {}
    out = []
    for col in columns:
        field: dict[str, Any] = {"name": col.name, **table_schema_type(col.type)}
        if (f := known.get(col.name)) is not None:
            field["title"] = f.label
            field["description"] = f.description
            if f.type == "geo_shape" and field["type"] == "string":
                field["type"] = "geojson"
            if f.unit:
                field["unit"] = f.unit  # custom property, kept by Table Schema readers
        elif col.name in ARDOISE_COLUMNS:
            field["description"] = ARDOISE_COLUMNS[col.name]
        out.append(field)
    return out


def _licences(name: str) -> list[dict[str, str]]:
    entry = {"name": "etalab-2.0" if "etalab" in name.lower() else _name(name), "title": name}
    if url := licence_url(name):
        entry["path"] = url
    return [entry]


def _dataset_resource(
    entry: DatasetEntry, parquet: ParquetFile, dataset: Dataset | None, dataset_id: str
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "name": _name(dataset_id),
        "path": parquet.path,
        "title": entry.title or (dataset.title if dataset else dataset_id),
        "format": "parquet",
        "mediatype": PARQUET_MEDIA_TYPE,
        "hash": f"sha256:{parquet.sha256}",
        "bytes": parquet.bytes,
        "rows": entry.rows,
        "schema": {"fields": _fields(entry.schema, dataset)},
    }
    if dataset is not None:
        resource["description"] = dataset.description.strip()
        resource["licenses"] = _licences(dataset.licence)
        resource["sources"] = [{"title": dataset.publisher, "path": dataset.source_url}]
        if dataset.key and all(k in dataset.field_names for k in dataset.key):
            resource["schema"]["ardoise:key"] = list(dataset.key)  # informative, not unique
    return resource


def _derived_resource(release_dir: Path, rel: str, title: str) -> dict[str, Any]:
    path = release_dir / rel
    schema = pq.read_schema(path)
    columns = [ParquetColumn(f.name, str(f.type)) for f in schema]
    return {
        "name": _name(rel.removesuffix(".parquet").replace("/", "-")),
        "path": rel,
        "title": title,
        "format": "parquet",
        "mediatype": PARQUET_MEDIA_TYPE,
        "hash": f"sha256:{sha256_file(path)}",
        "bytes": path.stat().st_size,
        "rows": pq.read_metadata(path).num_rows,
        "schema": {"fields": _fields(columns, None)},
    }


def release_datapackage(
    release_dir: Path, manifest: Manifest, datasets: Mapping[str, Dataset]
) -> dict[str, Any]:
    """The Data Package of the release in ``release_dir`` (its manifest and descriptors)."""
    resources = [
        _dataset_resource(entry, entry.parquet, datasets.get(ds_id), ds_id)
        for ds_id, entry in sorted(manifest.datasets.items())
        if entry.parquet is not None
    ]
    resources += [
        _derived_resource(release_dir, rel, title)
        for rel, title in DERIVED.items()
        if (release_dir / rel).is_file()
    ]
    release_id = manifest.release_id
    return {
        "profile": PROFILE,
        "name": _name(f"ardoise-{release_id}"),
        "id": release_id,
        "title": f"Ardoise — release {release_id}",
        "description": (
            "Données ouvertes de l'éducation nationale, vérifiées et versionnées par Ardoise : "
            "une table Parquet par jeu de données officiel (champs officiels et colonnes "
            "Ardoise préfixées « _ »), le référentiel territorial et les indicateurs."
        ),
        "version": release_id,
        "created": manifest.created_at,
        "licenses": _licences("Licence Ouverte v2.0 (Etalab)"),
        "keywords": ["éducation", "école", "collège", "lycée", "IPS", "DNB", "baccalauréat"],
        "resources": resources,
    }
