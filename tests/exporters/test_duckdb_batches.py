"""The exporters take what DuckDB streams (``Etc/UTC`` time zones, structs, decimals)."""

from __future__ import annotations

import csv
import io
import json

import duckdb
import pyarrow.parquet as pq

from ardoise.exporters import EXPORTERS, ExportColumn, ExportOptions

SQL = """
SELECT * FROM (VALUES
  ('0750001A', 12, 105.3, DATE '2023-10-21', TIMESTAMPTZ '2023-10-20 22:00:00+00', true,
   struct_pack(lon := 2.35::DOUBLE, lat := 48.85::DOUBLE), 1.50::DECIMAL(4, 2)),
  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
) AS t(uai, n, ips, jour, maj, public, position, moyenne)
"""
COLUMNS = [
    ExportColumn("uai", "text", "UAI"),
    ExportColumn("n", "int", "N"),
    ExportColumn("ips", "double", "IPS"),
    ExportColumn("jour", "date", "Jour"),
    ExportColumn("maj", "datetime", "Mise à jour"),
    ExportColumn("public", "boolean", "Public"),
    ExportColumn("position", "geo_point_2d", "Position"),
    ExportColumn("moyenne", "null", "moyenne"),
]


def export(fmt: str, **options: object) -> bytes:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    reader = connection.sql(SQL).to_arrow_reader(1)
    data = b"".join(EXPORTERS[fmt].export(COLUMNS, reader, ExportOptions(**options)))  # type: ignore[arg-type]
    connection.close()
    return data


def test_csv_from_duckdb() -> None:
    text = export("csv", with_bom=False, timezone="Europe/Paris").decode()
    assert list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))[1:] == [
        [
            "0750001A",
            "12",
            "105.3",
            "2023-10-21",
            "2023-10-21T00:00:00+02:00",
            "true",
            "48.85, 2.35",
            "1.5",
        ],
        [""] * 8,
    ]


def test_json_from_duckdb() -> None:
    rows = json.loads(export("json"))
    assert rows[0] == {
        "uai": "0750001A",
        "n": 12,
        "ips": 105.3,
        "jour": "2023-10-21",
        "maj": "2023-10-20T22:00:00+00:00",
        "public": True,
        "position": {"lon": 2.35, "lat": 48.85},
        "moyenne": 1.5,
    }


def test_parquet_from_duckdb() -> None:
    table = pq.read_table(io.BytesIO(export("parquet")))
    assert table.num_rows == 2
    assert table.column("position").to_pylist()[0] == {"lon": 2.35, "lat": 48.85}
