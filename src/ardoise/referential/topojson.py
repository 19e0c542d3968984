"""Reading and tidying the TopoJSON written by mapshaper.

``tidy_topology`` gives every feature exactly the properties {code, nom} of the current
referential, sorts features by code, names the object after the level and serialises
compactly; ``bboxes`` decodes the quantized arcs to give each feature's bounding box.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from ardoise.errors import SourceUnreadable

BBox = tuple[float, float, float, float]


def dumps(value: object) -> bytes:
    """Compact, stable JSON (UTF-8, no spaces)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def tidy_topology(
    topology: dict[str, Any], level: str, names: Mapping[str, str], source: str
) -> dict[str, Any]:
    """The topology with one object ``level`` whose features carry {code, nom}.

    Raise SourceUnreadable when a feature has a code the referential does not know, or
    when two features share a code.
    """
    objects = topology.get("objects")
    if not isinstance(objects, dict) or len(objects) != 1:
        raise SourceUnreadable(f"TopoJSON inattendu pour {source} : un seul objet attendu.")
    (collection,) = objects.values()
    geometries: list[dict[str, Any]] = collection.get("geometries", [])
    unknown: list[str] = []
    seen: set[str] = set()
    for geom in geometries:
        code = str((geom.get("properties") or {}).get("code", ""))
        if code not in names:
            unknown.append(code or "(vide)")
            continue
        if code in seen:
            raise SourceUnreadable(f"Contours de {source} : code {code} en double.")
        seen.add(code)
        geom["properties"] = {"code": code, "nom": names[code]}
        geom.pop("id", None)
    if unknown:
        raise SourceUnreadable(
            f"Contours de {source} : codes absents du référentiel : {', '.join(sorted(unknown))}."
        )
    geometries.sort(key=lambda g: g["properties"]["code"])
    ordered: dict[str, Any] = {"type": "Topology"}
    if "bbox" in topology:
        ordered["bbox"] = topology["bbox"]
    ordered["transform"] = topology["transform"]
    ordered["objects"] = {level: {"type": "GeometryCollection", "geometries": geometries}}
    ordered["arcs"] = topology["arcs"]
    return ordered


def bboxes(topology: Mapping[str, Any]) -> dict[str, list[float]]:
    """Feature code → [minx, miny, maxx, maxy] in degrees, rounded to 6 decimals."""
    transform = topology.get("transform")
    if not isinstance(transform, dict):
        raise SourceUnreadable("TopoJSON non quantifié : bbox impossible à calculer.")
    (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    arc_boxes = [_arc_box(arc) for arc in topology["arcs"]]
    out: dict[str, list[float]] = {}
    for collection in topology["objects"].values():
        for geom in collection.get("geometries", []):
            box: tuple[int, int, int, int] | None = None
            for index in _arc_indexes(geom):
                a = arc_boxes[~index if index < 0 else index]
                box = (
                    a
                    if box is None
                    else (
                        min(box[0], a[0]),
                        min(box[1], a[1]),
                        max(box[2], a[2]),
                        max(box[3], a[3]),
                    )
                )
            if box is not None:
                out[geom["properties"]["code"]] = [
                    round(box[0] * sx + tx, 6),
                    round(box[1] * sy + ty, 6),
                    round(box[2] * sx + tx, 6),
                    round(box[3] * sy + ty, 6),
                ]
    return dict(sorted(out.items()))


def _arc_box(arc: list[list[int]]) -> tuple[int, int, int, int]:
    x = y = 0
    minx = miny = 1 << 62
    maxx = maxy = -(1 << 62)
    for dx, dy, *_ in arc:
        x += dx
        y += dy
        minx, maxx = min(minx, x), max(maxx, x)
        miny, maxy = min(miny, y), max(maxy, y)
    return minx, miny, maxx, maxy


def _arc_indexes(geom: Mapping[str, Any]) -> Iterator[int]:
    kind = geom.get("type")
    arcs = geom.get("arcs", [])
    if kind == "Polygon":
        for ring in arcs:
            yield from ring
    elif kind == "MultiPolygon":
        for polygon in arcs:
            for ring in polygon:
                yield from ring
    elif kind == "LineString":
        yield from arcs
    elif kind == "MultiLineString":
        for line in arcs:
            yield from line
