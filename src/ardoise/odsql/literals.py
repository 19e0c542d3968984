"""ODSQL text Ardoise writes itself: field names and string literals the parser reads back.

The indicators write the Explore queries that reproduce a figure, and the API translates
v1 and ``refine``-style parameters into ``where`` clauses; both quote through here, so what
they write is exactly what :mod:`ardoise.odsql.parser` reads (then binds as parameters).

>>> quote_field("ips"), quote_field("2ndes_gt_filles"), quote_field("in")
('ips', '`2ndes_gt_filles`', '`in`')
>>> print(quote_string('Lycée "Ampère"'))
"Lycée \\"Ampère\\""
"""

from __future__ import annotations

import re

from ardoise.odsql.parser import RESERVED

_SIMPLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def quote_field(name: str) -> str:
    """A field name as ODSQL reads it (backquoted unless a plain identifier)."""
    if _SIMPLE.fullmatch(name) and name.lower() not in RESERVED:
        return name
    return "`" + name.replace("`", "") + "`"


def quote_string(value: str) -> str:
    """An ODSQL string literal for ``value`` (backslash escapes); parsed, then bound."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
