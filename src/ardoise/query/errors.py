"""Errors of the query engine itself; the language's errors are in ``ardoise.odsql.errors``."""

from __future__ import annotations

from ardoise.odsql.errors import QueryError


class QueryTimeout(QueryError):
    """The engine interrupted a query that ran past its time limit."""

    error_code = "QueryTimeout"
