"""ODSQL errors: everything a bad ``select``/``where``/… or a bad limit can raise.

Our query exception hierarchy::

    * ArdoiseError
      x QueryError                     error_code "ODSQLError" unless stated
        x OdsqlSyntaxError             description, clause, col, highlight
          x UnknownField
          x UnknownFunction
          x UnsupportedFeature         valid ODSQL that Ardoise does not implement
        x LimitExceeded                caps on input size, AST size, IN lists, limit/offset
        x QueryTimeout                 the engine interrupted a query (ardoise.query.errors)

Messages copy the portal's shape, which third-party clients match against::

    ODSQL query is malformed: Unknown field: acadmie (column 1).
    Clause(s) containing the error(s): where.

No HTTP here: ``web`` maps ``QueryError`` to 400 in its single table.
"""

from __future__ import annotations

from ardoise.errors import ArdoiseError

CLAUSES: tuple[str, ...] = ("select", "where", "group_by", "order_by", "refine", "exclude")


def odsql_message(description: str, clause: str, col: int | None) -> str:
    """The portal's message text, with the 1-based column when it is known."""
    where = f" (column {col})" if col is not None else ""
    return (
        f"ODSQL query is malformed: {description}{where}. "
        f"Clause(s) containing the error(s): {clause}."
    )


class QueryError(ArdoiseError):
    """Base of every error a query can raise; ``message`` is the API message."""

    error_code: str = "ODSQLError"

    def __init__(self, message: str, *, clause: str | None = None, col: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.clause = clause
        self.col = col

    def body(self) -> dict[str, object]:
        """The canonical Explore error body (plus an optional position)."""
        out: dict[str, object] = {"error_code": self.error_code, "message": self.message}
        if self.clause is not None and self.col is not None:
            out["position"] = {"clause": self.clause, "col": self.col}
        return out


class OdsqlSyntaxError(QueryError):
    """Malformed ODSQL. ``col`` is 1-based; ``highlight`` is the offending text."""

    def __init__(
        self, description: str, *, clause: str, col: int | None, highlight: str = ""
    ) -> None:
        super().__init__(odsql_message(description, clause, col), clause=clause, col=col)
        self.description = description
        self.highlight = highlight


class UnknownField(OdsqlSyntaxError):
    def __init__(self, name: str, *, clause: str, col: int | None) -> None:
        shown = name if len(name) <= 100 else name[:100] + "…"
        super().__init__(f"Unknown field: {shown}", clause=clause, col=col, highlight=shown)
        self.name = name


class UnknownFunction(OdsqlSyntaxError):
    def __init__(self, name: str, *, clause: str, col: int | None) -> None:
        shown = name if len(name) <= 100 else name[:100] + "…"
        super().__init__(f"Unknown function: {shown}()", clause=clause, col=col, highlight=shown)
        self.name = name


class UnsupportedFeature(OdsqlSyntaxError):
    """Valid ODSQL that Ardoise does not implement (message says "non supporté")."""


class LimitExceeded(QueryError):
    """A cap was exceeded: input length, AST size, IN list, ``limit``/``offset``."""

    def __init__(
        self,
        message: str,
        *,
        error_code: str = "ODSQLError",
        clause: str | None = None,
        col: int | None = None,
    ) -> None:
        super().__init__(message, clause=clause, col=col)
        self.error_code = error_code


class InvalidParameter(QueryError):
    """A REST parameter that is not ODSQL has a bad value (``limit=abc``, ``timezone``)."""

    error_code = "InvalidRESTParameterError"
