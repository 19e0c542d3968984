"""Dates and times for ODSQL: literals, refine periods, ``now()``, ``date_format()`` patterns.

Everything here runs in Python at compile time and yields *values* that become bound
parameters; no date text ever reaches SQL.

Convention: ``datetime`` columns hold UTC instants (naive ``TIMESTAMP`` in UTC). A date-time
literal without an offset is read in the query's ``timezone`` and converted to UTC.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ardoise import french
from ardoise.odsql.errors import InvalidParameter

_TEMPORAL = re.compile(
    r"(?P<y>\d{4})(?:[-/](?P<m>\d{1,2})(?:[-/](?P<d>\d{1,2}))?)?"
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,6}))?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?",
    re.ASCII,
)
_TZ_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}")


def zone(name: str | None) -> ZoneInfo:
    """The query time zone (default UTC); refuses anything that is not an IANA key."""
    if name is None or name == "":
        return ZoneInfo("UTC")
    if len(name) > 64 or not _TZ_NAME.fullmatch(name):
        raise InvalidParameter(
            f"Invalid value for timezone API parameter: {name[:64]!r} is not a known time zone."
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidParameter(
            f"Invalid value for timezone API parameter: {name!r} is not a known time zone."
        ) from None


def to_utc_naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Temporal:
    """A parsed date literal: a calendar date, or an instant (UTC, naive)."""

    value: date | datetime
    precision: str  # "year", "month", "day" or "time"


def parse_temporal(text: str, tz: ZoneInfo) -> Temporal | None:
    """Parse ``2017``, ``2017-04``, ``2018/04/01``, ``2017-04-03T08:02[:05][Z|+02:00]``."""
    m = _TEMPORAL.fullmatch(text.strip())
    if m is None:
        return None
    try:
        year = int(m["y"])
        month = int(m["m"] or 1)
        day = int(m["d"] or 1)
        if m["H"] is None:
            if m["tz"]:
                return None
            precision = "day" if m["d"] else "month" if m["m"] else "year"
            return Temporal(date(year, month, day), precision)
        micro = int((m["f"] or "0").ljust(6, "0"))
        local = datetime(year, month, day, int(m["H"]), int(m["M"]), int(m["S"] or 0), micro)
    except ValueError:
        return None
    if m["tz"]:
        raw = m["tz"]
        if raw == "Z":
            return Temporal(local, "time")
        sign = 1 if raw[0] == "+" else -1
        digits = raw[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return Temporal(local - sign * offset, "time")
    return Temporal(to_utc_naive(local.replace(tzinfo=tz)), "time")


def period(
    value: str, tz: ZoneInfo, *, instants: bool
) -> tuple[date | datetime, date | datetime] | None:
    """The half-open period a refine value names: ``2020``, ``2020/05``, ``2020-05-17``.

    With ``instants`` (datetime columns) the bounds are UTC instants of local midnights.
    """
    parsed = parse_temporal(value, tz)
    if parsed is None or parsed.precision == "time" or isinstance(parsed.value, datetime):
        return None
    start = parsed.value
    if parsed.precision == "year":
        stop = date(start.year + 1, 1, 1)
    elif parsed.precision == "month":
        stop = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    else:
        stop = start + timedelta(days=1)
    if not instants:
        return start, stop

    def midnight(d: date) -> datetime:
        return to_utc_naive(datetime(d.year, d.month, d.day, tzinfo=tz))

    return midnight(start), midnight(stop)


# --- now() ------------------------------------------------------------------------------

NOW_ABSOLUTE = ("year", "month", "day", "hour", "minute", "second", "microsecond")
NOW_RELATIVE = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")


def shifted_now(now: datetime, tz: ZoneInfo, args: dict[str, int | float]) -> datetime:
    """``now(years=-1, day=1)``: set absolute parts, then add relative ones; UTC naive result."""
    local = now.astimezone(tz)
    for part in NOW_ABSOLUTE:
        if part in args:
            local = local.replace(**{part: int(args[part])})  # type: ignore[arg-type]
    months = int(args.get("years", 0)) * 12 + int(args.get("months", 0))
    if months:
        total = local.year * 12 + local.month - 1 + months
        year, month = divmod(total, 12)
        last = calendar.monthrange(year, month + 1)[1]
        local = local.replace(year=year, month=month + 1, day=min(local.day, last))
    local += timedelta(
        weeks=args.get("weeks", 0),
        days=args.get("days", 0),
        hours=args.get("hours", 0),
        minutes=args.get("minutes", 0),
        seconds=args.get("seconds", 0),
    )
    return to_utc_naive(local)


# --- date_format() ------------------------------------------------------------------------

MONTHS: dict[str, tuple[str, ...]] = {
    "fr": french.MONTHS,
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
MONTHS_SHORT: dict[str, tuple[str, ...]] = {
    "fr": french.MONTHS_SHORT,
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
DAYS: dict[str, tuple[str, ...]] = {
    "fr": french.DAYS,
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
DAYS_SHORT: dict[str, tuple[str, ...]] = {
    "fr": french.DAYS_SHORT,
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}

# Joda-style symbol → strftime code (DuckDB), or a name table.
_SYMBOLS: dict[str, str] = {
    "yyyy": "%Y",
    "YYYY": "%Y",
    "yy": "%y",
    "YY": "%y",
    "y": "%Y",
    "Y": "%Y",
    "xxxx": "%G",
    "ww": "%V",
    "w": "%V",
    "e": "%u",
    "DDD": "%j",
    "D": "%-j",
    "MM": "%m",
    "M": "%-m",
    "dd": "%d",
    "d": "%-d",
    "HH": "%H",
    "H": "%-H",
    "mm": "%M",
    "m": "%-M",
    "ss": "%S",
    "s": "%-S",
}
_NAMES = {
    "MMMM": "month",
    "MMM": "month_short",
    "EEEE": "day",
    "EEE": "day_short",
    "E": "day_short",
}


@dataclass(frozen=True)
class FormatPiece:
    kind: str  # "strftime" (value is a strftime pattern) or a name table: month, day_short…
    value: str = ""


def lang_code(lang: str | None) -> str:
    if lang is None or lang == "":
        return "fr"
    code = lang.strip().lower()[:2]
    if not code.isalpha() or not code.isascii() or len(lang) > 16:
        raise InvalidParameter(f"Invalid value for lang API parameter: {lang[:16]!r}.")
    return code if code in MONTHS else "en"


_NAME_TABLES: dict[str, dict[str, tuple[str, ...]]] = {
    "month": MONTHS,
    "month_short": MONTHS_SHORT,
    "day": DAYS,
    "day_short": DAYS_SHORT,
}


def names(kind: str, lang: str) -> tuple[str, ...]:
    return _NAME_TABLES[kind][lang]


def translate_format(pattern: str) -> list[FormatPiece] | str:
    """Translate a ``date_format`` pattern into pieces, or return the offending symbol."""
    pieces: list[FormatPiece] = []
    buf: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "'":
            close = pattern.find("'", i + 1)
            if close < 0:
                return "'"
            literal = pattern[i + 1 : close] if close > i + 1 else "'"
            buf.append(literal.replace("%", "%%"))
            i = close + 1
            continue
        if not ch.isascii() or not ch.isalpha():
            buf.append("%%" if ch == "%" else ch)
            i += 1
            continue
        j = i
        while j < n and pattern[j] == ch:
            j += 1
        run = pattern[i:j]
        if run in _NAMES:
            if buf:
                pieces.append(FormatPiece("strftime", "".join(buf)))
                buf = []
            pieces.append(FormatPiece(_NAMES[run]))
        elif run in _SYMBOLS:
            buf.append(_SYMBOLS[run])
        else:
            return run
        i = j
    if buf:
        pieces.append(FormatPiece("strftime", "".join(buf)))
    return pieces
