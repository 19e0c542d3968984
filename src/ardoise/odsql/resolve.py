"""Bind an ODSQL tree to a schema: names → columns, literals → typed parameters,
calls → the ``FUNCTIONS`` allow-list; build sqlglot expressions along the way.

The result of every node is a :class:`Typed`: a sqlglot expression, its ODS type and two
flags used for grouped queries (``aggregate``: contains an aggregate; ``free``: contains a
field that is neither inside an aggregate nor a ``group_by`` key).
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime

from sqlglot import exp

from ardoise.odsql import ast, dates
from ardoise.odsql.errors import OdsqlSyntaxError, UnknownField, UnknownFunction
from ardoise.odsql.functions import FUNCTIONS
from ardoise.odsql.text import folded, full_text, like_pattern, text_columns
from ardoise.odsql.typed import (
    GEO,
    LITERALS,
    NUMERIC,
    TEMPORAL,
    Env,
    Params,
    Scope,
    Typed,
    wrap,
)

_COMPARE: dict[str, type[exp.Binary]] = {
    "=": exp.EQ,
    "!=": exp.NEQ,
    "<": exp.LT,
    "<=": exp.LTE,
    ">": exp.GT,
    ">=": exp.GTE,
}
# The SQL type given to a NULL literal where a function expects one of these types.
_NULL_CASTS = {
    "double": "DOUBLE",
    "int": "BIGINT",
    "text": "VARCHAR",
    "datetime": "TIMESTAMP",
    "date": "DATE",
    "boolean": "BOOLEAN",
    "geo_point_2d": "STRUCT(lon DOUBLE, lat DOUBLE)",
}
_ARITH: dict[str, type[exp.Binary]] = {
    "+": exp.Add,
    "-": exp.Sub,
    "*": exp.Mul,
    "/": exp.Div,
    "%": exp.Mod,
}


class Resolver:
    def __init__(self, env: Env, params: Params) -> None:
        self.env = env
        self.params = params
        self._expanding: set[str] = set()

    # --- errors ------------------------------------------------------------------------

    def error(self, description: str, node: ast.Node, scope: Scope) -> OdsqlSyntaxError:
        return OdsqlSyntaxError(description, clause=scope.clause, col=node.pos + 1)

    # --- columns -----------------------------------------------------------------------

    def column(self, name: str) -> exp.Expr:
        return exp.column(name, table=self.env.schema.table)

    def field(self, node: ast.Field, scope: Scope) -> Typed:
        found = self.env.schema.lookup(node.name)
        alias = scope.aliases.get(node.name)
        if alias is not None and (scope.alias_first or found is None):
            return self._alias(node, alias, scope)
        if found is None:
            raise UnknownField(node.name, clause=scope.clause, col=node.pos + 1)
        return self.keyed(Typed(self.column(found[0]), found[1], free=True), scope)

    def _alias(self, node: ast.Field, alias: ast.Expr | Typed, scope: Scope) -> Typed:
        if isinstance(alias, Typed):
            return self.keyed(replace(alias, sql=alias.sql.copy()), scope)
        if node.name in self._expanding:
            raise self.error(f"Circular alias: {node.name}", node, scope)
        self._expanding.add(node.name)
        try:
            return self.expr(alias, scope)
        finally:
            self._expanding.discard(node.name)

    def keyed(self, t: Typed, scope: Scope) -> Typed:
        """Mark ``t`` as bound when it is one of the group keys."""
        if t.free and scope.group_keys and t.sql.sql("duckdb", identify=True) in scope.group_keys:
            return replace(t, free=False)
        return t

    # --- literals ------------------------------------------------------------------------

    def literal_value(self, node: ast.Expr, target: str | None, scope: Scope) -> tuple[object, str]:
        """The Python value of a literal, converted to ``target`` when given."""
        if isinstance(node, ast.Null):
            return None, target or "null"
        if isinstance(node, ast.Bool):
            value: object = node.value
            kind = "boolean"
        elif isinstance(node, ast.Number):
            value = node.value
            if isinstance(value, float) and not math.isfinite(value):
                raise self.error(f"Invalid number: '{node.text[:40]}'", node, scope)
            kind = "int" if isinstance(value, int) else "double"
        elif isinstance(node, ast.String):
            value, kind = node.value, "text"
        elif isinstance(node, ast.DateLit):
            parsed = dates.parse_temporal(node.text, self.env.tz)
            if parsed is None:
                raise self.error(f"Invalid date to parse '{node.text[:40]}'", node, scope)
            value = parsed.value
            kind = "datetime" if isinstance(value, datetime) else "date"
        else:
            raise self.error("A literal value is expected", node, scope)
        if target in (None, "null") or target == kind or (target == "double" and kind == "int"):
            return value, kind
        return self._convert(node, value, kind, target, scope), target

    def _convert(
        self, node: ast.Expr, value: object, kind: str, target: str, scope: Scope
    ) -> object:
        if target == "text":
            if isinstance(value, bool):
                return "true" if value else "false"
            if isinstance(value, date):
                return value.isoformat()
            return node.text if isinstance(node, ast.Number) else str(value)
        if target in NUMERIC and kind in ("text", "int", "double"):
            text = str(value).strip()
            try:
                number = float(text) if target == "double" else int(text)
            except ValueError:
                try:
                    number = float(text)
                except ValueError:
                    raise self.error(f"Invalid number: '{text[:40]}'", node, scope) from None
            return number
        if target in TEMPORAL and kind in ("text", "date", "datetime"):
            if not isinstance(value, date):
                parsed = dates.parse_temporal(str(value), self.env.tz)
                if parsed is None:
                    raise self.error(f"Invalid date to parse '{str(value)[:40]}'", node, scope)
                value = parsed.value
            if target == "datetime" and not isinstance(value, datetime):
                # A calendar date against an instant: midnight in the query's time zone.
                midnight = datetime(value.year, value.month, value.day, tzinfo=self.env.tz)
                return dates.to_utc_naive(midnight)
            return value
        if target == "boolean" and kind in ("text", "int"):
            text = str(value).strip().lower()
            if text in ("true", "1"):
                return True
            if text in ("false", "0"):
                return False
            raise self.error(f"Invalid boolean: '{text[:40]}'", node, scope)
        raise self.error(
            f"Cannot compare a value of type {kind} with a {target} expression", node, scope
        )

    def literal(self, node: ast.Expr, target: str | None, scope: Scope) -> Typed:
        value, kind = self.literal_value(node, target, scope)
        return Typed(self.params.add(value), kind, constant=True)

    def operand(self, node: ast.Expr, target: str | None, scope: Scope) -> Typed:
        """An operand compared with an expression of type ``target``."""
        if isinstance(node, LITERALS) and target not in (None, "null"):
            return self.literal(node, target, scope)
        return self.expr(node, scope)

    # --- expressions ---------------------------------------------------------------------

    def expr(self, node: ast.Expr, scope: Scope) -> Typed:
        if isinstance(node, LITERALS):
            return self.literal(node, None, scope)
        if isinstance(node, ast.Field):
            return self.field(node, scope)
        if isinstance(node, ast.Call):
            return self.call(node, scope)
        if isinstance(node, ast.Arith):
            return self.arith(node, scope)
        if isinstance(node, ast.Neg):
            inner = self.require(
                self.expr(node.operand, scope), NUMERIC, node, scope, "unary minus"
            )
            return self.keyed(replace(inner, sql=exp.Neg(this=wrap(inner.sql))), scope)
        if isinstance(node, ast.GeomLit):
            raise self.error("Geometry literals are only allowed in geo functions", node, scope)
        if isinstance(node, (ast.Star, ast.Distance, ast.NamedArg, ast.Include)):
            raise self.error("Unexpected argument here", node, scope)
        return self.condition(node, scope)

    def require(
        self, t: Typed, types: frozenset[str], node: ast.Node, scope: Scope, what: str
    ) -> Typed:
        """``t`` if its type is one of ``types``; a typed NULL for the ``null`` literal."""
        if t.type == "null":
            kind = next((k for k in _NULL_CASTS if k in types), "text")
            return replace(
                t, sql=exp.Cast(this=t.sql, to=exp.DataType.build(_NULL_CASTS[kind])), type=kind
            )
        if t.type not in types:
            wanted = " or ".join(sorted(types))
            raise self.error(f"{what} expects {wanted}, got {t.type}", node, scope)
        return t

    def arith(self, node: ast.Arith, scope: Scope) -> Typed:
        left = self.expr(node.left, scope)
        right = self.expr(node.right, scope)
        left = self.require(left, NUMERIC, node.left, scope, f"operator {node.op}")
        right = self.require(right, NUMERIC, node.right, scope, f"operator {node.op}")
        kind = "double" if "double" in (left.type, right.type) or node.op == "/" else "int"
        divisor = right.sql
        if node.op in ("/", "%"):  # ODSQL: division by zero gives null (never inf or an error)
            divisor = exp.Nullif(this=divisor, expression=exp.Literal.number(0))
        sql = _ARITH[node.op](this=wrap(left.sql), expression=wrap(divisor))
        return self.combine(sql, kind, scope, left, right)

    def combine(self, sql: exp.Expr, kind: str, scope: Scope, *parts: Typed) -> Typed:
        t = Typed(
            sql,
            kind,
            aggregate=any(p.aggregate for p in parts),
            free=any(p.free for p in parts),
            constant=all(p.constant for p in parts),
        )
        return self.keyed(t, scope)

    def call(self, node: ast.Call, scope: Scope) -> Typed:
        spec = FUNCTIONS.get(node.name)
        if spec is None:
            raise UnknownFunction(node.name, clause=scope.clause, col=node.pos + 1)
        spec.check(self, node, scope)
        return self.keyed(spec.build(self, node, scope), scope)

    # --- conditions ------------------------------------------------------------------------

    def condition(self, node: ast.Expr, scope: Scope) -> Typed:
        """A boolean expression; a bare string is a full-text search."""
        if isinstance(node, ast.String):
            return full_text(self, node, text_columns(self), scope, phrase=False)
        if isinstance(node, (ast.And, ast.Or)):
            parts = [self.condition(op, scope) for op in node.operands]
            connector = exp.And if isinstance(node, ast.And) else exp.Or
            sqls = [
                exp.Paren(this=p.sql) if isinstance(p.sql, exp.Connector) else p.sql for p in parts
            ]
            out = sqls[0]
            for part in sqls[1:]:
                out = connector(this=out, expression=part)
            return self.combine(out, "boolean", scope, *parts)
        if isinstance(node, ast.Not):
            inner = self.condition(node.operand, scope)
            return self.combine(exp.Not(this=exp.Paren(this=inner.sql)), "boolean", scope, inner)
        if isinstance(node, ast.Compare):
            return self.compare(node, scope)
        if isinstance(node, ast.InList):
            return self.in_list(node, scope)
        if isinstance(node, ast.Like):
            return self.like(node, scope)
        if isinstance(node, (ast.IsNull, ast.IsBool)):
            inner = self.expr(node.operand, scope)
            if isinstance(node, ast.IsNull):
                sql: exp.Expr = exp.Is(this=wrap(inner.sql), expression=exp.Null())
            else:
                inner = self.require(inner, frozenset({"boolean"}), node, scope, "IS TRUE/FALSE")
                sql = exp.Is(this=wrap(inner.sql), expression=exp.Boolean(this=node.value))
            return self.combine(negate(sql, node.negated), "boolean", scope, inner)
        t = self.expr(node, scope)
        if t.type != "boolean":
            raise self.error(f"A boolean expression is expected, got {t.type}", node, scope)
        return t

    def compare(self, node: ast.Compare, scope: Scope) -> Typed:
        if isinstance(node.left, LITERALS) and not isinstance(node.right, LITERALS):
            right = self.expr(node.right, scope)
            left = self.operand(node.left, right.type, scope)
        else:
            left = self.expr(node.left, scope)
            right = self.operand(node.right, left.type, scope)
        self.comparable(left, right, node, scope)
        sql = _COMPARE[node.op](this=wrap(left.sql), expression=wrap(right.sql))
        return self.combine(sql, "boolean", scope, left, right)

    def comparable(self, left: Typed, right: Typed, node: ast.Node, scope: Scope) -> None:
        kinds = {left.type, right.type} - {"null"}
        if len(kinds) <= 1 and not kinds & GEO:
            return
        if kinds <= NUMERIC or kinds <= TEMPORAL:
            return
        raise self.error(f"Cannot compare {left.type} with {right.type}", node, scope)

    def in_list(self, node: ast.InList, scope: Scope) -> Typed:
        left = self.expr(node.operand, scope)
        if left.type in GEO:
            raise self.error("IN does not apply to geo fields", node, scope)
        values = []
        for value in node.values:
            if not isinstance(value, LITERALS):
                raise self.error("IN (...) expects literal values", value, scope)
            values.append(self.literal(value, left.type, scope).sql)
        sql = exp.In(this=wrap(left.sql), expressions=values)
        return self.combine(negate(sql, node.negated), "boolean", scope, left)

    def like(self, node: ast.Like, scope: Scope) -> Typed:
        left = self.expr(node.operand, scope)
        if left.type in GEO:
            raise self.error("LIKE does not apply to geo fields", node, scope)
        if not isinstance(node.pattern, ast.String):
            raise self.error("LIKE expects a string pattern", node.pattern, scope)
        pattern = self.params.add(like_pattern(node.pattern.value))
        sql = exp.Escape(
            this=exp.Like(this=folded(left), expression=pattern), expression=self.params.add("\\")
        )
        return self.combine(negate(sql, node.negated), "boolean", scope, left)


def negate(sql: exp.Expr, negated: bool) -> exp.Expr:
    return exp.Not(this=exp.Paren(this=sql)) if negated else sql
