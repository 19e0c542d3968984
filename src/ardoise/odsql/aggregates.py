"""Aggregate ODSQL functions: ``count()``, ``avg()``, ``sum()``, ``min()``, ``max()``,
``median()``, ``percentile()`` (``envelope()`` is in :mod:`ardoise.odsql.geo`)."""

from __future__ import annotations

from sqlglot import exp

from ardoise.odsql import ast
from ardoise.odsql.arguments import number_arg
from ardoise.odsql.typed import NUMERIC, Builder, Resolver, Scope, Typed, fn


def _aggregate_arg(
    r: Resolver, call: ast.Call, scope: Scope, types: frozenset[str] | None
) -> Typed:
    arg = r.expr(call.args[0], scope)
    if arg.aggregate:
        raise r.error(f"Aggregate functions cannot be nested in {call.name}()", call, scope)
    if types is not None and arg.type not in types and arg.type != "null":
        raise r.error("StatAggregation only supports numeric or date expression", call, scope)
    return r.require(arg, types, call, scope, call.name) if types is not None else arg


def _aggregated(sql: exp.Expr, kind: str) -> Typed:
    return Typed(sql, kind, aggregate=True)


def build_count(r: Resolver, call: ast.Call, scope: Scope) -> Typed:
    """``count(*)``, ``count(field)`` (non-null values), ``count(distinct field)``."""
    if not call.args or isinstance(call.args[0], ast.Star):
        if call.distinct:
            raise r.error("count(distinct *) is not allowed", call, scope)
        return _aggregated(exp.Count(this=exp.Star()), "int")
    arg = _aggregate_arg(r, call, scope, None)
    inner = exp.Distinct(expressions=[arg.sql]) if call.distinct else arg.sql
    return _aggregated(exp.Count(this=inner), "int")


def statistic(name: str, types: frozenset[str], doc: str, keep_type: bool) -> Builder:
    def build(r: Resolver, call: ast.Call, scope: Scope) -> Typed:
        arg = _aggregate_arg(r, call, scope, types)
        kind = arg.type if keep_type else "double"
        return _aggregated(fn(name, arg.sql), kind)

    build.__doc__ = doc
    return build


def build_percentile(r: Resolver, call: ast.Call, scope: Scope) -> Typed:
    """``percentile(field, 95)``: the continuous percentile (0 < p ≤ 100) of a number."""
    arg = _aggregate_arg(r, call, scope, NUMERIC)
    p = number_arg(r, call.args[1], scope, "The percentile")
    if not 0 < p <= 100:
        raise r.error("The percentile must be between 0 (excluded) and 100", call.args[1], scope)
    return _aggregated(fn("quantile_cont", arg.sql, r.params.add(float(p) / 100)), "double")
