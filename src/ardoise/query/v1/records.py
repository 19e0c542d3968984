"""The v1 records parameters (``q``, ``sort``, ``refine.F``, ``exclude.F``,
``geofilter.*``) as one RecordsQuery, in ODSQL: what ``/api/records/1.0/search/`` and the
v1 downloads run through ``ardoise.query.run``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ardoise.odsql.schema import Schema
from ardoise.query.model import RecordsQuery
from ardoise.query.v1.geofilter import geo_where
from ardoise.query.v1.params import order_by
from ardoise.query.v1.q import q_where


def records_query(
    schema: Schema,
    *,
    q: str | None = None,
    sort: Sequence[str] | None = None,
    refine: Mapping[str, Sequence[str]] | None = None,
    exclude: Mapping[str, Sequence[str]] | None = None,
    distance: str | None = None,
    polygon: str | None = None,
    lang: str | None = None,
    timezone: str | None = None,
) -> RecordsQuery:
    """Filters and order of a v1 records call on a dataset of ``schema`` (no page: the
    caller sets ``limit``/``offset``). ``refine``/``exclude`` map a field to its values."""
    where = [w for w in (q_where(q, schema), geo_where(schema, distance, polygon)) if w]
    return RecordsQuery(
        where=tuple(where) or None,
        order_by=order_by(sort, schema),
        refine=tuple((f, v) for f, vs in (refine or {}).items() for v in vs),
        exclude=tuple((f, v) for f, vs in (exclude or {}).items() for v in vs),
        lang=lang,
        timezone=timezone,
    )
