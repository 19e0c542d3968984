"""Frictionless ``datapackage.json`` of a release (``/api/v1``): the current one and any
published release by id. The file is written at publish time; a release published before
it existed gets one built on the fly from its files (same function)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request

from ardoise.api.deps import CurrentRelease
from ardoise.api.jsonresponse import JSONBytes
from ardoise.catalog.loader import load_published
from ardoise.errors import ReleaseNotFound
from ardoise.query.release import ServedRelease
from ardoise.query.sql_run import reader_grant
from ardoise.query.sql_tables import PUBLIC
from ardoise.release.datapackage import release_datapackage
from ardoise.release.manifest import Manifest
from ardoise.urls import ROOT

_RELEASE_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$")


def datapackage_of(release_dir: Path) -> dict[str, Any]:
    """The release's ``datapackage.json`` (read, or built when the release predates it)."""
    path = release_dir / "datapackage.json"
    if path.is_file():
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return data
    manifest = Manifest.read(release_dir / "manifest.json")
    descriptors = {p.stem: load_published(p) for p in (release_dir / "catalog").glob("*.yaml")}
    return release_datapackage(release_dir, manifest, descriptors)


def _readable(package: dict[str, Any], release: ServedRelease) -> dict[str, Any]:
    """The package without the files of restricted datasets the reader may not take whole
    (issue #16): a grant with a row filter or hidden fields reads through the Explore API."""
    hidden = reader_grant(release, PUBLIC).hidden
    if not hidden:
        return package
    resources = [r for r in package.get("resources", []) if r.get("name") not in hidden]
    return {**package, "resources": resources}


def build_router() -> APIRouter:
    router = APIRouter(tags=["Métadonnées"])

    @router.get("/datapackage.json", summary="Data Package (Frictionless) de la release servie")
    def current(release: CurrentRelease) -> JSONBytes:
        return JSONBytes(_readable(datapackage_of(release.path), release))

    @router.get(
        "/releases/{release_id}/datapackage.json",
        summary="Data Package (Frictionless) d'une release publiée",
    )
    def by_id(request: Request, release_id: str) -> JSONBytes:
        releases_dir: Path = request.app.state.settings.releases_dir
        folder = releases_dir / release_id
        if not _RELEASE_ID.match(release_id) or not (folder / "manifest.json").is_file():
            shown = release_id if len(release_id) <= 40 else release_id[:40] + "…"
            raise ReleaseNotFound(
                f"Release inconnue : « {shown} ». La liste des releases est donnée par "
                f"`ardoise releases` ; {ROOT.datapackage()} décrit la release servie."
            )
        return JSONBytes(_readable(datapackage_of(folder), request.app.state.releases.get()))

    return router
