"""Values that cross the query layer: the query as the API received it and the compiled SQL
with its parameters (frozen dataclasses). The schema it runs against is
``ardoise.odsql.schema.Schema``."""

from __future__ import annotations

from dataclasses import dataclass, field

Where = str | tuple[str, ...] | None


@dataclass(frozen=True)
class RecordsQuery:
    """One call to ``/records`` or ``/exports``: every ODSQL parameter, unparsed.

    ``where`` may be one string or a tuple (repeated ``where=`` parameters are ANDed).
    ``refine``/``exclude`` are ``(field, value)`` pairs. ``limit``/``offset`` None means
    "not given" (defaults apply; see ``limits.check_window``). ``territoire`` is a
    ``(niveau, code)`` pair filtering on the link column of that level (``_academie``…).
    """

    select: str | None = None
    where: Where = None
    group_by: str | None = None
    order_by: str | None = None
    limit: int | None = None
    offset: int | None = None
    refine: tuple[tuple[str, str], ...] = ()
    exclude: tuple[tuple[str, str], ...] = ()
    lang: str | None = None
    timezone: str | None = None
    # ``territoire=niveau:code``: rows linked to that territory (hidden link columns).
    territoire: tuple[str, str] | None = None

    @property
    def where_clauses(self) -> tuple[str, ...]:
        if self.where is None:
            return ()
        clauses = (self.where,) if isinstance(self.where, str) else self.where
        return tuple(c for c in clauses if c.strip())


@dataclass(frozen=True)
class Column:
    """One output column: its API name and its ODS type (``null`` when unknown)."""

    name: str
    type: str


@dataclass(frozen=True)
class CompiledQuery:
    """DuckDB SQL with ``$name`` placeholders; ``params`` holds every literal value.

    ``count`` is the companion query giving ``total_count`` (rows, or groups).
    """

    sql: str
    params: dict[str, object] = field(default_factory=dict, hash=False)
    columns: tuple[Column, ...] = ()
    grouped: bool = False
    count: CompiledQuery | None = None
