"""Contours (TopoJSON) and bounding boxes of territories.

``geometry(release, niveau, parent)``: the simplified contours of a level (région,
département, académie, commune), all of them or the children of ``parent``
(``("academie", "10")`` → the three départements of Lyon). Communes are stored one file
per département: the communes of a département are that file as is; those of an académie
or a région are the merge of its départements' files (at most ``MAX_DEPARTEMENTS``, which
every région satisfies); all the communes of France at once are refused (8 MB): ask per
département, académie or région. Answers are cached per release.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from ardoise.errors import ReleaseCorrupt
from ardoise.odsql.errors import InvalidParameter
from ardoise.query.release import ServedRelease
from ardoise.query.territories import levels, topology
from ardoise.query.territories.context import ReleaseTerritories, territories_of
from ardoise.query.territories.levels import TerritoryNotFound
from ardoise.referential.load import Referential
from ardoise.referential.topojson import bboxes

BBox = tuple[float, float, float, float]
MAX_DEPARTEMENTS = 13  # Occitanie, the largest région, has 13 départements
_GEO_LEVELS = tuple(levels.GEO_FILES)


def geometry(release: ServedRelease, niveau: str, parent: tuple[str, str] | None = None) -> bytes:
    """TopoJSON bytes of ``niveau`` (one object named after the level's file)."""
    niveau = levels.level(niveau, allowed=_GEO_LEVELS)
    state = territories_of(release)
    if parent is not None:
        parent = _check_parent(state, niveau, parent)
    key = (niveau, ":".join(parent) if parent else "")
    return state.geometry_cache.get_or_put(key, lambda: _build(state, niveau, parent))


def bbox(state: ReleaseTerritories, niveau: str, code: str) -> BBox | None:
    """[west, south, east, north] in degrees; France: metropolitan France."""
    ref = state.referential
    if niveau == "france":
        boxes = [
            b
            for c, b in _sidecar(state, "regions").items()
            if c in ref.regions and ref.regions[c].zone == "metro"
        ]
        return _union(boxes)
    if niveau == "commune":
        commune = ref.communes.get(code)
        if commune is None:
            return None
        found = _commune_boxes(state, commune.departement).get(code)
        if found is None and commune.commune_parente:
            found = _commune_boxes(state, commune.departement).get(commune.commune_parente)
        return found
    if niveau in levels.GEO_FILES:
        return _sidecar(state, levels.GEO_FILES[niveau]).get(code)
    return None


def departements_of(ref: Referential, niveau: str, code: str) -> tuple[str, ...]:
    if niveau == "france":
        return tuple(sorted(ref.departements))
    if niveau == "region":
        return tuple(sorted(d.code for d in ref.departements.values() if d.region == code))
    if niveau == "academie":
        return ref.academies[code].departements
    if niveau == "departement":
        return (code,)
    return (ref.communes[code].departement,)


def _check_parent(
    state: ReleaseTerritories, niveau: str, parent: tuple[str, str]
) -> tuple[str, str]:
    p_level = levels.level(parent[0], parameter="parent")
    order = levels.LEVELS
    if order.index(p_level) < order.index(niveau):
        raise InvalidParameter(
            f"Valeur invalide pour le paramètre parent : le niveau {p_level} est plus fin que "
            f"{niveau} (parent attendu : {', '.join(order[order.index(niveau) :])})."
        )
    code = levels.code(p_level, parent[1])
    state.require(p_level, code)
    return p_level, code


def _build(state: ReleaseTerritories, niveau: str, parent: tuple[str, str] | None) -> bytes:
    ref = state.referential
    name = levels.GEO_FILES[niveau]
    if niveau != "commune" and not _path(ref, name).is_file():
        raise TerritoryNotFound(f"Cette release n'a pas de contours pour le niveau {niveau}.")
    if niveau == "commune":
        if parent is None or parent[0] == "france":
            raise InvalidParameter(
                "Les contours de toutes les communes de France sont trop volumineux : "
                "précisez parent=departement:…, parent=academie:… ou parent=region:…."
            )
        deps = [d for d in departements_of(ref, *parent) if _path(ref, f"communes/{d}").is_file()]
        if not deps:
            raise TerritoryNotFound(
                f"Cette release n'a pas de contours de communes pour {parent[0]}:{parent[1]}."
            )
        if len(deps) > MAX_DEPARTEMENTS:
            raise InvalidParameter(
                f"Trop de départements ({len(deps)}, au plus {MAX_DEPARTEMENTS}) : précisez un "
                "parent plus petit."
            )
        if parent[0] == "commune":
            return _dump(
                topology.subset(
                    _load(ref, f"communes/{deps[0]}"), state.members("commune", parent[1]), name
                )
            )
        if len(deps) == 1:
            return _path(ref, f"communes/{deps[0]}").read_bytes()
        return _dump(topology.merge([_load(ref, f"communes/{d}") for d in deps], name))
    if parent is None or parent[0] == "france":
        return _path(ref, name).read_bytes()
    return _dump(topology.subset(_load(ref, name), _codes(ref, niveau, parent), name))


def _codes(ref: Referential, niveau: str, parent: tuple[str, str]) -> set[str]:
    p_level, code = parent
    if niveau == "departement":
        return set(departements_of(ref, p_level, code))
    if niveau == "academie":
        if p_level == "academie":
            return {code}
        return {a.code for a in ref.academies.values() if a.region == code and not a.ancienne}
    return {code}  # région in région


def _commune_boxes(state: ReleaseTerritories, departement: str) -> Mapping[str, BBox]:
    """Boxes of a département's communes, decoded from its TopoJSON (once)."""
    name = f"communes/{departement}"
    found = state.bbox_cache.get(name)
    if found is None:
        path = _path(state.referential, name)
        raw = bboxes(_load(state.referential, name)) if path.is_file() else {}
        found = state.bbox_cache[name] = {c: (b[0], b[1], b[2], b[3]) for c, b in raw.items()}
    return found


def _sidecar(state: ReleaseTerritories, name: str) -> Mapping[str, BBox]:
    """geo/<name>.bbox.json, written at publish time (once)."""
    found = state.bbox_cache.get(name)
    if found is None:
        path = state.referential.path / "geo" / f"{name}.bbox.json"
        raw: dict[str, list[float]] = json.loads(path.read_text("utf-8")) if path.is_file() else {}
        found = state.bbox_cache[name] = {c: (b[0], b[1], b[2], b[3]) for c, b in raw.items()}
    return found


def _union(boxes: list[BBox]) -> BBox | None:
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _path(ref: Referential, level: str) -> Path:
    return ref.geometry_path(level)


def _load(ref: Referential, level: str) -> dict[str, Any]:
    path = _path(ref, level)
    try:
        data: dict[str, Any] = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise ReleaseCorrupt(f"Contours illisibles : {path.name} ({exc}).") from exc
    return data


def _dump(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value)
