"""SQL text Ardoise writes itself: quoted identifiers and string literals for DuckDB.

Queries built from user input never go through here: the ODSQL compiler renders sqlglot
expressions with bound ``$pN`` parameters (``ardoise.query.compile``). These two functions
are for the statements Ardoise composes from names and values it owns or has validated:
table and column names of a release, file paths, settings, declared filter values.

>>> print(quote_identifier('nombre "brut" 2024'))
"nombre ""brut"" 2024"
>>> print(quote_literal("L'Haÿ-les-Roses"))
'L''Haÿ-les-Roses'
"""

from __future__ import annotations


def quote_identifier(name: str) -> str:
    """``name`` as a double-quoted SQL identifier (inner double quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """``text`` as a single-quoted SQL string literal (inner single quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"
