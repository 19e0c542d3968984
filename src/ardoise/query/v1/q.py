"""The v1 ``q=`` full-text query of ``/api/records/1.0/…`` as an ODSQL ``where``.

Words and ``"phrases"`` are bare-string searches; ``AND``/``OR``/``NOT`` (``&&``, ``||``),
``-word`` and parentheses keep their meaning (terms side by side are ANDed). On a known
field, ``field:value`` is a search within the field (an equality for a number, a whole day,
month or year for a date), ``field=value`` an equality, ``field>=value`` a comparison and
``field:[a TO b]`` a range. Anything else is searched as text. Values reach ODSQL only as
quoted strings, checked numbers or checked dates, so the translation never writes ODSQL
the user did not mean; an unmatched parenthesis is dropped or closed rather than failed on.

>>> from ardoise.odsql.schema import Schema
>>> print(q_where("lyon -privé annee:2024", Schema("t", (("annee", "date"),))))
"lyon" and not "privé" and (`annee` >= date'2024-01-01' and `annee` < date'2025-01-01')
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

from ardoise.odsql.literals import quote_string
from ardoise.odsql.schema import Schema

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)")
_DATE = re.compile(r"(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?")
_DATETIME = re.compile(
    r"\d{4}[-/]\d{1,2}[-/]\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_FIELD_TERM = re.compile(r"([A-Za-z_][\w]*)(:|>=|<=|>|<|=)(.*)", re.DOTALL)
_RANGE = re.compile(r"[\[{]\s*(\S+)\s+TO\s+(\S+)\s*[\]}]")
_OPERATORS = {"AND": "and", "OR": "or", "NOT": "not", "&&": "and", "||": "or"}


def q_where(q: str | None, schema: Schema) -> str | None:
    """The v1 ``q`` as an ODSQL ``where`` on ``schema`` (None for an empty ``q``)."""
    if q is None or not q.strip():
        return None
    out: list[str] = []
    need_operator = False
    for token in _q_tokens(q):
        op = _OPERATORS.get(token)
        if op in ("and", "or"):
            if need_operator:
                out.append(op)
                need_operator = False
            continue
        if token == ")":
            if need_operator:
                out.append(")")
            continue
        if need_operator:
            out.append("and")
        if op == "not" or token == "(":
            out.append(op or "(")
            need_operator = False
            continue
        if token.startswith("-") and len(token) > 1:
            out.append("not")
            token = token[1:]
        out.append(_term(token, schema))
        need_operator = True
    while out and out[-1] in ("and", "or", "not", "("):
        out.pop()
    depth = 0
    balanced: list[str] = []
    for part in out:  # drop unmatched parentheses rather than fail on a typo
        if part == "(":
            depth += 1
        elif part == ")":
            if depth == 0:
                continue
            depth -= 1
        balanced.append(part)
    balanced += [")"] * depth
    text = " ".join(balanced).replace("( )", "")
    return text or None


def _q_tokens(q: str) -> Iterator[str]:
    """Split on spaces, keeping ``"quoted text"`` and ``[a TO b]`` ranges whole."""
    i, n = 0, len(q)
    while i < n:
        ch = q[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "()":
            yield ch
            i += 1
            continue
        j = i
        while j < n and not q[j].isspace() and q[j] not in "()":
            if q[j] == '"':
                close = q.find('"', j + 1)
                j = n if close < 0 else close + 1
                continue
            if q[j] in "[{":
                close = min((k for k in (q.find("]", j), q.find("}", j)) if k >= 0), default=-1)
                j = n if close < 0 else close + 1
                continue
            j += 1
        yield q[i:j]
        i = j


def unquote(text: str) -> str:
    """A v1 value without its double quotes (``"a b"`` → ``a b``)."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text.replace('"', "")


def _term(token: str, schema: Schema) -> str:
    m = _FIELD_TERM.fullmatch(token)
    found = schema.lookup(m[1]) if m else None
    if m is None or found is None or not m[3].strip():
        return quote_string(unquote(token))
    name, kind = found
    field, op, raw = f"`{name}`", m[2], m[3]
    r = _RANGE.fullmatch(raw.strip())
    if op == ":" and r is not None:
        low, high = _literal(r[1], kind), _literal(r[2], kind)
        parts = ([f"{field} >= {low}"] if r[1] != "*" and low else []) + (
            [f"{field} <= {high}"] if r[2] != "*" and high else []
        )
        return "(" + " and ".join(parts) + ")" if parts else quote_string(unquote(token))
    value = unquote(raw)
    if op in (":", "="):
        if kind in ("date", "datetime"):
            span = _date_span(value)
            if span is not None:
                return f"({field} >= date'{span[0]}' and {field} < date'{span[1]}')"
        elif kind in ("int", "double") and _NUMBER.fullmatch(value):
            return f"{field} = {value}"
        elif kind == "boolean" and value.lower() in ("true", "false"):
            return f"{field} is {value.lower()}"
        elif kind not in ("geo_point_2d", "geo_shape", "file"):
            return (
                f"{field} = {quote_string(value)}"
                if op == "="
                else f"search({field}, {quote_string(value)})"
            )
        return quote_string(unquote(token))
    literal = _literal(value, kind)
    return f"{field} {op} {literal}" if literal else quote_string(unquote(token))


def _literal(value: str, kind: str) -> str | None:
    value = unquote(value)
    if kind in ("int", "double"):
        return value if _NUMBER.fullmatch(value) else None
    if kind in ("date", "datetime"):
        return f"date'{value}'" if _DATETIME.fullmatch(value) or _DATE.fullmatch(value) else None
    if kind in ("geo_point_2d", "geo_shape", "file", "boolean"):
        return None
    return quote_string(value)


def _date_span(value: str) -> tuple[str, str] | None:
    """``2024`` / ``2024-09`` / ``2024/09/02`` → the half-open period, as ISO dates."""
    m = _DATE.fullmatch(value.strip())
    if m is None:
        return None
    try:
        year = int(m[1])
        if m[3]:
            first = date(year, int(m[2]), int(m[3]))
            return first.isoformat(), (first + timedelta(days=1)).isoformat()
        if m[2]:
            month = int(m[2])
            first = date(year, month, 1)
            stop = date(year + month // 12, month % 12 + 1, 1)
            return first.isoformat(), stop.isoformat()
        return date(year, 1, 1).isoformat(), date(year + 1, 1, 1).isoformat()
    except ValueError:
        return None


# --- geofilter ---------------------------------------------------------------------------------------
