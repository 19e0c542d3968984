"""The function allow-list, the model values and a few compiler behaviours."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from ardoise.catalog.loader import load_catalog
from ardoise.odsql import FUNCTIONS, dates, geo
from ardoise.odsql.errors import UnknownFunction, UnsupportedFeature
from ardoise.odsql.schema import Schema
from ardoise.query.compile import compile_records
from ardoise.query.model import RecordsQuery

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


def test_names_outside_the_table_are_errors(schema: Schema) -> None:
    for name in ("read_csv", "system", "pg_sleep", "concat", "YEARS"):
        with pytest.raises(UnknownFunction):
            compile_records(RecordsQuery(where=f"{name}(nom) = 1"), schema)


def test_known_but_unsupported(schema: Schema) -> None:
    with pytest.raises(UnsupportedFeature) as info:
        compile_records(RecordsQuery(order_by="vector_similarity('x')"), schema)
    assert "non supporté" in info.value.message


def test_where_as_string_or_tuple(schema: Schema) -> None:
    one = compile_records(RecordsQuery(where="ips > 1"), schema)
    two = compile_records(RecordsQuery(where=("ips > 1", "  ")), schema)
    assert one.sql == two.sql
    assert RecordsQuery(where=None).where_clauses == ()


def test_schema_from_the_catalog() -> None:
    dataset = next(d for d in load_catalog() if d.id == "fr-en-ips-ecoles-ap2022")
    schema = Schema.from_dataset(dataset)
    assert schema.table == "fr-en-ips-ecoles-ap2022"
    assert len(schema.fields) == len(dataset.fields)
    first = dataset.fields[0].name
    compiled = compile_records(RecordsQuery(select=first, where=f"{first} is not null"), schema)
    assert compiled.sql.startswith(
        f'SELECT "fr-en-ips-ecoles-ap2022"."{first}" FROM "fr-en-ips-ecoles-ap2022"'
    )


def test_schema_refuses_unknown_types() -> None:
    with pytest.raises(ValueError):
        Schema("t", (("a", "float"),))  # type: ignore[arg-type]


def test_now_is_pinned_and_shifted(schema: Schema) -> None:
    now = datetime(2024, 3, 31, 22, 30, tzinfo=UTC)
    compiled = compile_records(
        RecordsQuery(where="maj > now(months=-1, day=1, hour=0)", timezone="Europe/Paris"),
        schema,
        now=now,
    )
    # 2024-04-01 00:30 in Paris; day=1, hour=0 keep 00:30; one month back is 1 March 00:30 CET.
    assert list(compiled.params.values()) == [datetime(2024, 2, 29, 23, 30)]


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
