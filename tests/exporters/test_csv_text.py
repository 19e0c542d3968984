"""The Arrow CSV writer gives the bytes of Python's ``csv`` module over the same cells.

The oracle is the writer the export used before (``csv.writer`` over ``csv_cells``): random
batches of every column type, with nulls, NaN, infinities, extreme doubles, quotes,
delimiters, line breaks and non-ASCII text, under every quoting and delimiter option.
"""

from __future__ import annotations

import csv
import io
import math
import random
import struct
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from ardoise.exporters._cells import csv_cells
from ardoise.exporters.csv_text import batch_text

PARIS = ZoneInfo("Europe/Paris")
TEXT_PIECES = [
    "a",
    "=",
    "+",
    "-",
    "@",
    "é",
    "Lycée",
    " ",
    ";",
    ",",
    "|",
    '"',
    "\r",
    "\n",
    "\t",
    "€",
    "日本",
    "'",
    "0",
]


def oracle(batch: pa.RecordBatch, delimiter: str, quote_all: bool) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=delimiter,
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
        lineterminator="\r\n",
    )
    cells = [csv_cells(batch.column(i), PARIS, ",") for i in range(batch.num_columns)]
    writer.writerows(zip(*cells, strict=True))
    return buffer.getvalue().encode("utf-8")


def random_double(rng: random.Random) -> float | None:
    kind = rng.random()
    if kind < 0.1:
        return None
    if kind < 0.2:
        return rng.choice([0.0, -0.0, math.inf, -math.inf, math.nan, 1e-4, 1e16, 12.0, 1e15])
    if kind < 0.4:
        return float(struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0])
    if kind < 0.6:
        return round(rng.uniform(-1000, 1000), rng.randint(0, 6))
    if kind < 0.8:
        return rng.uniform(-1e-3, 1e-3) * 10 ** rng.randint(-300, 20)
    return float(rng.randint(-(10**17), 10**17))


def random_text(rng: random.Random) -> str | None:
    if rng.random() < 0.1:
        return None
    return "".join(rng.choice(TEXT_PIECES) for _ in range(rng.randint(0, 6)))


def random_column(rng: random.Random, kind: str, rows: int) -> pa.Array:
    if kind == "text":
        return pa.array([random_text(rng) for _ in range(rows)], pa.string())
    if kind == "dict":
        return pa.array([random_text(rng) for _ in range(rows)], pa.string()).dictionary_encode()
    if kind == "int":
        return pa.array(
            [rng.choice([None, 0, -1, 2**62, rng.randint(-999, 999)]) for _ in range(rows)]
        )
    if kind == "double":
        return pa.array([random_double(rng) for _ in range(rows)], pa.float64())
    if kind == "float32":
        return pa.array([random_double(rng) for _ in range(rows)], pa.float64()).cast(
            pa.float32(), safe=False
        )
    if kind == "bool":
        return pa.array([rng.choice([None, True, False]) for _ in range(rows)], pa.bool_())
    if kind == "date":
        days = [None if rng.random() < 0.1 else rng.randint(-3000, 30000) for _ in range(rows)]
        return pa.array([None if d is None else date(1970, 1, 1) + timedelta(d) for d in days])
    if kind == "datetime":
        stamps = [None if rng.random() < 0.1 else rng.randint(0, 2 * 10**9) for _ in range(rows)]
        values = [None if s is None else datetime.fromtimestamp(s, UTC) for s in stamps]
        return pa.array(values, pa.timestamp("us", tz="UTC"))
    if kind == "point":
        points = [
            None if rng.random() < 0.1 else {"lon": rng.uniform(-5, 9), "lat": rng.uniform(41, 51)}
            for _ in range(rows)
        ]
        return pa.array(points, pa.struct([("lon", pa.float64()), ("lat", pa.float64())]))
    assert kind == "list"
    return pa.array(
        [[random_text(rng) or "x" for _ in range(rng.randint(0, 3))] for _ in range(rows)],
        pa.list_(pa.string()),
    )


KINDS = ["text", "dict", "int", "double", "float32", "bool", "date", "datetime", "point", "list"]


@pytest.mark.parametrize("seed", range(40))
def test_random_batches_equal_the_csv_module(seed: int) -> None:
    rng = random.Random(seed)
    rows = rng.randint(0, 60)
    kinds = [rng.choice(KINDS) for _ in range(rng.randint(1, 6))]
    batch = pa.RecordBatch.from_arrays(
        [random_column(rng, kind, rows) for kind in kinds], [f"c{i}" for i in range(len(kinds))]
    )
    for delimiter in (";", ",", "\t", "|", " ", "é"):
        for quote_all in (False, True):
            got = batch_text(
                batch, PARIS, delimiter=delimiter, list_separator=",", quote_all=quote_all
            )
            assert got == oracle(batch, delimiter, quote_all), (kinds, delimiter, quote_all)


def test_a_lone_empty_field_is_quoted_like_the_csv_module() -> None:
    batch = pa.RecordBatch.from_arrays([pa.array(["", None, "x"])], ["only"])
    got = batch_text(batch, PARIS, delimiter=";", list_separator=",", quote_all=False)
    assert got == b'""\r\n""\r\nx\r\n' == oracle(batch, ";", False)


def test_doubles_keep_python_repr() -> None:
    values = [3.0, 1e15, 1e16, 1e-5, 2.5e-7, -0.0, 123456789012345.6, 105.3, math.inf, math.nan]
    batch = pa.RecordBatch.from_arrays([pa.array(values), pa.array(["a"] * 10)], ["v", "t"])
    got = batch_text(batch, PARIS, delimiter=";", list_separator=",", quote_all=False)
    expected = [
        "3.0",
        "1000000000000000.0",
        "1e+16",
        "1e-05",
        "2.5e-07",
        "-0.0",
        "123456789012345.6",
        "105.3",
        "inf",
        "",
    ]
    assert got.decode().split("\r\n")[:-1] == [f"{v};a" for v in expected]


def test_a_sliced_batch_gives_only_its_rows() -> None:
    batch = pa.RecordBatch.from_arrays([pa.array(["a", "b", "c", "d"])], ["t"]).slice(1, 2)
    assert batch_text(batch, PARIS, delimiter=";", list_separator=",", quote_all=False) == (
        b"b\r\nc\r\n"
    )
