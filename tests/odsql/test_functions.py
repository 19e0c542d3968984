"""The function allow-list (every function of the reference, each documented), and the
language's own values: temporal literals, ``date_format`` patterns, geometry literals."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from ardoise.odsql import FUNCTIONS, dates, geo
from ardoise.odsql.schema import Schema

# Every function named by the reference (§1.4), except catalog-only vector functions.
REFERENCE = [
    "search",
    "suggest",
    "startswith",
    "within_distance",
    "in_bbox",
    "intersects",
    "disjoint",
    "within",
    "length",
    "now",
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "date_format",
    "ifnull",
    "lower",
    "random",
    "distance",
    "count",
    "avg",
    "sum",
    "min",
    "max",
    "median",
    "percentile",
    "envelope",
    "bbox",
    "range",
]


def test_every_reference_function_is_in_the_table() -> None:
    assert set(REFERENCE) <= set(FUNCTIONS)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_is_documented(name: str) -> None:
    spec = FUNCTIONS[name]
    assert spec.name == name
    assert len(spec.doc) > 10
    assert spec.clauses


def test_schema_refuses_unknown_types() -> None:
    with pytest.raises(ValueError):
        Schema("t", (("a", "float"),))  # type: ignore[arg-type]


def test_temporal_literals() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert dates.parse_temporal("2020", paris) == dates.Temporal(date(2020, 1, 1), "year")
    assert dates.parse_temporal("2020/02", paris) == dates.Temporal(date(2020, 2, 1), "month")
    assert dates.parse_temporal("2020-07-14T12:00", paris) == dates.Temporal(
        datetime(2020, 7, 14, 10, 0), "time"
    )
    assert dates.parse_temporal("2020-07-14T12:00Z", paris) == dates.Temporal(
        datetime(2020, 7, 14, 12, 0), "time"
    )
    assert dates.parse_temporal("2020-02-30", paris) is None
    assert dates.parse_temporal("-01", paris) is None
    assert dates.parse_temporal("2020Z", paris) is None


def test_date_format_translation() -> None:
    assert dates.translate_format("yyyy-MM-dd'T'HH:mm") == [
        dates.FormatPiece("strftime", "%Y-%m-%dT%H:%M")
    ]
    assert dates.translate_format("'100%' yy") == [dates.FormatPiece("strftime", "100%% %y")]
    assert dates.translate_format("Q") == "Q"
    assert dates.translate_format("'open") == "'"


def test_geometry_parsing() -> None:
    assert geo.parse_geometry("POINT(2.35 48.85)").points == ((2.35, 48.85),)
    assert geo.parse_geometry("point (2 48)").points == ((2.0, 48.0),)
    assert geo.parse_geometry("MULTIPOINT((1 2), (3 4))").points == ((1.0, 2.0), (3.0, 4.0))
    assert geo.parse_geometry("MULTIPOINT(1 2, 3 4)").points == ((1.0, 2.0), (3.0, 4.0))
    poly = geo.parse_geometry(
        '{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}'
    )
    assert poly.bbox() == (0.0, 0.0, 1.0, 1.0)
    assert len(poly.edges()) == 2  # the horizontal edge is dropped
    for bad in (
        "POINT(1)",
        "POINT(1 2) POINT(3 4)",
        "POINT((((1 2))))",
        "CIRCLE(1 2)",
        "{",
        '{"type": "Point", "coordinates": [true, 2]}',
        "POINT(1 nan)",
        "POLYGON EMPTY",
    ):
        with pytest.raises(geo.GeometryError):
            geo.parse_geometry(bad)
