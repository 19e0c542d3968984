"""The v1 ``geofilter.distance`` and ``geofilter.polygon`` parameters as an ODSQL ``where``
on the dataset's first ``geo_point_2d`` field.

``geofilter.distance=lat,lon,distance`` is a circle (metres by default, or any unit of
``ardoise.odsql.geo.UNITS_M``: ``500m``, ``2km``, ``1mi``…); ``geofilter.polygon`` is a ring
``(lat1,lon1),(lat2,lon2),(lat3,lon3)…`` of three points or more (closed if need be). Both
are written in v1's latitude-first order and become ``within_distance`` / ``within`` over
``geom'…'`` literals in WKT's longitude-first order, numbers in plain decimal notation.
"""

from __future__ import annotations

import math
import re

from ardoise.odsql.geo import UNITS_M
from ardoise.odsql.schema import Schema
from ardoise.query.v1.params import invalid

MAX_DISTANCE_M = 50_000_000
MAX_POLYGON_POINTS = 10_000
# Longest first, so that "km" is not read as "m"; no unit means metres.
_UNITS = (*sorted(UNITS_M, key=len, reverse=True), "")
_PAIR = re.compile(r"\(\s*([^(),]+?)\s*,\s*([^(),]+?)\s*\)")


def geo_where(schema: Schema, distance: str | None, polygon: str | None) -> str | None:
    """The ODSQL of both parameters (ANDed), or None when neither is given."""
    if not distance and not polygon:
        return None
    points = schema.of_type("geo_point_2d")
    if not points:
        name = "geofilter.distance" if distance else "geofilter.polygon"
        raise invalid(
            name, distance or polygon or "", "un jeu de données ayant un champ geo_point_2d"
        )
    field = f"`{points[0]}`"
    parts = []
    if distance:
        lat, lon, metres = _distance(distance)
        parts.append(
            f"within_distance({field}, geom'POINT({_num(lon)} {_num(lat)})', {_num(metres)}m)"
        )
    if polygon:
        ring = _polygon(polygon)
        wkt = ", ".join(f"{_num(lon)} {_num(lat)}" for lat, lon in ring)
        parts.append(f"within({field}, geom'POLYGON(({wkt}))')")
    return " and ".join(parts)


def _num(value: float) -> str:
    """A finite float in plain decimal notation (no exponent), for a geom or distance."""
    return f"{value:.9f}".rstrip("0").rstrip(".") or "0"


def _coordinate(text: str, lo: float, hi: float) -> float:
    value = float(text)  # ValueError for anything but a number
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ValueError(text)
    return value


def _distance(raw: str) -> tuple[float, float, float]:
    expected = "latitude,longitude,distance en mètres (ex. 48.85,2.35,1000)"
    parts = [p.strip() for p in raw.split(",")]
    try:
        if len(parts) not in (2, 3):
            raise ValueError(raw)
        lat = _coordinate(parts[0], -90, 90)
        lon = _coordinate(parts[1], -180, 180)
        dist = parts[2].lower() if len(parts) == 3 else "0"
        unit = next(u for u in _UNITS if dist.endswith(u))
        metres = float(dist[: len(dist) - len(unit)]) * UNITS_M.get(unit, 1.0)
        if not (math.isfinite(metres) and 0 <= metres <= MAX_DISTANCE_M):
            raise ValueError(raw)
    except ValueError:
        raise invalid("geofilter.distance", raw, expected) from None
    return lat, lon, metres


def _polygon(raw: str) -> list[tuple[float, float]]:
    expected = "(lat1,lon1),(lat2,lon2),(lat3,lon3)… avec au moins trois points"
    text = raw.strip()
    pairs = _PAIR.findall(text)
    rebuilt = ",".join(f"({a},{b})" for a, b in pairs)
    if len(pairs) < 3 or len(pairs) > MAX_POLYGON_POINTS or rebuilt != re.sub(r"\s+", "", text):
        raise invalid("geofilter.polygon", raw, expected)
    try:
        ring = [(_coordinate(a, -90, 90), _coordinate(b, -180, 180)) for a, b in pairs]
    except ValueError:
        raise invalid("geofilter.polygon", raw, expected) from None
    if ring[0] != ring[-1]:
        ring.append(ring[0])
    return ring
