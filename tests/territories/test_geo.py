"""Contours: whole levels, children of a territory, merged communes; TopoJSON surgery."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from ardoise.odsql.errors import InvalidParameter
from ardoise.query import territories as T
from ardoise.query.release import ServedRelease
from ardoise.query.territories import topology
from ardoise.referential.topojson import bboxes


def _codes(data: bytes) -> list[str]:
    (obj,) = orjson.loads(data)["objects"].values()
    return [g["properties"]["code"] for g in obj["geometries"]]


def test_whole_level_is_the_published_file(served: ServedRelease) -> None:
    data = T.geometry(served, "departement")
    assert data == (served.referential_dir / "geo" / "departements.topojson").read_bytes()
    assert _codes(T.geometry(served, "departement", ("france", "FR"))) == _codes(data)


def test_children_of_a_territory(served: ServedRelease) -> None:
    data = T.geometry(served, "departement", ("academie", "10"))
    assert _codes(data) == ["01", "42", "69"]
    topo = orjson.loads(data)
    assert len(topo["arcs"]) == 3  # only the arcs these features use
    assert bboxes(topo)["69"] == [4.3, 45.5, 4.9, 46.3]
    assert _codes(T.geometry(served, "academie", ("region", "28"))) == ["70"]
    assert _codes(T.geometry(served, "departement", ("departement", "42"))) == ["42"]


def test_communes(served: ServedRelease) -> None:
    one = T.geometry(served, "commune", ("departement", "42"))
    assert one == (served.referential_dir / "geo" / "communes" / "42.topojson").read_bytes()
    merged = orjson.loads(T.geometry(served, "commune", ("academie", "10")))
    assert sorted(_codes(orjson.dumps(merged))) == ["01053", "42207", "42218", "69123"]
    boxes = bboxes(merged)
    assert boxes["42218"] == pytest.approx([4.2, 45.3, 4.5, 45.5], abs=1e-4)
    assert boxes["01053"] == pytest.approx([5.2, 46.1, 5.3, 46.3], abs=1e-4)
    assert _codes(T.geometry(served, "commune", ("commune", "69123"))) == ["69123"]


def test_refusals(served: ServedRelease) -> None:
    with pytest.raises(InvalidParameter, match="trop volumineux"):
        T.geometry(served, "commune")
    with pytest.raises(InvalidParameter, match="plus fin"):
        T.geometry(served, "academie", ("departement", "42"))
    with pytest.raises(InvalidParameter, match="niveaux possibles : region, departement"):
        T.geometry(served, "etablissement")
    with pytest.raises(T.TerritoryNotFound):
        T.geometry(served, "departement", ("academie", "99"))


def _square(x: int, y: int) -> list[list[int]]:
    return [[x, y], [10, 0], [0, 10], [-10, 0], [0, -10]]


def _topo(transform: dict[str, Any], codes: list[str]) -> dict[str, Any]:
    return {
        "type": "Topology",
        "transform": transform,
        "arcs": [_square(i * 20, 0) for i in range(len(codes))],
        "objects": {
            "x": {
                "type": "GeometryCollection",
                "geometries": [
                    {"type": "Polygon", "arcs": [[~i if i % 2 else i]], "properties": {"code": c}}
                    for i, c in enumerate(codes)
                ],
            }
        },
    }


def test_subset_renumbers_arcs_keeping_direction() -> None:
    topo = _topo({"scale": [1, 1], "translate": [0, 0]}, ["a", "b", "c", "d"])
    out = topology.subset(topo, {"b", "d"}, "y")
    assert out["arcs"] == [topo["arcs"][1], topo["arcs"][3]]
    assert [g["arcs"] for g in out["objects"]["y"]["geometries"]] == [[[~0]], [[~1]]]


def test_merge_keeps_coordinates() -> None:
    a = _topo({"scale": [0.01, 0.01], "translate": [0, 0]}, ["a", "b"])
    b = _topo({"scale": [0.1, 0.1], "translate": [10, 10]}, ["c"])
    merged = topology.merge([a, b], "m")
    assert [g["arcs"] for g in merged["objects"]["m"]["geometries"]] == [[[0]], [[~1]], [[2]]]
    boxes = bboxes(merged)
    assert boxes["a"] == pytest.approx([0, 0, 0.1, 0.1], abs=1e-4)
    assert boxes["b"] == pytest.approx([0.2, 0, 0.3, 0.1], abs=1e-4)
    assert boxes["c"] == pytest.approx([10, 10, 11, 11], abs=1e-4)
    assert topology.merge([], "m")["arcs"] == []
