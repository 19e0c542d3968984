"""What sqlglot's DuckDB → Spark transpilation misses for the SQL Ardoise compiles, and
how ``make bench-spark`` fills it: named rewrites of the sqlglot tree, applied before
the Spark SQL is written, each reported per case (``rewrites``) and counted in the
summary, so that a reader sees which cases run as sqlglot writes them and which needed
a rule. Each rule keeps DuckDB's meaning; none looks at the data or the expected rows.

- ``length_of_list``: DuckDB's ``LENGTH`` takes a string or a list; sqlglot writes
  Spark's ``LENGTH``, which takes strings only. A ``LENGTH`` over a list expression
  (``LIST_FILTER``, a list literal) becomes ``SIZE``.
- ``list_extract``: ``LIST_EXTRACT(list, i)`` (1-based, NULL past the end) is left as an
  unknown function; Spark's ``ELEMENT_AT`` has the same meaning (without ANSI mode).
- ``percentile_cont``: DuckDB's ``QUANTILE_CONT(x, p)`` comes out as
  ``PERCENTILE_CONT(x, p)``, which Spark only takes as ``WITHIN GROUP``; Spark's
  ``PERCENTILE(x, p)`` is the same linear interpolation.
- ``isodow``: ``ISODOW(x)`` (Monday 1 … Sunday 7) comes out as
  ``(DAYOFWEEK(x) % 7) + 1``, which is off: Spark's ``DAYOFWEEK`` counts Sunday 1 …
  Saturday 7, so a Saturday gives 1 (Monday). ``WEEKDAY(x) + 1`` (Spark's ``WEEKDAY``
  counts Monday 0 … Sunday 6) is ISODOW.
- ``timezone``: ``TIMEZONE(zone, instant)`` (the wall-clock time of an instant in a
  zone) is left as an unknown function; Spark's ``FROM_UTC_TIMESTAMP(instant, zone)`` is
  that, the session being in UTC.
- ``strftime``: sqlglot turns a ``STRFTIME`` pattern into a Spark ``DATE_FORMAT``
  pattern without quoting its literal text (``'le %d'`` becomes ``'le dd'``, where Spark
  reads ``l`` and ``e`` as pattern letters) and keeps ISO week codes (``%V``, ``%u``,
  ``%G``) that Spark 3+ refuses in ``DATE_FORMAT``. The pattern is rewritten piece by
  piece: quoted text, Spark pattern letters, and ``WEEKOFYEAR``/``WEEKDAY``/
  ``EXTRACT(YEAROFWEEK …)`` for the ISO codes.

``STRIP_ACCENTS`` has no Spark built-in at all: ``bench/spark_run.py`` registers it as a
Spark SQL function (a Python UDF, NFD decomposition without combining marks, DuckDB's
rule) and the cases calling it are reported (``udf``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

# strftime code (DuckDB, as ardoise.odsql.dates writes them) → Spark DATE_FORMAT letters
_LETTERS = {
    "Y": "yyyy",
    "y": "yy",
    "m": "MM",
    "-m": "M",
    "d": "dd",
    "-d": "d",
    "H": "HH",
    "-H": "H",
    "M": "mm",
    "-M": "m",
    "S": "ss",
    "-S": "s",
    "j": "DDD",
    "-j": "D",
}
# ISO week codes, which Spark's DATE_FORMAT refuses: an expression of {x}, as a string
_ISO = {
    "V": "LPAD(CAST(WEEKOFYEAR({x}) AS STRING), 2, '0')",
    "u": "CAST(WEEKDAY({x}) + 1 AS STRING)",
    "G": "CAST(EXTRACT(YEAROFWEEK FROM {x}) AS STRING)",
}
_CODE = re.compile(r"%(-?[A-Za-z%])")


def spark_pattern_pieces(pattern: str) -> list[tuple[str, str]]:
    """A strftime pattern as ``("format", spark letters)``, ``("text", literal)`` and
    ``("iso", code)`` pieces; raises ``ValueError`` on a code it does not know.

    >>> spark_pattern_pieces("le %d à %Hh%M")
    [('text', 'le '), ('format', 'dd'), ('text', ' à '), ('format', 'HH'), ('text', 'h'), ('format', 'mm')]
    >>> spark_pattern_pieces("%j %V %u")
    [('format', 'DDD'), ('text', ' '), ('iso', 'V'), ('text', ' '), ('iso', 'u')]
    >>> spark_pattern_pieces("%Q")
    Traceback (most recent call last):
    ValueError: code strftime sans équivalent Spark : %Q
    """
    pieces: list[tuple[str, str]] = []
    last = 0
    for match in _CODE.finditer(pattern):
        if match.start() > last:
            pieces.append(("text", pattern[last : match.start()]))
        code = match.group(1)
        if code == "%":
            pieces.append(("text", "%"))
        elif code in _LETTERS:
            pieces.append(("format", _LETTERS[code]))
        elif code in _ISO:
            pieces.append(("iso", code))
        else:
            raise ValueError(f"code strftime sans équivalent Spark : %{code}")
        last = match.end()
    if last < len(pattern):
        pieces.append(("text", pattern[last:]))
    return pieces


def _spark_strftime(value: exp.Expression, pattern: str) -> exp.Expression:
    """``STRFTIME(value, pattern)`` as Spark SQL: one ``DATE_FORMAT`` per run of letters
    and text (text quoted), ISO codes as expressions, joined with ``||``."""
    x = value.sql(dialect="spark")
    parts: list[str] = []
    run = ""
    for kind, piece in spark_pattern_pieces(pattern):
        if kind == "iso":
            if run:
                parts.append(f"DATE_FORMAT({x}, {_quote(run)})")
                run = ""
            parts.append(_ISO[piece].format(x=x))
        elif kind == "text":
            run += "'" + piece.replace("'", "''") + "'"
        else:
            run += piece
    if run:
        parts.append(f"DATE_FORMAT({x}, {_quote(run)})")
    return sqlglot.parse_one(" || ".join(parts) or "''", read="spark")


def _quote(text: str) -> str:
    return exp.Literal.string(text).sql(dialect="spark")


def _anonymous(node: exp.Expression, name: str) -> bool:
    return isinstance(node, exp.Anonymous) and str(node.this).upper() == name


def _length_of_list(node: exp.Expression) -> exp.Expression | None:
    if isinstance(node, exp.Length) and isinstance(node.this, exp.ArrayFilter | exp.Array):
        return exp.Anonymous(this="SIZE", expressions=[node.this])
    return None


def _list_extract(node: exp.Expression) -> exp.Expression | None:
    if _anonymous(node, "LIST_EXTRACT"):
        return exp.Anonymous(this="ELEMENT_AT", expressions=list(node.expressions))
    return None


def _percentile_cont(node: exp.Expression) -> exp.Expression | None:
    if isinstance(node, exp.PercentileCont) and node.expression is not None:
        return exp.Anonymous(this="PERCENTILE", expressions=[node.this, node.expression])
    return None


def _isodow(node: exp.Expression) -> exp.Expression | None:
    if isinstance(node, exp.DayOfWeekIso):
        return exp.Paren(
            this=exp.Add(
                this=exp.Anonymous(this="WEEKDAY", expressions=[node.this]),
                expression=exp.Literal.number(1),
            )
        )
    return None


def _timezone(node: exp.Expression) -> exp.Expression | None:
    if _anonymous(node, "TIMEZONE") and len(node.expressions) == 2:
        zone, instant = node.expressions
        return exp.Anonymous(this="FROM_UTC_TIMESTAMP", expressions=[instant, zone])
    return None


def _strftime(node: exp.Expression) -> exp.Expression | None:
    if isinstance(node, exp.TimeToStr) and isinstance(node.args.get("format"), exp.Literal):
        return _spark_strftime(node.this, node.args["format"].name)
    return None


Rule = Callable[[exp.Expression], exp.Expression | None]
RULES: dict[str, Rule] = {
    "length_of_list": _length_of_list,
    "list_extract": _list_extract,
    "percentile_cont": _percentile_cont,
    "isodow": _isodow,
    "timezone": _timezone,
    "strftime": _strftime,
}
UDFS = ("STRIP_ACCENTS",)
# Functions whose results are DuckDB's own: a case calling them cannot give the same rows
# on another engine, and its difference is expected (said in the case's line).
UNPORTABLE = {
    "HASH": "HASH est la fonction de hachage de DuckDB, Spark a la sienne (Murmur3) : "
    "l'ordre « random(graine) » y est un autre tirage, stable lui aussi",
}


def unportable(tree: exp.Expression) -> str | None:
    """Why ``tree`` cannot give DuckDB's rows on Spark, if it calls an UNPORTABLE function.

    >>> unportable(sqlglot.parse_one("SELECT a FROM t ORDER BY HASH(a)", read="duckdb"))[:4]
    'HASH'
    >>> unportable(sqlglot.parse_one("SELECT a FROM t", read="duckdb")) is None
    True
    """
    names = {str(n.this).upper() for n in tree.find_all(exp.Anonymous)}
    reasons = [why for name, why in UNPORTABLE.items() if name in names]
    return "; ".join(reasons) or None


def for_spark(
    tree: exp.Expression, *, without: Collection[str] = ()
) -> tuple[str, list[str], list[str]]:
    """A DuckDB tree (parameters written in) as Spark SQL, with the rules applied (less
    those named in ``without``, to show that each one is needed) and the UDFs it calls.

    >>> sql, rules, udfs = for_spark(sqlglot.parse_one(
    ...     "SELECT LENGTH(LIST_FILTER([1, 2], LAMBDA e : e > 1)), STRIP_ACCENTS(n) FROM t",
    ...     read="duckdb"))
    >>> sql, rules, udfs
    ('SELECT SIZE(FILTER(ARRAY(1, 2), e -> e > 1)), STRIP_ACCENTS(n) FROM t', ['length_of_list'], ['STRIP_ACCENTS'])
    """
    applied: list[str] = []

    def rewrite(rules: dict[str, Rule]) -> Callable[[exp.Expression], exp.Expression]:
        def one(node: exp.Expression) -> exp.Expression:
            for name, rule in rules.items():
                new = rule(node)
                if new is not None:
                    if name not in applied:
                        applied.append(name)
                    return new
            return node

        return one

    # sqlglot's transform does not visit what a rule put in place, so the first rules are
    # applied until none fires (a LIST_EXTRACT of an ISODOW); STRFTIME comes last, once:
    # it writes its argument out as Spark SQL, which must already be rewritten (a
    # TIMEZONE inside a STRFTIME). The rules see DuckDB's tree, where TimeToStr's pattern
    # is still the strftime pattern (sqlglot converts it on writing).
    rules = {k: v for k, v in RULES.items() if k not in without}
    first = rewrite({k: v for k, v in rules.items() if k != "strftime"})
    rewritten, previous = tree.copy(), None
    while previous != rewritten:
        previous, rewritten = rewritten, rewritten.transform(first)
    if "strftime" in rules:
        rewritten = rewritten.transform(rewrite({"strftime": _strftime}))
    udfs = sorted({str(n.this).upper() for n in rewritten.find_all(exp.Anonymous)} & set(UDFS))
    return rewritten.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE), applied, udfs
