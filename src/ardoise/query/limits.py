"""Every cap the query layer enforces, in one place, with the portal's messages.

Records (Explore v2.1, §1.7 of the reference): ``limit`` ≤ 100 and ``offset + limit``
≤ 10 000 without ``group_by``; ≤ 20 000 for both with ``group_by``; ``limit=-1`` means
100 on records (data-fair's reading) and "everything" on exports.

The language's input caps (clause length, AST size, ``IN`` lists…) are in
``ardoise.odsql.limits``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ardoise.odsql.errors import InvalidParameter, LimitExceeded

DEFAULT_LIMIT = 10
RECORDS_MAX_LIMIT = 100
RECORDS_MAX_WINDOW = 10_000
GROUPED_MAX_LIMIT = 20_000
GROUPED_MAX_WINDOW = 20_000
UNLIMITED = -1


@dataclass(frozen=True)
class Window:
    """The rows to return: ``limit`` is None for "no cap" (exports only)."""

    limit: int | None
    offset: int


def _invalid(name: str, found: int, expected: str) -> LimitExceeded:
    return LimitExceeded(
        f"Invalid value for {name} API parameter: {found} was found but {expected} is expected.",
        error_code="InvalidRESTParameterError",
    )


def check_window(
    limit: int | None, offset: int | None, *, grouped: bool, export: bool = False
) -> Window:
    """Validate ``limit``/``offset`` as the portal does and return the effective window."""
    off = 0 if offset is None else offset
    if off < 0:
        raise _invalid("offset", off, ">= 0")
    if export:
        lim = UNLIMITED if limit is None else limit
        if lim < UNLIMITED:
            raise _invalid("limit", lim, ">= -1")
        if off and (lim == UNLIMITED or off + lim > RECORDS_MAX_WINDOW):
            found = off + lim if lim != UNLIMITED else off
            raise _invalid("sum of offset + limit", found, f"<= {RECORDS_MAX_WINDOW}")
        return Window(None if lim == UNLIMITED else lim, off)
    lim = DEFAULT_LIMIT if limit is None else limit
    if lim < UNLIMITED:
        raise _invalid("limit", lim, ">= -1")
    if lim == UNLIMITED:
        lim = RECORDS_MAX_LIMIT
    max_limit, max_window = (
        (GROUPED_MAX_LIMIT, GROUPED_MAX_WINDOW)
        if grouped
        else (RECORDS_MAX_LIMIT, RECORDS_MAX_WINDOW)
    )
    if lim > max_limit:
        raise _invalid("limit", lim, f"<= {max_limit}")
    if off + lim > max_window:
        raise _invalid("sum of offset + limit", off + lim, f"<= {max_window}")
    return Window(lim, off)


def parse_int_parameter(name: str, raw: str | int | None) -> int | None:
    """Read an integer REST parameter (``limit``, ``offset``) given as text or int."""
    if raw is None or isinstance(raw, int):
        return raw
    text = raw.strip()
    sign = text[1:] if text[:1] in "+-" else text
    if not sign.isdigit() or not sign.isascii() or len(sign) > 12:
        raise InvalidParameter(
            f"Invalid value for {name} API parameter: {raw[:40]!r} was found but an integer is expected."
        )
    return int(text)
