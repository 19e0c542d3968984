"""The access log never shows a query string that could carry a pupil's identity (#21).

The enrolment-check API takes names and birth dates in its query string. Its router masks
its own exact paths, but a client that writes ``//v3/…``, ``/v3//men/…``, ``/V3/…`` or
``/v6/…`` reaches no route and its query string would be logged in clear. So the rule is an
allowlist: a query string is logged only for the open-data surfaces, spelled exactly (one
slash, the case of the routes); every other path is logged as ``path?[masqué]``.

>>> shown("/api/explore/v2.1/catalog/datasets?limit=1")
'/api/explore/v2.1/catalog/datasets?limit=1'
>>> shown("//v3/men/scolarites/identite?nomNaissance=X")
'//v3/men/scolarites/identite?[masqué]'
>>> shown("/api/explore//v2.1/x?nom=X")
'/api/explore//v2.1/x?[masqué]'
"""

from __future__ import annotations

import logging

MASK = "[masqué]"
# Open-data surfaces whose query strings are filters, not identities.
OPEN_PREFIXES = (
    "/api/explore/",
    "/api/v2/",
    "/api/v1/",
    "/api/records/",
    "/api/datasets/",
    "/api/docs",
    "/donnees",
    "/territoires",
    "/recherche",
    "/indicateurs",
    "/a-propos",
    "/static/",
)


def shown(path_with_query: str) -> str:
    """What the log shows of a request target."""
    path, sep, _query = path_with_query.partition("?")
    if not sep:
        return path_with_query
    if "//" not in path and (path in ("/", "/index.json") or path.startswith(OPEN_PREFIXES)):
        return path_with_query
    return f"{path}?{MASK}"


class MaskQueries(logging.Filter):
    """Rewrites the target of uvicorn's access lines (its third argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], shown(args[2]), *args[3:])
        return True


def install() -> None:
    """Adds the filter to ``uvicorn.access`` (once)."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, MaskQueries) for f in logger.filters):
        logger.addFilter(MaskQueries())
