"""JSON rendering of typed values, as the portal renders them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo


def render(value: Any, kind: str, tz: ZoneInfo | None = None) -> Any:
    """A stored value → its JSON form: ISO dates, datetimes with offset, GeoJSON shapes."""
    if value is None:
        return None
    if kind == "geo_shape" and isinstance(value, str):
        try:
            return {"type": "Feature", "geometry": json.loads(value), "properties": {}}
        except ValueError:
            return None
    if isinstance(value, datetime):
        if value.tzinfo is not None and tz is not None:
            value = value.astimezone(tz)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def render_row(
    row: dict[str, Any], kinds: Mapping[str, str], tz: ZoneInfo | None
) -> dict[str, Any]:
    return {k: render(v, kinds.get(k, ""), tz) for k, v in row.items()}
