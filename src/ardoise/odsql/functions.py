"""The ODSQL function allow-list: ``FUNCTIONS = {name: FunctionSpec}``.

A name that is not a key of ``FUNCTIONS`` is an ``UnknownFunction`` error, never a
pass-through. Each spec says where the function may appear, how many arguments it takes and
how to build its SQL; the builder's docstring is the function's documentation.
Known ODSQL functions that Ardoise does not implement are listed too, and raise
``UnsupportedFeature`` with a clear "non supporté" message.
"""

from __future__ import annotations

import inspect
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlglot import exp

from ardoise.odsql import ast, dates, geo
from ardoise.odsql.errors import UnsupportedFeature
from ardoise.odsql.text import full_text, text_columns
from ardoise.odsql.typed import NUMERIC, TEMPORAL, Scope, Typed, fn, wrap

if TYPE_CHECKING:
    from ardoise.odsql.resolve import Resolver

Builder = Callable[["Resolver", ast.Call, Scope], Typed]

VALUE_CLAUSES = frozenset({"select", "where", "group_by", "order_by"})
AGGREGATE_CLAUSES = frozenset({"select", "order_by"})
FILTER_CLAUSES = frozenset({"where"})


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    build: Builder
    kind: str  # scalar, aggregate, predicate, grouping, ordering, unsupported
    clauses: frozenset[str]
    min_args: int
    max_args: int | None
    named: bool = False  # accepts ``name=value`` arguments (now())

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.build) or ""

    def check(self, r: Resolver, node: ast.Call, scope: Scope) -> None:
        where = f"the {scope.clause} clause"
        if self.kind == "unsupported":
            self.build(r, node, scope)
        if scope.clause not in self.clauses:
            raise r.error(f"Function {self.name}() is not allowed in {where}", node, scope)
        if self.kind == "aggregate" and not scope.aggregates:
            raise r.error(
                f"Aggregate function {self.name}() is not allowed in {where}", node, scope
            )
        n = len(node.args)
        if n < self.min_args or (self.max_args is not None and n > self.max_args):
            expected = (
                str(self.min_args)
                if self.min_args == self.max_args
                else f"{self.min_args} to {self.max_args}"
                if self.max_args is not None
                else f"at least {self.min_args}"
            )
            raise r.error(
                f"Function {self.name}() expects {expected} argument(s), got {n}", node, scope
            )
        if node.distinct and self.name != "count":
            raise r.error(f"DISTINCT is only allowed in count(), not in {self.name}()", node, scope)
        for arg in node.args:
            if isinstance(arg, ast.NamedArg) and not self.named:
                raise r.error(f"Named arguments are not allowed in {self.name}()", arg, scope)
            if isinstance(arg, ast.Star) and self.name not in (
                "count",
                "search",
                "suggest",
                "startswith",
                "range",
            ):
                raise r.error(f"'*' is not allowed in {self.name}()", arg, scope)


# --- argument helpers -----------------------------------------------------------------------


def number_arg(r: Resolver, node: ast.Expr, scope: Scope, what: str) -> int | float:
    if not isinstance(node, ast.Number) or not math.isfinite(node.value):
        raise r.error(f"{what} must be a number", node, scope)
    return node.value


def string_arg(r: Resolver, node: ast.Expr, scope: Scope, what: str) -> str:
    if not isinstance(node, ast.String):
        raise r.error(f"{what} must be a string literal", node, scope)
    return node.value


def typed_arg(r: Resolver, node: ast.Expr, scope: Scope, types: frozenset[str], what: str) -> Typed:
    return r.require(r.expr(node, scope), types, node, scope, what)


# --- scalar functions -------------------------------------------------------------------------


def local_time(r: Resolver, t: Typed) -> exp.Expr:
    """A date-time as wall-clock time in the query's ``timezone`` (stored values are UTC)."""
    if t.type != "datetime" or r.env.tz.key in ("UTC", "Etc/UTC"):
        return t.sql.copy()
    instant = exp.Cast(this=t.sql.copy(), to=exp.DataType.build("TIMESTAMPTZ"))
    return fn("timezone", r.params.add(r.env.tz.key), instant)


def _date_part(part: str) -> Builder:
    def build(r: Resolver, call: ast.Call, scope: Scope) -> Typed:
        arg = typed_arg(r, call.args[0], scope, TEMPORAL, f"{call.name}()")
        return r.combine(fn(part, local_time(r, arg)), "int", scope, arg)

    build.__doc__ = (
        f"``{part}(date)``: the {part} of a date or date-time (in the query's "
        "time zone), as an integer (v2.1)."
    )
    return build


def build_date_format(r: Resolver, call: ast.Call, scope: Scope) -> Typed:
    """``date_format(date, 'dd/MM/yyyy')``: format a date with Joda-style symbols.

    Symbols: ``yyyy yy xxxx w ww e E EEE EEEE D DDD M MM MMM MMMM d dd H HH m mm s ss``;
    text between single quotes is copied. Month and day names follow ``lang`` (fr, en);
    date-times are shown in the query's ``timezone``.
    """
    arg = typed_arg(r, call.args[0], scope, TEMPORAL, "date_format()")
    pattern = string_arg(r, call.args[1], scope, "The date_format() pattern")
    pieces = dates.translate_format(pattern)
    if isinstance(pieces, str):
        raise r.error(f"Unsupported date_format symbol '{pieces}'", call.args[1], scope)
    if not pieces:
        raise r.error("Empty date_format pattern", call.args[1], scope)
    parts: list[exp.Expr] = []
    value = local_time(r, arg)
    for piece in pieces:
        if piece.kind == "strftime":
            parts.append(fn("strftime", value.copy(), r.params.add(piece.value)))
        else:
            index = fn("month" if piece.kind.startswith("month") else "isodow", value.copy())
            parts.append(
                fn("list_extract", r.params.add(list(dates.names(piece.kind, r.env.lang))), index)
            )
    sql = parts[0]
    for part in parts[1:]:
        sql = exp.DPipe(this=sql, expression=part, safe=True)
    return r.combine(sql, "text", scope, arg)


def build_now(r: Resolver, call: ast.Call, scope: Scope) -> Typed:
    """``now()``, ``now(days=-7)``, ``now(year=2020, month=1, day=1)``: the current instant.

    Singular names set a part (year, month, day, hour, minute, second, microsecond); plural
    names add an offset (years, months, weeks, days, hours, minutes, seconds).
    """
    shifts: dict[str, int | float] = {}
    for arg in call.args:
        if not isinstance(arg, ast.NamedArg):
            raise r.error("now() only takes named arguments, e.g. now(days=-7)", arg, scope)
        if arg.name not in dates.NOW_ABSOLUTE + dates.NOW_RELATIVE:
            raise r.error(f"Unknown now() argument '{arg.name}'", arg, scope)
        value = number_arg(r, arg.value, scope, f"now({arg.name}=…)")
        if abs(value) > 100_000:
            raise r.error(f"now({arg.name}=…) is out of range", arg, scope)
        shifts[arg.name] = value
    try:
        instant = dates.shifted_now(r.env.now, r.env.tz, shifts)
    except (ValueError, OverflowError):
        raise r.error("now() arguments give an invalid date", call, scope) from None
    return Typed(r.params.add(instant), "datetime", constant=True)


def _text_function(name: str, result: str, doc: str) -> Builder:
    def build(r: Resolver, call: ast.Call, scope: Scope) -> Typed:
        arg = typed_arg(r, call.args[0], scope, frozenset({"text"}), f"{call.name}()")
        return r.combine(fn(name, arg.sql), result, scope, arg)

    build.__doc__ = doc
    return build


def build_ifnull(r: Resolver, call: ast.Call, scope: Scope) -> Typed:
    """``ifnull(expr, default)``: ``default`` where ``expr`` is null."""
    first = r.expr(call.args[0], scope)
    second = r.operand(call.args[1], first.type, scope)
    r.comparable(first, second, call, scope)
    kind = first.type if first.type != "null" else second.type
    return r.combine(
        exp.Coalesce(this=first.sql, expressions=[second.sql]), kind, scope, first, second
    )


# --- aggregates ------------------------------------------------------------------------------


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


def _stat(name: str, types: frozenset[str], doc: str, keep_type: bool) -> Builder:
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


# --- grouping and ordering ------------------------------------------------------------------------

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


# --- text predicates ---------------------------------------------------------------------------


def _search_columns(r: Resolver, call: ast.Call, scope: Scope) -> tuple[list[Typed], ast.String]:
    *targets, text = call.args
    if not isinstance(text, ast.String):
        raise r.error(f"The last argument of {call.name}() must be a string", text, scope)
    if not targets or any(isinstance(t, ast.Star) for t in targets):
        return text_columns(r), text
    columns = []
    for target in targets:
        if not isinstance(target, ast.Field):
            raise r.error(f"{call.name}() searches fields or '*'", target, scope)
        columns.append(
            typed_arg(
                r,
                target,
                scope,
                frozenset({"text", "int", "double", "date", "datetime", "boolean"}),
                call.name,
            )
        )
    return columns, text


def build_search(r: Resolver, call: ast.Call, scope: Scope) -> Typed:
    """``search(field|*, "text")``: every word occurs in the field(s), ignoring case and accents.

    Ardoise matches substrings (so the last word also matches as a prefix); the portal's
    fuzzy (Levenshtein) matching is not reproduced.
    """
    columns, text = _search_columns(r, call, scope)
    return full_text(r, text, columns, scope, phrase=False)


def build_suggest(r: Resolver, call: ast.Call, scope: Scope) -> Typed:
    """``suggest(field|*, "text")``: the whole text occurs in the field(s) (partial words)."""
    columns, text = _search_columns(r, call, scope)
    return full_text(r, text, columns, scope, phrase=True)


def build_startswith(r: Resolver, call: ast.Call, scope: Scope) -> Typed:
    """``startswith(field|*, "text")``: the value starts with ``text`` (case-sensitive)."""
    columns, text = _search_columns(r, call, scope)
    prefix = r.params.add(text.value)
    tests = [
        fn(
            "starts_with",
            c.sql if c.type == "text" else exp.Cast(this=c.sql, to=exp.DataType.build("VARCHAR")),
            prefix.copy(),
        )
        for c in columns
    ]
    sql = tests[0]
    for test in tests[1:]:
        sql = exp.Or(this=sql, expression=test)
    return Typed(exp.Paren(this=sql) if len(tests) > 1 else sql, "boolean", free=True)


def _unsupported(reason: str) -> Builder:
    def build(r: Resolver, call: ast.Call, scope: Scope) -> Typed:
        raise UnsupportedFeature(
            f"{call.name}() : non supporté ({reason})",
            clause=scope.clause,
            col=call.pos + 1,
            highlight=call.name,
        )

    build.__doc__ = f"Not supported by Ardoise: {reason}."
    return build


def _spec(
    name: str,
    build: Builder,
    kind: str,
    clauses: frozenset[str],
    lo: int,
    hi: int | None,
    named: bool = False,
) -> tuple[str, FunctionSpec]:
    return name, FunctionSpec(name, build, kind, clauses, lo, hi, named)


_NUM_OR_DATE = NUMERIC | TEMPORAL

FUNCTIONS: dict[str, FunctionSpec] = dict(
    [
        # scalar
        *(
            _spec(p, _date_part(p), "scalar", VALUE_CLAUSES, 1, 1)
            for p in ("year", "quarter", "month", "day", "hour", "minute", "second")
        ),
        _spec("date_format", build_date_format, "scalar", VALUE_CLAUSES, 2, 2),
        _spec("now", build_now, "scalar", VALUE_CLAUSES, 0, None, named=True),
        _spec(
            "lower",
            _text_function("lower", "text", "``lower(text)``: lower-case text."),
            "scalar",
            VALUE_CLAUSES,
            1,
            1,
        ),
        _spec(
            "upper",
            _text_function("upper", "text", "``upper(text)``: upper-case text."),
            "scalar",
            VALUE_CLAUSES,
            1,
            1,
        ),
        _spec(
            "length",
            _text_function("length", "int", "``length(text)``: number of characters."),
            "scalar",
            VALUE_CLAUSES,
            1,
            1,
        ),
        _spec("ifnull", build_ifnull, "scalar", VALUE_CLAUSES, 2, 2),
        _spec(
            "distance",
            geo.build_distance,
            "scalar",
            frozenset({"select", "where", "order_by"}),
            2,
            2,
        ),
        # aggregates
        _spec("count", build_count, "aggregate", AGGREGATE_CLAUSES, 0, 1),
        _spec(
            "avg",
            _stat("avg", NUMERIC, "``avg(number)``: the mean.", False),
            "aggregate",
            AGGREGATE_CLAUSES,
            1,
            1,
        ),
        _spec(
            "sum",
            _stat("sum", NUMERIC, "``sum(number)``: the total.", True),
            "aggregate",
            AGGREGATE_CLAUSES,
            1,
            1,
        ),
        _spec(
            "min",
            _stat("min", _NUM_OR_DATE, "``min(number|date)``: the smallest value.", True),
            "aggregate",
            AGGREGATE_CLAUSES,
            1,
            1,
        ),
        _spec(
            "max",
            _stat("max", _NUM_OR_DATE, "``max(number|date)``: the largest value.", True),
            "aggregate",
            AGGREGATE_CLAUSES,
            1,
            1,
        ),
        _spec(
            "median",
            _stat("median", NUMERIC, "``median(number)``: the median.", False),
            "aggregate",
            AGGREGATE_CLAUSES,
            1,
            1,
        ),
        _spec("percentile", build_percentile, "aggregate", AGGREGATE_CLAUSES, 2, 2),
        _spec("envelope", geo.build_envelope, "aggregate", AGGREGATE_CLAUSES, 1, 1),
        _spec("bbox", geo.build_envelope, "aggregate", AGGREGATE_CLAUSES, 1, 1),
        # predicates
        _spec("search", build_search, "predicate", FILTER_CLAUSES, 1, None),
        _spec("suggest", build_suggest, "predicate", FILTER_CLAUSES, 1, None),
        _spec("startswith", build_startswith, "predicate", FILTER_CLAUSES, 2, None),
        _spec("within_distance", geo.build_within_distance, "predicate", FILTER_CLAUSES, 3, 3),
        _spec("in_bbox", geo.build_in_bbox, "predicate", FILTER_CLAUSES, 5, 5),
        _spec("intersects", geo.shape_predicate("intersects"), "predicate", FILTER_CLAUSES, 2, 2),
        _spec("within", geo.shape_predicate("within"), "predicate", FILTER_CLAUSES, 2, 2),
        _spec("disjoint", geo.shape_predicate("disjoint"), "predicate", FILTER_CLAUSES, 2, 2),
        # grouping and ordering
        _spec("range", build_range, "grouping", frozenset({"group_by"}), 2, None),
        _spec("random", build_random, "ordering", frozenset({"order_by"}), 0, 1),
        # known, not implemented
        _spec(
            "geo_cluster",
            _unsupported("regroupement géographique"),
            "unsupported",
            VALUE_CLAUSES,
            0,
            None,
        ),
        _spec(
            "vector_similarity",
            _unsupported("recherche sémantique"),
            "unsupported",
            VALUE_CLAUSES,
            0,
            None,
        ),
        _spec(
            "vector_similarity_threshold",
            _unsupported("recherche sémantique"),
            "unsupported",
            VALUE_CLAUSES,
            0,
            None,
        ),
        _spec(
            "json_format", _unsupported("pas de champ JSON"), "unsupported", VALUE_CLAUSES, 0, None
        ),
    ]
)
