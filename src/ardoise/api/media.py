"""What a route that does not answer JSON declares in the OpenAPI document (issue #21.7).

>>> answers("text/csv; charset=utf-8", "application/json")
{200: {'content': {'text/csv': {}, 'application/json': {}}}}
"""

from __future__ import annotations

from typing import Any

from ardoise.catalog.dcat import FORMATS
from ardoise.exporters import EXPORTERS


def answers(*media_types: str) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route whose 200 comes in one of ``media_types``."""
    return {200: {"content": {m.split(";")[0].strip(): {} for m in media_types}}}


# The export formats and their media types, one per exporter (``/exports/{fmt}``, v1 download)
EXPORT_FORMATS = tuple(sorted(EXPORTERS))
EXPORT_ANSWERS = answers(*(e.media_type for e in EXPORTERS.values()))
# The names the DCAT catalogue's `format=` accepts
DCAT_FORMATS = tuple(FORMATS)
