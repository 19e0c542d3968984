from __future__ import annotations

import io
import os
from datetime import datetime
from typing import Any

import pyarrow as pa
import pytest
from openpyxl import load_workbook
from openpyxl.worksheet._writer import ALL_TEMP_FILES

from ardoise.exporters import EXPORTERS, ExportColumn, ExportOptions, ExportTooLarge, XlsxExporter
from tests.exporters.sample import COLUMNS, POLYGON, sample_batches


def read(chunks: list[bytes]) -> Any:
    return load_workbook(io.BytesIO(b"".join(chunks)))


def values(sheet: Any) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_typed_cells() -> None:
    options = ExportOptions(dataset_id="fr-en-ips-colleges-ap2022", timezone="Europe/Paris")
    workbook = read(list(EXPORTERS["xlsx"].export(COLUMNS, sample_batches(), options)))
    sheet = workbook.active
    assert sheet.title == "fr-en-ips-colleges-ap2022"
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold
    assert values(sheet) == [
        [c.name for c in COLUMNS],
        [
            'Lycée "Hugo"; Paris',
            12,
            105.3,
            datetime(2023, 10, 21),
            datetime(2023, 10, 21, 0, 0),
            True,
            "48.85, 2.35",
            POLYGON,
            "a,b",
        ],
        [None] * 9,
        [
            "=SUM(A1)",
            -3,
            2,
            datetime(1999, 1, 2),
            datetime(2024, 1, 15, 9, 30),
            False,
            "47.2, -1.5",
            None,
            None,
        ],
    ]
    assert sheet["A4"].data_type == "s"  # text, never a formula
    assert sheet["D2"].is_date and sheet["E2"].is_date


def test_labels_and_empty_input() -> None:
    workbook = read(list(EXPORTERS["xlsx"].export(COLUMNS, [], ExportOptions(use_labels=True))))
    assert workbook.active.title == "export"
    assert values(workbook.active) == [[c.label for c in COLUMNS]]


def test_excel_limits_on_text() -> None:
    columns = [ExportColumn("t", "text", "t"), ExportColumn("s", "geo_shape", "s")]
    long_shape = '{"type":"Point","coordinates":[' + "0," * 20_000 + "0]}"
    batch = pa.record_batch(
        [pa.array(["a\x00b\x1fc", "x" * 40_000]), pa.array([long_shape, '{"type":"Point"}'])],
        names=["t", "s"],
    )
    sheet = read(list(EXPORTERS["xlsx"].export(columns, [batch], ExportOptions()))).active
    rows = values(sheet)
    assert rows[1] == ["abc", None]
    assert rows[2] == ["x" * 32_767, '{"type":"Point"}']


def test_row_cap_raises_before_the_first_byte_and_cleans_up() -> None:
    before = list(ALL_TEMP_FILES)
    exporter = XlsxExporter(max_rows=2)
    stream = exporter.export(COLUMNS, sample_batches(), ExportOptions())
    with pytest.raises(ExportTooLarge) as caught:
        next(iter(stream))
    assert caught.value.error_code == "InvalidRESTParameterError"
    assert "dépasse 2 lignes" in caught.value.message
    assert before == ALL_TEMP_FILES
    assert list(XlsxExporter(max_rows=3).export(COLUMNS, sample_batches(), ExportOptions()))


def test_abandoned_stream_removes_its_files(tmp_path: Any) -> None:
    before = list(ALL_TEMP_FILES)
    exporter = XlsxExporter(spool_dir=str(tmp_path))
    stream = exporter.export(COLUMNS, sample_batches(), ExportOptions())
    assert next(iter(stream)).startswith(b"PK")
    stream.close()  # type: ignore[attr-defined]
    assert os.listdir(tmp_path) == []
    assert before == ALL_TEMP_FILES


def test_formula_like_text_is_never_a_formula() -> None:
    """CSV injection in XLSX (issue #15): text starting with = + - @ is a text cell."""
    texts = ['=HYPERLINK("http://x")', "+33 1 23", "-moins", "@SUM(A1)"]
    table = pa.table({"nom": texts})
    columns = [ExportColumn("nom", "text", "Nom")]
    data = b"".join(
        EXPORTERS["xlsx"].export(columns, table.to_batches(), ExportOptions())  # type: ignore[arg-type]
    )
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [sheet.cell(row=i + 2, column=1) for i in range(len(texts))]
    assert [c.value for c in cells] == texts
    assert {c.data_type for c in cells} == {"s"}
