"""Readers for what the mirror holds: CSV (``;`` or ``,``, UTF-8 with or without BOM,
latin-1 when declared), Parquet, XLSX and GeoJSON.

Every reader returns the source as an Arrow table of *strings* (typing happens later, in
one place: ``normalise``), with the problems it met as report Issues. A source that cannot
be read at all gives blocking issues and no table.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ardoise.catalog.model import Source
from ardoise.ingest.report import Issue

_BOM = b"\xef\xbb\xbf"
_SNIFF_BYTES = 65536


@dataclass(frozen=True)
class SourceRead:
    path: str
    sha256: str
    bytes: int
    format: str
    table: pa.Table | None  # every column a string; None when unreadable
    issues: tuple[Issue, ...]
    encoding: str = ""
    delimiter: str = ""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def source_format(path: Path) -> str:
    suffix = path.suffix.lower()
    return {".parquet": "parquet", ".xlsx": "xlsx", ".geojson": "geojson", ".json": "geojson"}.get(
        suffix, "csv"
    )


def read_source(path: Path, source: Source) -> SourceRead:
    """Read one source file into strings, or report why it cannot be read."""
    data = path.read_bytes()
    fmt = source_format(path)
    reader = _READERS[fmt]
    digest = sha256_bytes(data)

    def result(
        table: pa.Table | None, issues: tuple[Issue, ...], encoding: str = "", delimiter: str = ""
    ) -> SourceRead:
        return SourceRead(source.path, digest, len(data), fmt, table, issues, encoding, delimiter)

    if not data.strip(b" \r\n\t" + _BOM):
        return result(
            None,
            (
                _issue(
                    "fichier-vide",
                    source,
                    f"Le fichier {source.path} est vide ({len(data)} octets).",
                ),
            ),
        )
    try:
        table, issues, encoding, delimiter = reader(data, source)
    except _Unreadable as exc:
        return result(None, (exc.issue,))
    return result(table, tuple(issues), encoding, delimiter)


class _Unreadable(Exception):
    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def _issue(kind: str, source: Source, message: str, **kw: Any) -> Issue:
    return Issue(type=kind, message=message, source=source.path, **kw)


def _fail(kind: str, source: Source, message: str, **kw: Any) -> _Unreadable:
    return _Unreadable(_issue(kind, source, message, **kw))


def _decode_check(data: bytes, source: Source) -> tuple[str, list[Issue]]:
    """The pyarrow encoding name for ``data``, checked against the declared one."""
    head = data[:_SNIFF_BYTES]
    if b"\x00" in head:
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise _fail(
                "encodage-invalide",
                source,
                f"{source.path} est en UTF-16 ; l'encodage déclaré est {source.encoding}.",
            )
        raise _fail(
            "fichier-binaire",
            source,
            f"{source.path} contient des octets nuls : ce n'est pas un fichier CSV "
            "(fichier binaire ou corrompu).",
        )
    if source.encoding == "latin-1":
        return "latin1", [
            _issue(
                "encodage-latin1",
                source,
                f"{source.path} est lu en latin-1 comme le déclare le descripteur.",
            )
        ]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        guess = " ; il semble être en latin-1 (Windows-1252)" if _looks_latin1(data) else ""
        raise _fail(
            "encodage-invalide",
            source,
            f"{source.path} n'est pas en UTF-8 : octet 0x{data[exc.start]:02X} invalide à la "
            f"ligne {line}{guess}. Si la source a changé d'encodage, déclarez `encoding: latin-1` "
            "dans le descripteur après vérification.",
            row=line,
        ) from None
    return "utf8", []


def _looks_latin1(data: bytes) -> bool:
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return any(c in text for c in "éèàçôêÉ")


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _read_csv(data: bytes, source: Source) -> tuple[pa.Table, list[Issue], str, str]:
    encoding, issues = _decode_check(data, source)
    body = data[len(_BOM) :] if data.startswith(_BOM) else data
    first_line = body.split(b"\n", 1)[0].decode(
        "utf-8" if encoding == "utf8" else "cp1252", errors="replace"
    )
    delimiter = _sniff_delimiter(first_line)
    bad_rows: list[tuple[int | None, int, int, str]] = []

    def on_invalid(row: Any) -> str:
        bad_rows.append((row.number, row.expected_columns, row.actual_columns, row.text or ""))
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(
                encoding=encoding, use_threads=False, block_size=1 << 22
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                newlines_in_values=True,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                auto_dict_encode=False,
                check_utf8=True,
                include_missing_columns=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError) as exc:
        raise _fail(
            "fichier-illisible", source, f"{source.path} n'est pas un CSV lisible : {exc}"
        ) from None
    table = table.cast(pa.schema([pa.field(n, pa.string()) for n in table.column_names]))
    if bad_rows:
        line, expected, actual, text = bad_rows[0]
        where = f"ligne {line}" if line else "une ligne"
        issues.append(
            _issue(
                "ligne-malformee",
                source,
                f"{source.path} : {len(bad_rows)} ligne(s) n'ont pas {expected} colonnes ; "
                f"{where} en a {actual} (fichier tronqué ou séparateur dans une valeur ?).",
                row=line,
                count=len(bad_rows),
                examples=(text[:120],),
            )
        )
    return table, issues, "utf-8-sig" if data.startswith(_BOM) else encoding, delimiter


def _read_parquet(data: bytes, source: Source) -> tuple[pa.Table, list[Issue], str, str]:
    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowInvalid, OSError) as exc:
        raise _fail(
            "fichier-illisible",
            source,
            f"{source.path} n'est pas un fichier Parquet lisible : {exc}",
        ) from None
    columns = [_as_strings(col) for col in table.columns]
    return pa.table(columns, names=table.column_names), [], "", ""


def _as_strings(col: pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    try:
        return col.cast(pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        values = col.to_pylist()
        return pa.array(
            [
                None
                if v is None
                else json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)
                for v in values
            ],
            pa.string(),
        )


def _read_geojson(data: bytes, source: Source) -> tuple[pa.Table, list[Issue], str, str]:
    _decode_check(data, source)
    try:
        doc = json.loads(data)
        features = doc["features"]
    except (ValueError, KeyError, TypeError) as exc:
        raise _fail(
            "fichier-illisible",
            source,
            f"{source.path} n'est pas un GeoJSON FeatureCollection : {exc}",
        ) from None
    names: list[str] = []
    rows: list[dict[str, str | None]] = []
    for feat in features:
        props = dict(feat.get("properties") or {})
        row: dict[str, str | None] = {}
        for k, v in props.items():
            if k not in names:
                names.append(k)
            if isinstance(v, dict) and {"lat", "lon"} <= set(v):
                row[k] = f"{v['lat']}, {v['lon']}"
            elif isinstance(v, dict | list):
                row[k] = json.dumps(v, ensure_ascii=False, sort_keys=True)
            else:
                row[k] = None if v is None else str(v)
        geom = feat.get("geometry")
        row["geo_shape"] = None if geom is None else json.dumps(geom, separators=(",", ":"))
        rows.append(row)
    names.append("geo_shape")
    arrays = [pa.array([r.get(n) for r in rows], pa.string()) for n in names]
    return pa.table(arrays, names=names), [], "utf8", ""


# A workbook is a zip: refuse one that would inflate far beyond what a spreadsheet does
# (a "zip bomb") before openpyxl decompresses anything. zipfile never inflates a member
# past its declared size, so the declared sizes bound the work.
XLSX_MAX_INFLATED = 1 << 30  # 1 GiB of XML at most
XLSX_MAX_RATIO = 100  # above 100 MiB inflated, at most 100 times the file's size
XLSX_RATIO_FLOOR = 100 << 20


def _check_inflation(data: bytes, source: Source) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(i.file_size for i in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not a zip: openpyxl says so below
    ratio = inflated / max(len(data), 1)
    if inflated > XLSX_MAX_INFLATED or (inflated > XLSX_RATIO_FLOOR and ratio > XLSX_MAX_RATIO):
        raise _fail(
            "fichier-illisible",
            source,
            f"{source.path} : classeur refusé, il se décompresserait en "
            f"{inflated >> 20} Mo pour {max(len(data) >> 20, 1)} Mo envoyés "
            f"(× {ratio:.0f} ; bombe de décompression ?). Enregistrez-le en CSV ou allégez-le.",
        )


def _read_xlsx(data: bytes, source: Source) -> tuple[pa.Table, list[Issue], str, str]:
    import openpyxl  # imported lazily: only XLSX sources need it

    _check_inflation(data, source)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (zipfile, KeyError, …)
        raise _fail(
            "fichier-illisible", source, f"{source.path} n'est pas un classeur XLSX lisible : {exc}"
        ) from None
    sheet_name = source.sheet or book.sheetnames[0]
    if sheet_name not in book.sheetnames:
        raise _fail(
            "fichier-illisible",
            source,
            f"{source.path} : feuille {sheet_name!r} absente "
            f"(feuilles : {', '.join(book.sheetnames)}).",
        )
    values = list(book[sheet_name].iter_rows(values_only=True))
    book.close()
    header_idx = source.header_row - 1
    if len(values) <= header_idx:
        raise _fail(
            "fichier-vide", source, f"{source.path} : aucun en-tête en ligne {source.header_row}."
        )
    header = [str(h).strip() if h is not None else "" for h in values[header_idx]]
    keep = [i for i, h in enumerate(header) if h]
    rows = [r for r in values[header_idx + 1 :] if any(c not in (None, "") for c in r)]
    arrays = [
        pa.array([_cell(r[i]) if i < len(r) else None for r in rows], pa.string()) for i in keep
    ]
    return pa.table(arrays, names=[header[i] for i in keep]), [], "", ""


def _cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_READERS: dict[str, Callable[[bytes, Source], tuple[pa.Table, list[Issue], str, str]]] = {
    "csv": _read_csv,
    "parquet": _read_parquet,
    "geojson": _read_geojson,
    "xlsx": _read_xlsx,
}
