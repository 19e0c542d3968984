from __future__ import annotations

import csv
import io

import pyarrow as pa
import pytest

from ardoise.exporters import EXPORTERS, ExportColumn, ExportOptions, InvalidExportOption
from tests.exporters.sample import COLUMNS, POLYGON, sample_batches

HEADER = [
    "nom",
    "effectif",
    "ips",
    "date_ouverture",
    "maj",
    "public",
    "position",
    "contour",
    "tags",
]
ROWS = [
    [
        'Lycée "Hugo"; Paris',
        "12",
        "105.3",
        "2023-10-21",
        "2023-10-20T22:00:00+00:00",
        "true",
        "48.85, 2.35",
        POLYGON,
        "a,b",
    ],
    ["", "", "", "", "", "", "", "", ""],
    [
        "'=SUM(A1)",  # a formula-like text cell is neutralised (issue #15); -3 is a number
        "-3",
        "2.0",
        "1999-01-02",
        "2024-01-15T08:30:00+00:00",
        "false",
        "47.2, -1.5",
        "",
        "",
    ],
]


def export(batches: list[pa.RecordBatch], **options: object) -> bytes:
    chunks = EXPORTERS["csv"].export(COLUMNS, batches, ExportOptions(**options))  # type: ignore[arg-type]
    return b"".join(chunks)


def parse(data: bytes, delimiter: str = ";") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))


def test_every_type_and_nulls() -> None:
    batches = sample_batches()
    data = export(batches)
    assert data.startswith(b"\xef\xbb\xbfnom;effectif;")
    assert parse(data) == [HEADER, *ROWS]
    assert b"\r\n" in data


def test_without_bom_with_comma_and_quote_all() -> None:
    batches = sample_batches()
    data = export(batches, with_bom=False, delimiter=",", quote_all=True, list_separator="|")
    assert data.startswith(b'"nom","effectif",')
    rows = parse(data, ",")
    assert rows[1][8] == "a|b"
    assert rows[1][:3] == ['Lycée "Hugo"; Paris', "12", "105.3"]
    assert data.splitlines()[3].startswith(b'"\'=SUM(A1)","-3","2.0"')  # neutralised (#15)


def test_labels_and_time_zone() -> None:
    batches = sample_batches()
    rows = parse(export(batches, use_labels=True, timezone="Europe/Paris"))
    assert rows[0][:3] == ["Nom de l'établissement", "Effectif", "Indice de position sociale"]
    assert rows[1][4] == "2023-10-21T00:00:00+02:00"
    assert rows[3][4] == "2024-01-15T09:30:00+01:00"


def test_empty_input_is_the_header_alone() -> None:
    assert export([]) == b"\xef\xbb\xbf" + ";".join(HEADER).encode() + b"\r\n"
    empty = pa.record_batch([pa.array([], t) for t in (pa.string(),)], names=["nom"])
    chunks = list(EXPORTERS["csv"].export([COLUMNS[0]], [empty], ExportOptions(with_bom=False)))
    assert chunks == [b"nom\r\n"]


def test_header_leaves_with_the_first_rows() -> None:
    batches = sample_batches()
    chunks = list(EXPORTERS["csv"].export(COLUMNS, batches, ExportOptions()))
    assert len(chunks) == 2
    assert parse(chunks[0]) == [HEADER, *ROWS[:2]]


@pytest.mark.parametrize("delimiter", ["", ";;", '"', "\n", "\r"])
def test_bad_delimiter_raises_when_called(delimiter: str) -> None:
    with pytest.raises(InvalidExportOption) as caught:
        EXPORTERS["csv"].export(COLUMNS, iter(()), ExportOptions(delimiter=delimiter))
    assert caught.value.error_code == "InvalidRESTParameterError"
    assert "delimiter" in caught.value.message


def test_bad_time_zone_raises_when_called() -> None:
    with pytest.raises(InvalidExportOption, match="timezone"):
        EXPORTERS["csv"].export(COLUMNS, iter(()), ExportOptions(timezone="Mars/Olympus"))


def test_computed_columns_follow_their_arrow_type() -> None:
    from decimal import Decimal

    batch = pa.record_batch(
        [
            pa.array([Decimal("1.50"), None]),
            pa.array([float("nan"), 1e20]),
            pa.array([1, 2], pa.int32()),
        ],
        names=["avg", "ratio", "n"],
    )
    columns = [ExportColumn(n, "null", n) for n in ("avg", "ratio", "n")]
    data = b"".join(EXPORTERS["csv"].export(columns, [batch], ExportOptions(with_bom=False)))
    assert parse(data) == [["avg", "ratio", "n"], ["1.5", "", "1"], ["", "1e+20", "2"]]


def test_formula_cells_are_neutralised() -> None:
    """CSV injection (issue #15): text cells starting with = + - @ (or a tab, a carriage
    return) leave behind an apostrophe; numbers and ordinary text are untouched."""
    texts = ['=HYPERLINK("http://x")', "+33 1 23", "-moins", "@SUM(A1)", "\tTab", "normal", "a=b"]
    table = pa.table({"nom": texts})
    columns = [ExportColumn("nom", "text", "Nom")]
    data = b"".join(
        EXPORTERS["csv"].export(columns, table.to_batches(), ExportOptions())  # type: ignore[arg-type]
    )
    cells = [r[0] for r in parse(data)[1:]]
    assert cells == [f"'{t}" for t in texts[:5]] + ["normal", "a=b"]
