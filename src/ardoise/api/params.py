"""Reading the portal's query parameters into a RecordsQuery (one place for every endpoint)."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ardoise.odsql.errors import InvalidParameter
from ardoise.query.limits import parse_int_parameter
from ardoise.query.model import RecordsQuery
from ardoise.query.territories import levels


def filters(values: Sequence[str] | None, name: str) -> tuple[tuple[str, str], ...]:
    """``refine=field:value`` (value may be quoted) → ``(field, value)`` pairs."""
    out = []
    for raw in values or ():
        field, sep, value = raw.partition(":")
        if not sep or not field.strip():
            raise InvalidParameter(
                f"Invalid value for {name} API parameter: {raw[:60]!r} was found but "
                "'field:value' is expected."
            )
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out.append((field.strip(), value))
    return tuple(out)


def zone(timezone: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long
        raise InvalidParameter(
            f"Invalid value for timezone API parameter: {str(timezone)[:60]!r} is not a known "
            "time zone (for example Europe/Paris)."
        ) from None


def records_query(
    *,
    select: str | None,
    where: Sequence[str] | None,
    group_by: str | None,
    order_by: str | None,
    limit: str | None,
    offset: str | None,
    refine: Sequence[str] | None,
    exclude: Sequence[str] | None,
    lang: str | None,
    timezone: str | None,
    default_limit: int | None = 10,
    territoire: str | None = None,
) -> RecordsQuery:
    zone(timezone)  # validate early
    lim = parse_int_parameter("limit", limit)
    return RecordsQuery(
        select=select,
        where=tuple(where or ()) or None,
        group_by=group_by,
        order_by=order_by,
        limit=default_limit if lim is None else lim,
        offset=parse_int_parameter("offset", offset),
        refine=filters(refine, "refine"),
        exclude=filters(exclude, "exclude"),
        lang=lang,
        timezone=timezone,
        territoire=territory(territoire),
    )


def territory(raw: str | None) -> tuple[str, str] | None:
    """``territoire=academie:10`` → ``("academie", "10")`` (level checked, code normalised)."""
    if raw is None or not raw.strip():
        return None
    return levels.parse(raw.strip(), parameter="territoire")


def boolean(raw: str | None, name: str, default: bool) -> bool:
    if raw is None or raw == "":
        return default
    low = raw.strip().lower()
    if low in ("true", "1", "yes", "oui"):
        return True
    if low in ("false", "0", "no", "non"):
        return False
    raise InvalidParameter(
        f"Invalid value for {name} API parameter: {raw[:40]!r} was found but a boolean is expected."
    )
