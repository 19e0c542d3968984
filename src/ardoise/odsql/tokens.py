"""ODSQL tokenizer: text → list of :class:`Token`, in one linear pass, no regex backtracking.

Every token keeps its 0-based start offset so that errors can name a column.
Keywords are not a token kind: the parser compares identifiers case-insensitively,
and a backquoted name is never a keyword.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import Enum

from ardoise.odsql.errors import OdsqlSyntaxError


class Kind(Enum):
    IDENT = "identifier"
    QIDENT = "backquoted identifier"
    STRING = "string"
    NUMBER = "number"
    DATE = "date literal"
    GEOM = "geometry literal"
    OP = "operator"
    EOF = "end of input"


@dataclass(frozen=True)
class Token:
    kind: Kind
    value: str  # unescaped content for strings, literal text otherwise
    pos: int  # 0-based offset of the first character
    end: int  # 0-based offset just past the last character

    def is_op(self, *ops: str) -> bool:
        return self.kind is Kind.OP and self.value in ops

    def is_keyword(self, *words: str) -> bool:
        return self.kind is Kind.IDENT and self.value.lower() in words


# Longest first: two-character operators are tried before one-character ones.
OPERATORS: tuple[str, ...] = (
    "!=",
    "<>",
    "<=",
    ">=",
    "(",
    ")",
    ",",
    "*",
    "+",
    "-",
    "/",
    "%",
    "=",
    "<",
    ">",
    ":",
)

_DIGITS = frozenset("0123456789")  # ASCII only: str.isdigit() accepts "²" and "١"
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v"}
_SPACE = frozenset(" \t\n\r\u00a0\ufeff")


def _is_space(ch: str) -> bool:
    return ch in _SPACE or unicodedata.category(ch) == "Zs"


def _check_char(ch: str, pos: int, clause: str) -> None:
    """Refuse control characters and lone surrogates (invalid UTF-8 decoded leniently)."""
    cat = unicodedata.category(ch)
    if (cat == "Cc" and ch not in "\t\n\r") or cat == "Cs":
        raise OdsqlSyntaxError(
            f"Invalid character U+{ord(ch):04X}", clause=clause, col=pos + 1, highlight=repr(ch)
        )


def _is_ident_start(ch: str) -> bool:
    return ch == "_" or ch.isalpha()


def _is_ident_part(ch: str) -> bool:
    return ch == "_" or ch.isalnum()


def tokenize(text: str, clause: str) -> list[Token]:
    """Split ``text`` into tokens; the last one is always ``EOF``."""
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        _check_char(ch, i, clause)
        if _is_space(ch):
            i += 1
            continue
        start = i
        if _is_ident_start(ch):
            while i < n and _is_ident_part(text[i]):
                i += 1
            word = text[start:i]
            if i < n and text[i] in "'\"" and word.lower() in ("date", "geom"):
                value, i = _read_string(text, i, clause)
                kind = Kind.DATE if word.lower() == "date" else Kind.GEOM
                out.append(Token(kind, value, start, i))
            else:
                out.append(Token(Kind.IDENT, word, start, i))
        elif ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            i = _read_number(text, i)
            out.append(Token(Kind.NUMBER, text[start:i], start, i))
        elif ch in "'\"":
            value, i = _read_string(text, i, clause)
            out.append(Token(Kind.STRING, value, start, i))
        elif ch == "`":
            close = text.find("`", i + 1)
            if close < 0:
                raise OdsqlSyntaxError(
                    "Unterminated backquoted field name",
                    clause=clause,
                    col=start + 1,
                    highlight="`",
                )
            name = text[i + 1 : close]
            if not name or not all(_is_ident_part(c) for c in name):
                raise OdsqlSyntaxError(
                    f"Invalid field name: `{name}`", clause=clause, col=start + 1, highlight=name
                )
            i = close + 1
            out.append(Token(Kind.QIDENT, name, start, i))
        else:
            for op in OPERATORS:
                if text.startswith(op, i):
                    i += len(op)
                    out.append(Token(Kind.OP, op, start, i))
                    break
            else:
                raise OdsqlSyntaxError(
                    f"Unexpected character '{ch}'", clause=clause, col=start + 1, highlight=ch
                )
    out.append(Token(Kind.EOF, "", n, n))
    return out


def _read_number(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _DIGITS:
        i += 1
    if i + 1 < n and text[i] == "." and text[i + 1] in _DIGITS:
        i += 1
        while i < n and text[i] in _DIGITS:
            i += 1
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j] in _DIGITS:
            i = j
            while i < n and text[i] in _DIGITS:
                i += 1
    return i


def _read_string(text: str, i: int, clause: str) -> tuple[str, int]:
    """Read a quoted string starting at ``text[i]``; return (content, index after it)."""
    quote, start, n = text[i], i, len(text)
    i += 1
    parts: list[str] = []
    while i < n:
        ch = text[i]
        _check_char(ch, i, clause)
        if ch == quote:
            return "".join(parts), i + 1
        if ch == "\\" and i + 1 < n:
            nxt = text[i + 1]
            _check_char(nxt, i + 1, clause)
            if nxt in "ux":
                width = 4 if nxt == "u" else 2
                digits = text[i + 2 : i + 2 + width]
                if len(digits) == width and all(c in "0123456789abcdefABCDEF" for c in digits):
                    char = chr(int(digits, 16))
                    _check_char(char, i, clause)
                    parts.append(char)
                    i += 2 + width
                    continue
            if nxt == "0":
                raise OdsqlSyntaxError(
                    "Invalid character U+0000", clause=clause, col=i + 1, highlight="\\0"
                )
            parts.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        parts.append(ch)
        i += 1
    raise OdsqlSyntaxError(
        "Unterminated string literal",
        clause=clause,
        col=start + 1,
        highlight=text[start : start + 20],
    )
