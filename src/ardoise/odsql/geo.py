"""Geometry literals (``geom'…'`` as WKT or GeoJSON) and the SQL formulas that use them.

``geo_point_2d`` columns are ``STRUCT(lon DOUBLE, lat DOUBLE)``. Distances use the haversine
formula on a sphere of radius 6 371 008.8 m (the IUGG mean radius), in metres.
Point-in-polygon uses the even-odd rule over every ring edge, which handles holes and
multipolygons; the edges travel as one list parameter, so polygon size never changes the SQL.

The SQL templates below are constants of this module, parsed once by sqlglot; only
placeholders and column expressions are substituted into them.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp

from ardoise.odsql import ast, limits
from ardoise.odsql.errors import QueryError, UnsupportedFeature
from ardoise.odsql.typed import Builder, Resolver, Scope, Typed, fn, wrap

EARTH_RADIUS_M = 6_371_008.8
# Distance units → metres (`within_distance(…, 10km)`): the one table of them in Ardoise.
UNITS_M: dict[str, float] = {
    "m": 1.0,
    "km": 1000.0,
    "mi": 1609.344,
    "yd": 0.9144,
    "ft": 0.3048,
    "cm": 0.01,
    "mm": 0.001,
}

Coord = tuple[float, float]
Ring = tuple[Coord, ...]


@dataclass(frozen=True)
class Geometry:
    kind: str  # Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon
    points: tuple[Coord, ...] = ()  # Point, MultiPoint, LineString vertices
    polygons: tuple[tuple[Ring, ...], ...] = ()  # Polygon (one) and MultiPolygon

    def bbox(self) -> tuple[float, float, float, float]:
        coords = [c for poly in self.polygons for ring in poly for c in ring] or list(self.points)
        lons = [c[0] for c in coords]
        lats = [c[1] for c in coords]
        return min(lons), min(lats), max(lons), max(lats)

    def edges(self) -> list[dict[str, float]]:
        """Non-horizontal ring edges, as the list parameter of the point-in-polygon test."""
        out = []
        for poly in self.polygons:
            for ring in poly:
                for (x1, y1), (x2, y2) in itertools.pairwise(ring):
                    if y1 != y2:
                        out.append({"x1": x1, "y1": y1, "x2": x2, "y2": y2})
        return out


class GeometryError(QueryError, ValueError):
    """A geometry literal cannot be read; the resolver turns it into a positioned error.
    Still a ``ValueError``, as it was before it joined the tree."""


_WKT_TOKEN = re.compile(
    r"\s*(?:(\()|(\))|(,)|([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|([A-Za-z]+))", re.ASCII
)
_WKT_KINDS = {
    k.upper(): k
    for k in ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
}


def parse_geometry(text: str) -> Geometry:
    """Parse WKT (``POINT(lon lat)``) or GeoJSON (geometry or Feature); raise GeometryError."""
    body = text.strip()
    if body.startswith("{"):
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            raise GeometryError("invalid GeoJSON") from None
        if isinstance(data, dict) and data.get("type") == "Feature":
            data = data.get("geometry")
        if not isinstance(data, dict) or data.get("type") not in _WKT_KINDS.values():
            raise GeometryError("unsupported GeoJSON geometry")
        return _build(str(data["type"]), data.get("coordinates"))
    kind, nested = _parse_wkt(body)
    return _build(kind, nested)


def _parse_wkt(text: str) -> tuple[str, Any]:
    pos = 0
    stack: list[list[Any]] = []  # open lists, innermost last
    numbers: list[float] = []  # numbers of the current coordinate
    kind: str | None = None
    root: list[Any] | None = None
    while pos < len(text):
        m = _WKT_TOKEN.match(text, pos)
        if m is None:
            if text[pos:].strip() == "":
                break
            raise GeometryError("invalid WKT")
        pos = m.end()
        opening, closing, comma, number, word = m.groups()
        if word is not None:
            if kind is not None or word.upper() not in _WKT_KINDS:
                raise GeometryError(f"unsupported WKT type {word[:20]}")
            kind = _WKT_KINDS[word.upper()]
        elif opening is not None:
            if kind is None or numbers or len(stack) >= 3 or (root is not None and not stack):
                raise GeometryError("invalid WKT")
            new: list[Any] = []
            if stack:
                stack[-1].append(new)
            else:
                root = new
            stack.append(new)
        elif number is not None:
            if not stack:
                raise GeometryError("invalid WKT")
            numbers.append(float(number))
        elif comma is not None or closing is not None:
            if not stack:
                raise GeometryError("invalid WKT")
            if numbers:
                stack[-1].append(numbers)
                numbers = []
            if closing is not None:
                stack.pop()
    if kind is None or root is None or stack:
        raise GeometryError("invalid WKT")
    if kind == "Point":
        return kind, root[0] if len(root) == 1 else root
    if kind == "MultiPoint":
        return kind, [p[0] if p and isinstance(p[0], list) else p for p in root]
    return kind, root


def _coord(value: Any) -> Coord:
    if not isinstance(value, list | tuple) or len(value) < 2:
        raise GeometryError("invalid coordinate")
    lon, lat = value[0], value[1]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat)):
        raise GeometryError("invalid coordinate")
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise GeometryError("coordinate out of range (longitude then latitude, in degrees)")
    return float(lon), float(lat)


def _coords(value: Any, minimum: int) -> tuple[Coord, ...]:
    if not isinstance(value, list) or len(value) < minimum:
        raise GeometryError("not enough coordinates")
    return tuple(_coord(v) for v in value)


def _polygon(value: Any) -> tuple[Ring, ...]:
    if not isinstance(value, list) or not value:
        raise GeometryError("invalid polygon")
    rings = tuple(_coords(ring, 4) for ring in value)
    for ring in rings:
        if ring[0] != ring[-1]:
            raise GeometryError("polygon ring is not closed")
    return rings


def _build(kind: str, coordinates: Any) -> Geometry:
    if kind == "Point":
        geom = Geometry(kind, points=(_coord(coordinates),))
    elif kind in ("MultiPoint", "LineString"):
        geom = Geometry(kind, points=_coords(coordinates, 1 if kind == "MultiPoint" else 2))
    elif kind == "Polygon":
        geom = Geometry(kind, polygons=(_polygon(coordinates),))
    elif kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise GeometryError("invalid multipolygon")
        geom = Geometry(kind, polygons=tuple(_polygon(p) for p in coordinates))
    else:
        raise GeometryError(f"unsupported geometry type {kind}")
    vertices = len(geom.points) + sum(len(r) for p in geom.polygons for r in p)
    if vertices > limits.MAX_GEOM_VERTICES:
        raise GeometryError(f"too many vertices ({vertices} > {limits.MAX_GEOM_VERTICES})")
    return geom


# --- SQL ------------------------------------------------------------------------------------

_HAVERSINE = sqlglot.parse_one(
    f"2 * {EARTH_RADIUS_M} * ASIN(SQRT(POWER(SIN(RADIANS($lat - $lat0) / 2), 2)"
    " + COS(RADIANS($lat0)) * COS(RADIANS($lat)) * POWER(SIN(RADIANS($lon - $lon0) / 2), 2)))",
    read="duckdb",
)
_IN_POLYGON = sqlglot.parse_one(
    "LEN(LIST_FILTER($edges, LAMBDA e : ((e.y1 > $lat) <> (e.y2 > $lat))"
    " AND ($lon < (e.x2 - e.x1) * ($lat - e.y1) / (e.y2 - e.y1) + e.x1))) % 2 = 1",
    read="duckdb",
)


def fill(template: exp.Expr, **parts: exp.Expr) -> exp.Expr:
    """Substitute the ``$name`` placeholders of one of our templates."""

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Placeholder) and node.name in parts:
            return parts[node.name].copy()
        return node

    return template.copy().transform(swap)


def lon_lat(point: exp.Expr) -> tuple[exp.Expr, exp.Expr]:
    """The two members of a ``geo_point_2d`` column expression."""
    return (
        exp.Dot(this=point.copy(), expression=exp.to_identifier("lon")),
        exp.Dot(this=point.copy(), expression=exp.to_identifier("lat")),
    )


def haversine(point: exp.Expr, lon0: exp.Expr, lat0: exp.Expr) -> exp.Expr:
    lon, lat = lon_lat(point)
    return exp.Paren(this=fill(_HAVERSINE, lon=lon, lat=lat, lon0=lon0, lat0=lat0))


def in_polygon(point: exp.Expr, edges: exp.Expr) -> exp.Expr:
    lon, lat = lon_lat(point)
    return exp.Paren(this=fill(_IN_POLYGON, lon=lon, lat=lat, edges=edges))


# --- function builders (registered in functions.FUNCTIONS) -------------------------------------


def _point_field(r: Resolver, node: ast.Expr, scope: Scope, name: str) -> Typed:
    if not isinstance(node, ast.Field):
        raise r.error(f"The first argument of {name}() must be a geo field", node, scope)
    t = r.expr(node, scope)
    if t.type == "geo_shape":
        raise UnsupportedFeature(
            f"{name}() sur un champ geo_shape : non supporté",
            clause=scope.clause,
            col=node.pos + 1,
            highlight=node.name,
        )
    return r.require(t, frozenset({"geo_point_2d"}), node, scope, f"{name}()")


def _geometry(r: Resolver, node: ast.Expr, scope: Scope, name: str) -> Geometry:
    if not isinstance(node, (ast.GeomLit, ast.String)):
        raise r.error(f"{name}() expects a geometry literal: geom'POINT(lon lat)'", node, scope)
    text = node.text if isinstance(node, ast.GeomLit) else node.value
    try:
        return parse_geometry(text)
    except GeometryError as err:
        raise r.error(f"Invalid geometry: {err}", node, scope) from None


def _point(r: Resolver, node: ast.Expr, scope: Scope, name: str) -> tuple[exp.Expr, exp.Expr]:
    geom = _geometry(r, node, scope, name)
    if geom.kind != "Point":
        raise UnsupportedFeature(
            f"{name}() avec une géométrie {geom.kind} : non supporté (POINT attendu)",
            clause=scope.clause,
            col=node.pos + 1,
        )
    lon, lat = geom.points[0]
    return r.params.add(lon), r.params.add(lat)


def build_distance(r: Resolver, call: ast.Call, scope: Scope) -> Typed:
    """``distance(geo_point, geom'POINT(lon lat)')``: great-circle distance in metres."""
    point = _point_field(r, call.args[0], scope, "distance")
    lon0, lat0 = _point(r, call.args[1], scope, "distance")
    return r.combine(haversine(point.sql, lon0, lat0), "double", scope, point)


def build_within_distance(r: Resolver, call: ast.Call, scope: Scope) -> Typed:
    """``within_distance(geo_point, geom'POINT(lon lat)', 5km)``: points closer than the
    distance (units m, km, mi, yd, ft, cm, mm; a bare number is in metres)."""
    point = _point_field(r, call.args[0], scope, "within_distance")
    lon0, lat0 = _point(r, call.args[1], scope, "within_distance")
    radius = call.args[2]
    if isinstance(radius, ast.Distance):
        if radius.unit not in UNITS_M:
            raise r.error(f"Unknown distance unit '{radius.unit}'", radius, scope)
        metres = float(radius.number.value) * UNITS_M[radius.unit]
    elif isinstance(radius, ast.Number):
        metres = float(radius.value)
    else:
        raise r.error("within_distance() expects a distance such as 5km", radius, scope)
    if not (math.isfinite(metres) and metres >= 0):
        raise r.error("The distance must be positive", radius, scope)
    sql = exp.LTE(this=haversine(point.sql, lon0, lat0), expression=r.params.add(metres))
    return r.combine(sql, "boolean", scope, point)


def build_in_bbox(r: Resolver, call: ast.Call, scope: Scope) -> Typed:
    """``in_bbox(geo_point, lat1, lon1, lat2, lon2)``: points inside the box whose opposite
    corners are (lat1, lon1) and (lat2, lon2), in any order."""
    point = _point_field(r, call.args[0], scope, "in_bbox")
    values = []
    for node in call.args[1:]:
        if not isinstance(node, ast.Number):
            raise r.error("in_bbox() expects four numbers: lat1, lon1, lat2, lon2", node, scope)
        values.append(float(node.value))
    lat1, lon1, lat2, lon2 = values
    lon, lat = lon_lat(point.sql)
    sql = exp.And(
        this=exp.Between(
            this=lat, low=r.params.add(min(lat1, lat2)), high=r.params.add(max(lat1, lat2))
        ),
        expression=exp.Between(
            this=lon, low=r.params.add(min(lon1, lon2)), high=r.params.add(max(lon1, lon2))
        ),
    )
    return r.combine(exp.Paren(this=sql), "boolean", scope, point)


def shape_predicate(kind: str) -> Builder:
    def build(r: Resolver, call: ast.Call, scope: Scope) -> Typed:
        point = _point_field(r, call.args[0], scope, kind)
        geom = _geometry(r, call.args[1], scope, kind)
        lon, lat = lon_lat(point.sql)
        if geom.kind in ("Point", "MultiPoint"):
            tests = [
                exp.And(
                    this=exp.EQ(this=lon.copy(), expression=r.params.add(x)),
                    expression=exp.EQ(this=lat.copy(), expression=r.params.add(y)),
                )
                for x, y in geom.points
            ]
            inside: exp.Expr = tests[0]
            for test in tests[1:]:
                inside = exp.Or(this=inside, expression=test)
        elif geom.polygons:
            x1, y1, x2, y2 = geom.bbox()
            inside = exp.And(
                this=exp.And(
                    this=exp.Between(this=lon, low=r.params.add(x1), high=r.params.add(x2)),
                    expression=exp.Between(this=lat, low=r.params.add(y1), high=r.params.add(y2)),
                ),
                expression=in_polygon(point.sql, r.params.add(geom.edges())),
            )
        else:
            raise UnsupportedFeature(
                f"{kind}() d'un point avec une géométrie {geom.kind} : non supporté",
                clause=scope.clause,
                col=call.args[1].pos + 1,
            )
        if kind == "disjoint":
            # A null point is neither inside nor outside: keep ODS's "comparisons with null are false".
            sql: exp.Expr = exp.And(
                this=exp.Not(
                    this=exp.Paren(this=exp.Is(this=wrap(point.sql.copy()), expression=exp.Null()))
                ),
                expression=exp.Not(this=exp.Paren(this=exp.func("coalesce", inside, exp.false()))),
            )
        else:
            sql = inside
        return r.combine(exp.Paren(this=sql), "boolean", scope, point)

    build.__doc__ = {
        "intersects": "``intersects(geo_point, geom'POLYGON(...)')``: points inside or on the geometry.",
        "within": "``within(geo_point, geom'POLYGON(...)')``: points inside the geometry.",
        "disjoint": "``disjoint(geo_point, geom'POLYGON(...)')``: points outside the geometry.",
    }[kind]
    return build


def build_envelope(r: Resolver, call: ast.Call, scope: Scope) -> Typed:
    """``envelope(geo_point)`` / ``bbox(geo_point)``: the bounding box of the points, as a
    GeoJSON Polygon ``{"type": "Polygon", "coordinates": [[…]]}``."""
    point = _point_field(r, call.args[0], scope, call.name)
    lon, lat = lon_lat(point.sql)
    x1, y1 = fn("min", lon.copy()), fn("min", lat.copy())
    x2, y2 = fn("max", lon), fn("max", lat)
    ring = [
        exp.Array(expressions=[a.copy(), b.copy()])
        for a, b in ((x1, y1), (x2, y1), (x2, y2), (x1, y2), (x1, y1))
    ]
    sql = fn(
        "struct_pack",
        exp.PropertyEQ(this=exp.to_identifier("type"), expression=r.params.add("Polygon")),
        exp.PropertyEQ(
            this=exp.to_identifier("coordinates"),
            expression=exp.Array(expressions=[exp.Array(expressions=ring)]),
        ),
    )
    return Typed(sql, "geo_shape", aggregate=True)
