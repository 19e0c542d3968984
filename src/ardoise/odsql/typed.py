"""Typed values shared by the resolver and the function builders, and what a builder may
ask of the resolver.

A :class:`Typed` is a sqlglot expression with its ODS type and two flags used for grouped
queries: ``aggregate`` (contains an aggregate call) and ``free`` (contains a field that is
neither inside an aggregate nor a ``group_by`` key). A :data:`Builder` turns one call of
the ``FUNCTIONS`` table into a :class:`Typed`, through the :class:`Resolver` protocol
(implemented by ``ardoise.odsql.resolve.Resolver``), so that no builder imports the resolver.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlglot import exp

from ardoise.odsql import ast
from ardoise.odsql.errors import OdsqlSyntaxError
from ardoise.odsql.schema import Schema

NUMERIC = frozenset({"int", "double"})
TEMPORAL = frozenset({"date", "datetime"})
GEO = frozenset({"geo_point_2d", "geo_shape"})
LITERALS = (ast.String, ast.Number, ast.DateLit, ast.Bool, ast.Null)
_ATOMIC = (
    exp.Column,
    exp.Placeholder,
    exp.Paren,
    exp.Func,
    exp.Dot,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Star,
    exp.Array,
)


def wrap(e: exp.Expr) -> exp.Expr:
    """Parenthesise anything that is not atomic: sqlglot does not add precedence parens."""
    return e if isinstance(e, _ATOMIC) else exp.Paren(this=e)


def fn(name: str, *args: exp.Expr) -> exp.Expr:
    """A DuckDB function call by name (names are constants of our code, never input)."""
    return exp.Anonymous(this=name, expressions=list(args))


@dataclass(frozen=True)
class Typed:
    sql: exp.Expr
    type: str
    aggregate: bool = False
    free: bool = False
    constant: bool = False
    order: exp.Expr | None = None  # sort key when this is a group key (range labels)


class Params:
    """Bound parameters ``$p0, $p1…``; equal scalar values share one placeholder."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}
        self._index: dict[tuple[type, object], str] = {}

    def add(self, value: object) -> exp.Placeholder:
        # Equal values share a name, so that equal expressions render to equal SQL
        # (how a select item is recognised as a group_by key).
        hashable = value is None or isinstance(value, str | int | float | bool | date)
        key = (type(value), value if hashable else repr(value))
        if key not in self._index:
            self._index[key] = f"p{len(self.values)}"
            self.values[self._index[key]] = value
        return exp.Placeholder(this=self._index[key])


@dataclass(frozen=True)
class Env:
    schema: Schema
    tz: ZoneInfo
    lang: str
    now: datetime


@dataclass(frozen=True)
class Scope:
    clause: str
    aggregates: bool = False
    # Alias name → its tree (compiled lazily in this scope) or an already compiled value.
    aliases: Mapping[str, ast.Expr | Typed] = field(default_factory=dict)
    alias_first: bool = False
    group_keys: frozenset[str] = frozenset()
    random_basis: tuple[exp.Expr, ...] = ()


class Resolver(Protocol):
    """The members of ``ardoise.odsql.resolve.Resolver`` that function builders use."""

    env: Env
    params: Params

    def error(self, description: str, node: ast.Node, scope: Scope) -> OdsqlSyntaxError:
        """The syntax error to raise at ``node``."""
        ...

    def column(self, name: str) -> exp.Expr:
        """The qualified column of the schema's table."""
        ...

    def expr(self, node: ast.Expr, scope: Scope) -> Typed:
        """Resolve any expression."""
        ...

    def operand(self, node: ast.Expr, target: str | None, scope: Scope) -> Typed:
        """An operand compared with an expression of type ``target``."""
        ...

    def require(
        self, t: Typed, types: frozenset[str], node: ast.Node, scope: Scope, what: str
    ) -> Typed:
        """``t`` if its type is one of ``types``; a typed NULL for the ``null`` literal."""
        ...

    def combine(self, sql: exp.Expr, kind: str, scope: Scope, *parts: Typed) -> Typed:
        """A value of type ``kind`` computed from ``parts`` (their flags combined)."""
        ...

    def comparable(self, left: Typed, right: Typed, node: ast.Node, scope: Scope) -> None:
        """Raise unless ``left`` and ``right`` can be compared."""
        ...


Builder = Callable[[Resolver, ast.Call, Scope], Typed]
