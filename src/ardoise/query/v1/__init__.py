"""The portal's legacy v1 query parameters, translated to ODSQL for the query layer: the
v1 API (``ardoise.api.v1``) only reads them from the request and reshapes the results.

Public API::

    records_query(schema, *, q, sort, refine, exclude, distance, polygon, lang, timezone)
        -> RecordsQuery                       # a v1 records call, in ODSQL
    q_where(q, schema) -> str | None          # the v1 ``q=`` full-text query
    geo_where(schema, distance, polygon) -> str | None   # ``geofilter.distance/polygon``
    order_by(sort, schema) -> str | None      # v1 ``sort`` (``field`` descending)
    catalog_order(sort) -> str | None         # v1 ``sort`` of the datasets search
    window(rows, start) -> (rows, start)      # checked v1 paging
    invalid(name, raw, expected) -> InvalidParameter    # the v1 message for a bad value
    unquote(text) -> str                      # a v1 value without its double quotes

The translations are tested as tables of cases in ``tests/query/cases/v1.cases``.
"""

from __future__ import annotations

from ardoise.query.v1.geofilter import geo_where as geo_where
from ardoise.query.v1.params import catalog_order as catalog_order
from ardoise.query.v1.params import invalid as invalid
from ardoise.query.v1.params import order_by as order_by
from ardoise.query.v1.params import window as window
from ardoise.query.v1.q import q_where as q_where
from ardoise.query.v1.q import unquote as unquote
from ardoise.query.v1.records import records_query as records_query
