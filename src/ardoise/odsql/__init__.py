"""ODSQL, the Opendatasoft query language: tokens → parser → AST → resolver (→ ``query.compile``).

    parse_where(text) -> ast.Expr              (and parse_select, parse_group_by,
                                               parse_order_by: parser.py)
    FUNCTIONS: dict[str, FunctionSpec]         the function allow-list (functions.py)
    Schema(table, fields)                      what a query is resolved against (schema.py)
    quote_field(name), quote_string(value)     ODSQL text Ardoise writes (literals.py)

Errors (``QueryError`` and its tree) are in ``errors.py``, the input caps in ``limits.py``.
"""

from __future__ import annotations

from ardoise.odsql.functions import FUNCTIONS as FUNCTIONS
from ardoise.odsql.parser import parse_group_by as parse_group_by
from ardoise.odsql.parser import parse_order_by as parse_order_by
from ardoise.odsql.parser import parse_select as parse_select
from ardoise.odsql.parser import parse_where as parse_where
