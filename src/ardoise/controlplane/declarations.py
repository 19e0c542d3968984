"""Declaring a new dataset (issue #15): a producer sends a descriptor written like
``catalog/datasets/*.yaml`` (a form of the producers' space, an uploaded YAML, the
Automation API, the CLI). It is read and checked by the catalog's own reader and validator
(:func:`~ardoise.catalog.descriptor_text.read_yaml` and
:func:`~ardoise.catalog.loader.parse_descriptor`: one code path) before anything else, and
refused with a French message naming the key and its line when it is wrong, hostile (anchors,
tags, too large) or when its id is already taken (the catalog, a service or derived
dataset, another declaration). Accepted, it belongs to the declaring organisation
(``cp_jeux``), is written to ``var/jeux-declares/<id>.yaml`` and has no data until its first
approved submission, which publishes it like any other dataset.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import PurePosixPath

from sqlalchemy import Engine

from ardoise.catalog.declared import declared_dir, descriptor_path
from ardoise.catalog.descriptor_text import MAX_BYTES as MAX_BYTES
from ardoise.catalog.descriptor_text import read_yaml
from ardoise.catalog.loader import parse_descriptor
from ardoise.catalog.model import Dataset
from ardoise.controlplane import datasets
from ardoise.controlplane.errors import Conflict, ControlPlaneError
from ardoise.controlplane.organisations import find_organisation
from ardoise.controlplane.permissions import Action, Principal, authorize
from ardoise.errors import CatalogError
from ardoise.release.school_descriptors import DERIVED_IDS
from ardoise.release.service import SERVICE_IDS
from ardoise.settings import Settings

FORMATS = (".csv", ".xlsx", ".parquet", ".geojson")
RESERVED = frozenset({*DERIVED_IDS, *SERVICE_IDS})


def _text(content: bytes | str, origin: str) -> str:
    if isinstance(content, str):
        return content
    if len(content) > MAX_BYTES:
        raise ControlPlaneError(
            f"{origin} : descripteur trop volumineux (plus de {MAX_BYTES >> 10} Ko)."
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ControlPlaneError(
            f"{origin} : le descripteur doit être encodé en UTF-8 (octet invalide n°{exc.start + 1})."
        ) from None


def check_descriptor(content: bytes | str, origin: str = "descripteur.yaml") -> Dataset:
    """The dataset ``content`` describes, checked as the catalog checks its own files."""
    text = _text(content, origin)
    try:
        ds = parse_descriptor(read_yaml(text, origin), origin)
    except CatalogError as exc:
        raise ControlPlaneError(str(exc)) from None
    except (TypeError, KeyError, AttributeError, ValueError) as exc:  # a value of the wrong kind
        raise ControlPlaneError(
            f"{origin} : descripteur mal formé ({type(exc).__name__} : {exc})."
        ) from None
    _check_source(ds, origin)
    return ds


def _check_source(ds: Dataset, origin: str) -> None:
    """One source file, a plain name of a format the readers know: a submission replaces it."""
    if len(ds.sources) != 1:
        raise ControlPlaneError(
            f"{origin} : un jeu déclaré a exactement une source (ici {len(ds.sources)})."
        )
    path = ds.sources[0].path
    pure = PurePosixPath(path)
    if pure.name != path or path.startswith(".") or "\\" in path:
        raise ControlPlaneError(
            f"{origin} : sources[0].path {path!r} doit être un simple nom de fichier "
            "(sans dossier)."
        )
    if pure.suffix.lower() not in FORMATS:
        raise ControlPlaneError(
            f"{origin} : sources[0].path {path!r} : format non pris en charge "
            f"(attendu : {', '.join(FORMATS)})."
        )


def _check_id(settings: Settings, dataset_id: str) -> None:
    if dataset_id in RESERVED or descriptor_path(settings, dataset_id) is not None:
        raise Conflict(
            f"L'identifiant « {dataset_id} » est déjà celui d'un jeu de la plateforme : "
            "choisissez-en un autre."
        )


def _write(settings: Settings, dataset_id: str, text: str) -> None:
    """Write the descriptor atomically (a build never reads half a file)."""
    folder = declared_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{dataset_id}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, folder / f"{dataset_id}.yaml")
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def declare(
    engine: Engine,
    settings: Settings,
    principal: Principal,
    organisation_id: str,
    content: bytes | str,
    origin: str = "descripteur.yaml",
) -> Dataset:
    """Declare the dataset ``content`` describes for ``organisation_id``; the dataset."""
    with engine.connect() as conn:
        find_organisation(conn, organisation_id)
    authorize(principal, Action.JEU_DECLARER, organisation_id)  # before reading anything
    ds = check_descriptor(content, origin)
    _check_id(settings, ds.id)
    text = _text(content, origin)
    written = False
    try:
        with engine.begin() as conn:
            datasets.declare_dataset(conn, principal, organisation_id, ds.id)
            _write(settings, ds.id, text)
            written = True
    except BaseException:
        if written:
            (declared_dir(settings) / f"{ds.id}.yaml").unlink(missing_ok=True)
        raise
    return ds
