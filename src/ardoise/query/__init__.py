"""Query layer: ODSQL → safe DuckDB SQL with bound parameters → read-only engine.

Public API::

    compile_records(query: RecordsQuery, schema: Schema, *, export=False, now=None) -> CompiledQuery
    Engine(tables, memory_limit=..., threads=..., time_limit_ms=...).run(compiled) -> ResultSet
"""

from __future__ import annotations

from ardoise.odsql.errors import QueryError as QueryError
from ardoise.odsql.schema import Schema as Schema
from ardoise.query.compile import compile_records as compile_records
from ardoise.query.engine import Engine as Engine
from ardoise.query.engine import ResultSet as ResultSet
from ardoise.query.model import Column as Column
from ardoise.query.model import CompiledQuery as CompiledQuery
from ardoise.query.model import RecordsQuery as RecordsQuery
