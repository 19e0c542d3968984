"""Grouping and ordering ODSQL functions: ``range()`` buckets (group_by) and ``random()``
(order_by)."""

from __future__ import annotations

import itertools

from sqlglot import exp

from ardoise.odsql import ast
from ardoise.odsql.arguments import number_arg
from ardoise.odsql.scalars import local_time
from ardoise.odsql.typed import NUMERIC, TEMPORAL, Resolver, Scope, Typed, fn, wrap

_DATE_UNITS = {
    "year": "year",
    "years": "year",
    "month": "month",
    "months": "month",
    "week": "week",
    "weeks": "week",
    "day": "day",
    "days": "day",
    "hour": "hour",
    "hours": "hour",
    "minute": "minute",
    "minutes": "minute",
    "second": "second",
    "seconds": "second",
}


def _label(r: Resolver, lower: exp.Expr, upper: exp.Expr) -> exp.Expr:
    """``'[' || lower || ', ' || upper || '['`` with every constant bound as a parameter."""
    text = exp.DataType.build("VARCHAR")
    out: exp.Expr = r.params.add("[")
    for part in (
        exp.Cast(this=lower, to=text),
        r.params.add(", "),
        exp.Cast(this=upper, to=text),
        r.params.add("["),
    ):
        out = exp.DPipe(this=out, expression=part, safe=True)
    return out


def build_range(r: Resolver, call: ast.Call, scope: Scope) -> Typed:
    """``range(field, 10)``: buckets of equal width, labelled ``[80, 90[``;
    ``range(field, *, 18, 30, *)``: static buckets (``*`` opens an end);
    ``range(date, 1 month)``: calendar buckets (year, month, week, day, hour, minute, second).
    """
    field_node = call.args[0]
    arg = r.expr(field_node, scope)
    rest = call.args[1:]
    if len(rest) == 1 and isinstance(rest[0], ast.Distance):
        quantity = rest[0]
        arg = r.require(arg, TEMPORAL, field_node, scope, "range() by calendar unit")
        unit = _DATE_UNITS.get(quantity.unit)
        if unit is None or quantity.number.value != 1:
            raise r.error("range() on dates takes one calendar unit, e.g. 1 month", quantity, scope)
        sql: exp.Expr = fn("date_trunc", r.params.add(unit), local_time(r, arg))
        if arg.type == "date":
            sql = exp.Cast(this=sql, to=exp.DataType.build("DATE"))
        return replace_order(r.combine(sql, arg.type, scope, arg), None)
    arg = r.require(arg, NUMERIC, field_node, scope, "range()")
    if len(rest) == 1:
        step = number_arg(r, rest[0], scope, "The range() step")
        if step <= 0:
            raise r.error("The range() step must be positive", rest[0], scope)
        lower: exp.Expr = exp.Mul(
            this=fn("floor", exp.Div(this=wrap(arg.sql), expression=r.params.add(step))),
            expression=r.params.add(step),
        )
        if isinstance(step, int):
            lower = exp.Cast(this=lower, to=exp.DataType.build("BIGINT"))
        upper = exp.Add(this=wrap(lower.copy()), expression=r.params.add(step))
        label = _label(r, lower, upper)  # null stays null: '[' || NULL is NULL
        return replace_order(r.combine(label, "text", scope, arg), fn("min", arg.sql.copy()))
    bounds: list[int | float | None] = []
    for node in rest:
        bounds.append(
            None if isinstance(node, ast.Star) else number_arg(r, node, scope, "A range() bound")
        )
    if None in bounds[1:-1] or any(
        a is not None and b is not None and a >= b for a, b in itertools.pairwise(bounds)
    ):
        raise r.error("range() bounds must increase, with '*' only at the ends", call, scope)
    ifs = []
    for low, high in itertools.pairwise(bounds):
        tests: list[exp.Expr] = []
        if low is not None:
            tests.append(exp.GTE(this=wrap(arg.sql.copy()), expression=r.params.add(low)))
        if high is not None:
            tests.append(exp.LT(this=wrap(arg.sql.copy()), expression=r.params.add(high)))
        cond = tests[0] if len(tests) == 1 else exp.And(this=tests[0], expression=tests[1])
        text = f"[{'*' if low is None else low}, {'*' if high is None else high}["
        ifs.append(exp.If(this=cond, true=r.params.add(text)))
    return replace_order(
        r.combine(exp.Case(ifs=ifs), "text", scope, arg), fn("min", arg.sql.copy())
    )


def replace_order(t: Typed, order: exp.Expr | None) -> Typed:
    """Sort range buckets by their smallest value, the null bucket last."""
    if order is not None:
        is_null = exp.Is(this=wrap(t.sql.copy()), expression=exp.Null())
        order = exp.Case(ifs=[exp.If(this=is_null, true=exp.Null())], default=order)
    return Typed(t.sql, t.type, t.aggregate, t.free, t.constant, order)


def build_random(r: Resolver, call: ast.Call, scope: Scope) -> Typed:
    """``random(seed)`` (order_by only): a pseudo-random order, stable for a given seed."""
    seed = number_arg(r, call.args[0], scope, "The random() seed") if call.args else 0
    # hash(text of row hash || seed): hashing the seed with the row as a last argument
    # only combines the two hashes, and orders for different seeds stay correlated.
    text = exp.DataType.build("VARCHAR")
    row = exp.Cast(this=fn("hash", *[e.copy() for e in scope.random_basis]), to=text)
    mixed = exp.DPipe(this=row, expression=exp.Cast(this=r.params.add(seed), to=text), safe=True)
    return Typed(fn("hash", mixed), "int")
