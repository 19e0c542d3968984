"""Values that cross the query layer: the query as the API received it, the schema it runs
against, and the compiled SQL with its parameters (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ardoise.catalog.model import FIELD_TYPES, FieldType

if TYPE_CHECKING:
    from ardoise.catalog.model import Dataset


@dataclass(frozen=True)
class Schema:
    """The single table a query may read, and its typed fields."""

    table: str
    fields: tuple[tuple[str, FieldType], ...]

    def __post_init__(self) -> None:
        for name, kind in self.fields:
            if kind not in FIELD_TYPES:
                raise ValueError(f"unknown field type {kind!r} for {name!r}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.fields)

    def lookup(self, name: str) -> tuple[str, FieldType] | None:
        """Exact match first, then a unique case-insensitive match."""
        for pair in self.fields:
            if pair[0] == name:
                return pair
        folded = [pair for pair in self.fields if pair[0].lower() == name.lower()]
        return folded[0] if len(folded) == 1 else None

    def of_type(self, *types: str) -> tuple[str, ...]:
        return tuple(name for name, kind in self.fields if kind in types)

    @classmethod
    def from_dataset(cls, dataset: Dataset, table: str | None = None) -> Schema:
        return cls(table or dataset.id, tuple((f.name, f.type) for f in dataset.fields))


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
