"""ODSQL abstract syntax tree: frozen dataclasses, compared by value, positions aside.

``pos``/``end`` are 0-based offsets in the clause text; they are excluded from
equality so that ``year(d)`` written in ``select`` and in ``group_by`` compare equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True, kw_only=True)
class Node:
    pos: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Expr(Node):
    """Base of every expression node."""


# --- literals -----------------------------------------------------------------


@dataclass(frozen=True)
class String(Expr):
    value: str


@dataclass(frozen=True)
class Number(Expr):
    text: str

    @property
    def value(self) -> int | float:
        if any(c in self.text for c in ".eE"):
            return float(self.text)
        return int(self.text)


@dataclass(frozen=True)
class Distance(Expr):
    """A number with a unit inside a call: ``5km`` in within_distance(), ``1 month`` in range()."""

    number: Number
    unit: str


@dataclass(frozen=True)
class DateLit(Expr):
    text: str


@dataclass(frozen=True)
class GeomLit(Expr):
    text: str


@dataclass(frozen=True)
class Bool(Expr):
    value: bool


@dataclass(frozen=True)
class Null(Expr):
    pass


# --- names --------------------------------------------------------------------


@dataclass(frozen=True)
class Field(Expr):
    name: str
    quoted: bool = False


@dataclass(frozen=True)
class Star(Expr):
    pass


# --- operators ----------------------------------------------------------------


@dataclass(frozen=True)
class Neg(Expr):
    operand: Expr


@dataclass(frozen=True)
class Not(Expr):
    operand: Expr


@dataclass(frozen=True)
class And(Expr):
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Or(Expr):
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Compare(Expr):
    op: str  # one of = != < <= > >=  (<> is normalised to !=, : to =)
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Arith(Expr):
    op: str  # one of + - * / %
    left: Expr
    right: Expr


@dataclass(frozen=True)
class InList(Expr):
    operand: Expr
    values: tuple[Expr, ...]
    negated: bool = False


@dataclass(frozen=True)
class Like(Expr):
    operand: Expr
    pattern: Expr
    negated: bool = False


@dataclass(frozen=True)
class IsNull(Expr):
    operand: Expr
    negated: bool = False


@dataclass(frozen=True)
class IsBool(Expr):
    operand: Expr
    value: bool
    negated: bool = False


@dataclass(frozen=True)
class NamedArg(Expr):
    """``years=-1`` inside ``now(...)``."""

    name: str
    value: Expr


@dataclass(frozen=True)
class Call(Expr):
    name: str  # lower-cased
    args: tuple[Expr, ...]
    distinct: bool = False


# --- clause items ---------------------------------------------------------------


@dataclass(frozen=True)
class Include(Expr):
    """``include(pat*)`` / ``exclude(pat*)`` in ``select``."""

    patterns: tuple[str, ...]
    exclude: bool = False


@dataclass(frozen=True)
class SelectItem(Node):
    expr: Expr
    alias: str | None
    text: str  # the item as written, used as the column name without alias


@dataclass(frozen=True)
class GroupItem(Node):
    expr: Expr
    alias: str | None
    text: str


@dataclass(frozen=True)
class OrderItem(Node):
    expr: Expr
    descending: bool
    text: str


def children(node: Node) -> Iterator[Node]:
    """Direct sub-nodes, for iterative walks (size and depth caps)."""
    if isinstance(node, (Neg, Not, IsNull, IsBool)):
        yield node.operand
    elif isinstance(node, (And, Or)):
        yield from node.operands
    elif isinstance(node, (Compare, Arith)):
        yield node.left
        yield node.right
    elif isinstance(node, InList):
        yield node.operand
        yield from node.values
    elif isinstance(node, Like):
        yield node.operand
        yield node.pattern
    elif isinstance(node, Call):
        yield from node.args
    elif isinstance(node, NamedArg):
        yield node.value
    elif isinstance(node, Distance):
        yield node.number
    elif isinstance(node, (SelectItem, GroupItem, OrderItem)):
        yield node.expr


def measure(nodes: tuple[Node, ...]) -> tuple[int, int]:
    """(node count, maximum depth) of a forest, without recursion."""
    count, depth = 0, 0
    stack: list[tuple[Node, int]] = [(n, 1) for n in nodes]
    while stack:
        node, d = stack.pop()
        count += 1
        depth = max(depth, d)
        stack.extend((c, d + 1) for c in children(node))
    return count, depth
