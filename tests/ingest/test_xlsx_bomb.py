"""An XLSX "zip bomb" (issue #15): a workbook that would inflate to hundreds of megabytes
is refused with a clear French report before openpyxl decompresses it; an ordinary
workbook still reads."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl

from ardoise.catalog.model import Source
from ardoise.ingest.readers import read_source


def _bomb(path: Path, inflated_mb: int) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as member:
            zeros = b"0" * (1 << 20)
            for _ in range(inflated_mb):
                member.write(zeros)
    return path


def test_a_bomb_is_refused_before_it_inflates(tmp_path: Path) -> None:
    path = _bomb(tmp_path / "bombe.xlsx", 160)
    assert path.stat().st_size < 2 << 20  # under 2 MB on the wire
    read = read_source(path, Source(path="bombe.xlsx"))
    assert read.table is None
    (issue,) = read.issues
    assert issue.type == "fichier-illisible" and issue.blocking
    assert "bombe de décompression" in issue.message and "160 Mo" in issue.message


def test_an_ordinary_workbook_reads(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["uai", "effectif"])
    for i in range(2000):
        sheet.append([f"0{i:06d}A", i])
    buffer = io.BytesIO()
    book.save(buffer)
    path = tmp_path / "ok.xlsx"
    path.write_bytes(buffer.getvalue())
    read = read_source(path, Source(path="ok.xlsx"))
    assert read.issues == () and read.table is not None and read.table.num_rows == 2000
