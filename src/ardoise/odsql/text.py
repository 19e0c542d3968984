"""Full-text matching: bare strings in ``where``, ``LIKE``, and the text predicates
``search()``, ``suggest()``, ``startswith()`` (their builders' docstrings document them).

Matching is case- and accent-insensitive: both sides go through ``lower`` then
``strip_accents`` (SQL side) or :func:`normalize` (Python side, before binding).
"""

from __future__ import annotations

import unicodedata

from sqlglot import exp

from ardoise.odsql import ast, limits
from ardoise.odsql.arguments import typed_arg
from ardoise.odsql.errors import OdsqlSyntaxError
from ardoise.odsql.typed import Resolver, Scope, Typed, fn


def normalize(text: str) -> str:
    """Lower-case and strip accents, as ``strip_accents(lower(x))`` does in DuckDB."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def folded(t: Typed) -> exp.Expr:
    """``strip_accents(lower(x))``, casting non-text values to text first."""
    value = t.sql if t.type == "text" else exp.Cast(this=t.sql, to=exp.DataType.build("VARCHAR"))
    return fn("strip_accents", fn("lower", value))


def like_pattern(value: str) -> str:
    r"""ODSQL ``LIKE`` pattern → SQL ``LIKE`` pattern (escape character ``\``).

    ``*`` and ``%`` are both wildcards (programs written for the portal send
    ``like "Lyc%"`` as well as ``like "2412*"``); a pattern with a wildcard is anchored
    (``"lyc*"``: starts with "lyc"), one without matches anywhere in the value
    (case-insensitive substring, as the portal's reference says). ``_`` is literal.

    >>> like_pattern("Lyc%"), like_pattern("%Zone A%"), like_pattern("2412*")
    ('lyc%', '%zone a%', '2412%')
    >>> like_pattern("moulin"), like_pattern("a_b")
    ('%moulin%', '%a\\_b%')
    """
    body = normalize(value).replace("\\", "\\\\").replace("_", "\\_")
    if "*" in body or "%" in body:
        return body.replace("*", "%")
    return f"%{body}%"


def text_columns(r: Resolver) -> list[Typed]:
    return [Typed(r.column(name), "text", free=True) for name in r.env.schema.of_type("text")]


def full_text(
    r: Resolver, node: ast.String, columns: list[Typed], scope: Scope, *, phrase: bool
) -> Typed:
    """Every word (or the whole phrase) must occur in at least one of ``columns``."""
    text = normalize(node.value).strip()
    terms = [text] if phrase else text.split()
    if not terms:
        return Typed(exp.true(), "boolean", constant=True)
    limits.check_count(
        "search terms", len(terms), limits.MAX_SEARCH_TERMS, scope.clause, node.pos + 1
    )
    if not columns:
        raise OdsqlSyntaxError("No text field to search in", clause=scope.clause, col=node.pos + 1)
    conjuncts: list[exp.Expr] = []
    for term in terms:
        placeholder = r.params.add(term)
        matches = [fn("contains", folded(col), placeholder.copy()) for col in columns]
        disjunction = matches[0]
        for match in matches[1:]:
            disjunction = exp.Or(this=disjunction, expression=match)
        conjuncts.append(exp.Paren(this=disjunction) if len(matches) > 1 else disjunction)
    sql = conjuncts[0]
    for part in conjuncts[1:]:
        sql = exp.And(this=sql, expression=part)
    return Typed(sql, "boolean", free=True)


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
