"""TopoJSON surgery: keep some features of a topology, or merge several topologies.

``subset`` keeps the features whose code is wanted and only the arcs they use (renumbered).
``merge`` joins quantized topologies that have different transforms (the communes of each
département are stored in their own file): arcs are decoded to degrees, then quantized
again on one grid over the whole extent and delta-encoded, as mapshaper writes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ardoise.errors import ReleaseCorrupt

QUANTIZATION = 100_000
Topology = dict[str, Any]


def features(topology: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The geometries of the topology's single object."""
    objects = topology.get("objects")
    if not isinstance(objects, dict) or len(objects) != 1:
        raise ReleaseCorrupt("Contours illisibles : un seul objet TopoJSON attendu.")
    (collection,) = objects.values()
    geometries: list[dict[str, Any]] = collection.get("geometries", [])
    return geometries


def subset(topology: Mapping[str, Any], codes: Iterable[str], name: str) -> Topology:
    """The features whose ``properties.code`` is in ``codes``, with their arcs only."""
    wanted = set(codes)
    kept = [g for g in features(topology) if g.get("properties", {}).get("code") in wanted]
    used = sorted({_index(i) for g in kept for i in _arc_refs(g)})
    renumber = {old: new for new, old in enumerate(used)}
    arcs = topology["arcs"]
    out: Topology = {"type": "Topology"}
    if "transform" in topology:
        out["transform"] = topology["transform"]
    out["objects"] = {
        name: {
            "type": "GeometryCollection",
            "geometries": [_map_arcs(g, lambda i: _renumbered(i, renumber)) for g in kept],
        }
    }
    out["arcs"] = [arcs[i] for i in used]
    return out


def merge(topologies: Sequence[Mapping[str, Any]], name: str) -> Topology:
    """One quantized topology holding the features of all ``topologies``."""
    decoded: list[list[tuple[float, float]]] = []
    geometries: list[dict[str, Any]] = []
    for topology in topologies:
        offset = len(decoded)
        decoded.extend(_decode(topology))
        geometries.extend(_map_arcs(g, _shifted(offset)) for g in features(topology))
    points = [p for arc in decoded for p in arc]
    if not points:
        return {
            "type": "Topology",
            "objects": {name: {"type": "GeometryCollection", "geometries": geometries}},
            "arcs": [],
        }
    x0, y0 = min(p[0] for p in points), min(p[1] for p in points)
    x1, y1 = max(p[0] for p in points), max(p[1] for p in points)
    kx = (x1 - x0) / (QUANTIZATION - 1) or 1.0
    ky = (y1 - y0) / (QUANTIZATION - 1) or 1.0
    arcs = []
    for arc in decoded:
        px = py = 0
        out = []
        for x, y in arc:
            qx, qy = round((x - x0) / kx), round((y - y0) / ky)
            out.append([qx - px, qy - py])
            px, py = qx, qy
        arcs.append(out)
    return {
        "type": "Topology",
        "bbox": [x0, y0, x1, y1],
        "transform": {"scale": [kx, ky], "translate": [x0, y0]},
        "objects": {name: {"type": "GeometryCollection", "geometries": geometries}},
        "arcs": arcs,
    }


def _decode(topology: Mapping[str, Any]) -> list[list[tuple[float, float]]]:
    transform = topology.get("transform")
    if transform is None:
        return [[(float(p[0]), float(p[1])) for p in arc] for arc in topology["arcs"]]
    (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    out = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy, *_ in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        out.append(points)
    return out


def _shifted(offset: int) -> Callable[[int], int]:
    """Arc references moved by ``offset`` (a reversed arc ~i stays reversed)."""
    return lambda i: i + offset if i >= 0 else i - offset


def _index(i: int) -> int:
    return ~i if i < 0 else i


def _renumbered(i: int, renumber: Mapping[int, int]) -> int:
    return ~renumber[~i] if i < 0 else renumber[i]


def _arc_refs(geometry: Mapping[str, Any]) -> list[int]:
    out: list[int] = []
    _walk(geometry.get("arcs", []), out.append)
    return out


def _walk(node: Any, visit: Callable[[int], object]) -> None:
    if isinstance(node, int):
        visit(node)
    elif isinstance(node, list):
        for child in node:
            _walk(child, visit)


def _map_arcs(geometry: Mapping[str, Any], fn: Callable[[int], int]) -> dict[str, Any]:
    """A copy of ``geometry`` whose arc references go through ``fn``."""

    def rebuild(node: Any) -> Any:
        if isinstance(node, int):
            return fn(node)
        return [rebuild(child) for child in node]

    out = dict(geometry)
    if "arcs" in geometry:
        out["arcs"] = rebuild(geometry["arcs"])
    if "geometries" in geometry:
        out["geometries"] = [_map_arcs(g, fn) for g in geometry["geometries"]]
    return out
