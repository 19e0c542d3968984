"""Descriptors declared by producers (issue #15): one YAML per dataset in
``var/jeux-declares/<id>.yaml``, written by the control plane once checked by the catalog's
own reader and validator (:func:`ardoise.catalog.loader.load_descriptor`), read by the
release builder next to the catalog's. A declared dataset has no data until its first
approved submission; from then on it is published like the others.
"""

from __future__ import annotations

from pathlib import Path

from ardoise.catalog.loader import load_descriptor
from ardoise.catalog.model import Dataset
from ardoise.settings import Settings

FOLDER = "jeux-declares"


def declared_dir(settings: Settings) -> Path:
    return settings.var_dir / FOLDER


def declared_datasets(settings: Settings) -> tuple[Dataset, ...]:
    """Every declared descriptor, sorted by id (read each time: a declaration is seen at once)."""
    folder = declared_dir(settings)
    if not folder.is_dir():
        return ()
    return tuple(load_descriptor(p) for p in sorted(folder.glob("*.yaml")))


def descriptor_path(settings: Settings, dataset_id: str) -> Path | None:
    """The YAML of ``dataset_id``: the catalog's, else a declared one, else None."""
    for path in (
        settings.catalog_dir / f"{dataset_id}.yaml",
        declared_dir(settings) / f"{dataset_id}.yaml",
    ):
        if path.is_file():
            return path
    return None
