"""ODSQL, the Opendatasoft query language: tokens → parser → AST → resolver (→ ``query.compile``)."""

from __future__ import annotations

from ardoise.odsql.functions import FUNCTIONS as FUNCTIONS
from ardoise.odsql.parser import parse_group_by as parse_group_by
from ardoise.odsql.parser import parse_order_by as parse_order_by
from ardoise.odsql.parser import parse_select as parse_select
from ardoise.odsql.parser import parse_where as parse_where
