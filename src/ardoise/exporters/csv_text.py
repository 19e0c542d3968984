"""CSV text of an Arrow batch built column by column in Arrow, never row by row in Python.

The bytes are exactly those :mod:`csv` writes (``QUOTE_MINIMAL`` or ``QUOTE_ALL``,
``\\r\\n``) over the cells of :func:`ardoise.exporters._cells.csv_cells`: the tests compare
the two on random batches. Text, integers, booleans and dates are rendered by Arrow
kernels; a double takes Arrow's shortest text where it equals Python's ``repr`` (fixed
notation, 1e-4 ≤ |v| < 1e16, ``.0`` added to integral values) and Python's ``repr``
otherwise; every other type (datetimes, points, lists, decimals…) goes through the Python
renderers of ``_cells``. Fields are then quoted where needed and joined by the delimiter,
and the batch's text is the value buffer of one string array: no per-row Python object.
Text cells that a spreadsheet would run as formulas are neutralised as in ``_cells``.
"""

from __future__ import annotations

import math
import re
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ardoise.exporters._cells import csv_cells, neutralised

_EMPTY = pa.scalar("", pa.string())


def batch_text(
    batch: pa.RecordBatch,
    zone: ZoneInfo,
    *,
    delimiter: str,
    list_separator: str,
    quote_all: bool,
) -> bytes:
    """The UTF-8 CSV lines of ``batch`` (one ``\\r\\n``-terminated line per row)."""
    fields = [
        _quoted(
            _field_text(batch.column(i), zone, list_separator),
            delimiter,
            quote_all=quote_all,
            alone=batch.num_columns == 1,
        )
        for i in range(batch.num_columns)
    ]
    if not fields:
        return b"\r\n" * int(batch.num_rows)
    joined = pc.binary_join_element_wise(*fields, delimiter) if len(fields) > 1 else fields[0]
    lines = pc.binary_join_element_wise(joined, pa.scalar("\r\n"), "")
    return _value_bytes(lines)


def _field_text(array: pa.Array, zone: ZoneInfo, list_separator: str) -> pa.Array:
    """The text of each cell, ``""`` for nulls, before quoting."""
    kind = array.type
    if pa.types.is_dictionary(kind):
        array = array.dictionary_decode()
        kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = neutralised(array.cast(pa.string()))  # no formula for spreadsheets
    elif pa.types.is_integer(kind) or pa.types.is_date(kind):
        text = pc.cast(array, pa.string())
    elif pa.types.is_boolean(kind):
        text = pc.if_else(array, "true", "false")
    elif pa.types.is_floating(kind):
        text = _float_text(array)
    else:
        cells = csv_cells(array, zone, list_separator)
        text = pa.array([None if c is None else str(c) for c in cells], pa.string())
    return pc.fill_null(text, _EMPTY)


def _float_text(array: pa.Array) -> pa.Array:
    """Doubles as Python's ``repr`` writes them; NaN is an empty cell, as in ``_cells``."""
    values = pc.cast(array, pa.float64())
    arrow = pc.cast(values, pa.string())
    magnitude = pc.abs(values)
    fixed = pc.and_(
        pc.or_(
            pc.equal(magnitude, 0.0),
            pc.and_(pc.greater_equal(magnitude, 1e-4), pc.less(magnitude, 1e16)),
        ),
        pc.invert(pc.match_substring(arrow, "e")),
    )
    integral = pc.equal(pc.floor(values), values)
    text = pc.if_else(integral, pc.binary_join_element_wise(arrow, ".0", ""), arrow)
    exact = pc.fill_null(fixed, False)
    if pc.all(pc.or_(exact, pc.is_null(values))).as_py():
        return pc.if_else(exact, text, pa.scalar(None, pa.string()))
    # The rest (tiny, huge, inf; NaN becomes null): Python's repr, one cell at a time.
    python = [
        None if v is None or math.isnan(v) else repr(v)
        for v in pc.if_else(exact, pa.scalar(None, pa.float64()), values).to_pylist()
    ]
    return pc.if_else(exact, text, pa.array(python, pa.string()))


def _quoted(text: pa.Array, delimiter: str, *, quote_all: bool, alone: bool) -> pa.Array:
    """Fields quoted as ``csv`` quotes them (a lone empty field is ``""`` too)."""
    if not quote_all:
        needs = pc.match_substring_regex(text, _special_characters(delimiter))
        if alone:
            needs = pc.or_(needs, pc.equal(pc.binary_length(text), 0))
        if not pc.any(needs).as_py():
            return text
    escaped = pc.replace_substring(text, '"', '""')
    wrapped = pc.binary_join_element_wise('"', escaped, '"', "")
    return wrapped if quote_all else pc.if_else(needs, wrapped, text)


def _special_characters(delimiter: str) -> str:
    """An RE2 class of the characters that make ``csv`` quote a field."""
    return "[" + re.escape(delimiter) + '"\\r\\n]'


def _value_bytes(lines: pa.Array) -> bytes:
    """The concatenated values of a string array without nulls (its value buffer)."""
    if len(lines) == 0:
        return b""
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    start, end = offsets[lines.offset], offsets[lines.offset + len(lines)]
    data: bytes = lines.buffers()[2][int(start) : int(end)].to_pybytes()
    return data
