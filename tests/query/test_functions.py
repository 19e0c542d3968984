"""A few compiler behaviours around functions and schemas: names outside the allow-list,
unsupported functions, ``where`` as a tuple, a schema from the catalogue, a pinned ``now()``
(the allow-list itself is tested in tests/odsql/test_functions.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ardoise.catalog.loader import load_catalog
from ardoise.odsql.errors import UnknownFunction, UnsupportedFeature
from ardoise.odsql.schema import Schema
from ardoise.query.compile import compile_records
from ardoise.query.model import RecordsQuery


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


def test_now_is_pinned_and_shifted(schema: Schema) -> None:
    now = datetime(2024, 3, 31, 22, 30, tzinfo=UTC)
    compiled = compile_records(
        RecordsQuery(where="maj > now(months=-1, day=1, hour=0)", timezone="Europe/Paris"),
        schema,
        now=now,
    )
    # 2024-04-01 00:30 in Paris; day=1, hour=0 keep 00:30; one month back is 1 March 00:30 CET.
    assert list(compiled.params.values()) == [datetime(2024, 2, 29, 23, 30)]
