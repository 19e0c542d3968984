"""Scalar ODSQL functions: date parts, ``date_format()``, ``now()``, text case and length,
``ifnull()``. Each builder's docstring is the function's documentation."""

from __future__ import annotations

from sqlglot import exp

from ardoise.odsql import ast, dates
from ardoise.odsql.arguments import number_arg, string_arg, typed_arg
from ardoise.odsql.typed import TEMPORAL, Builder, Resolver, Scope, Typed, fn


def local_time(r: Resolver, t: Typed) -> exp.Expr:
    """A date-time as wall-clock time in the query's ``timezone`` (stored values are UTC)."""
    if t.type != "datetime" or r.env.tz.key in ("UTC", "Etc/UTC"):
        return t.sql.copy()
    instant = exp.Cast(this=t.sql.copy(), to=exp.DataType.build("TIMESTAMPTZ"))
    return fn("timezone", r.params.add(r.env.tz.key), instant)


def date_part(part: str) -> Builder:
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


def text_function(name: str, result: str, doc: str) -> Builder:
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
