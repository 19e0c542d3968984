"""Every descriptor matches the real files of the data mirror, column for column.

A source column matches a declared field when the header is one of the field's ``aliases``
(an explicit alias wins), otherwise when ``field_name(header) == field.name``. The precedence
matters for headers such as ``REP +`` whose normalised form (``rep``) is another field's name:
the alias sends it to ``rep_plus``. Each column must match exactly one field, and each field
must be present in at least one source of its dataset. Only headers are read, so the
whole module runs in well under a second. Skipped when the mirror is absent.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ardoise.catalog.loader import load_catalog
from ardoise.catalog.model import Dataset, Field
from ardoise.catalog.names import field_name

pytestmark = pytest.mark.mirror

DATASETS = load_catalog()


def _mirror() -> Path:
    env = os.environ.get("ARDOISE_MIRROR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared/data/raw"


def _csv_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        first = fh.readline()
    sep = ";" if first.count(";") >= first.count(",") else ","
    return next(csv.reader([first], delimiter=sep))


def _geojson_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as fh:
        doc = json.load(fh)
    return [*doc["features"][0]["properties"], "geo_shape"]


def source_columns(path: Path) -> list[str]:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return list(pq.read_schema(path).names)
    if suffix in (".geojson", ".json"):
        return _geojson_header(path)
    if suffix == ".csv":
        return _csv_header(path)
    raise AssertionError(f"format de source non géré par ce test : {path.name}")


def matching_fields(header: str, ds: Dataset) -> list[Field]:
    by_alias = [f for f in ds.fields if header in f.aliases]
    if by_alias:
        return by_alias
    normalised = field_name(header)
    return [f for f in ds.fields if f.name == normalised]


@pytest.fixture(scope="module")
def mirror() -> Path:
    root = _mirror()
    if not root.is_dir():
        pytest.skip(f"miroir des données absent : {root}")
    return root


def test_catalog_is_not_empty() -> None:
    assert DATASETS


@pytest.mark.parametrize("ds", DATASETS, ids=[d.id for d in DATASETS])
def test_sources_match_declared_fields(ds: Dataset, mirror: Path) -> None:
    seen: set[str] = set()
    problems: list[str] = []
    for source in ds.sources:
        path = mirror / source.path
        assert path.is_file(), f"{ds.id} : source introuvable dans le miroir : {source.path}"
        columns = source_columns(path)
        assert len(columns) == len(set(columns)), f"{source.path} : en-tête avec doublons"
        for column in columns:
            found = matching_fields(column, ds)
            if len(found) != 1:
                names = [f.name for f in found] or "aucun champ"
                problems.append(f"{source.path} : colonne {column!r} → {names}")
            else:
                seen.add(found[0].name)
    missing = [f.name for f in ds.fields if f.name not in seen]
    if missing:
        problems.append(f"champs déclarés absents de toutes les sources : {missing}")
    assert not problems, f"{ds.id} :\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("ds", DATASETS, ids=[d.id for d in DATASETS])
def test_key_and_year_fields_are_declared(ds: Dataset) -> None:
    names = set(ds.field_names)
    assert set(ds.key) <= names
    if ds.school_year is not None:
        assert ds.school_year.field in names
    assert {fname for _, fname in ds.territories} <= names
