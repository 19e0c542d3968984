"""Requests as programs written for data.education.gouv.fr send them (issue #13), made into
the requests the API routes read, before any route sees them:

* **Dataset ids qualified by the portal's domain** (``fr-en-annuaire-education@dataeducation``,
  as the portal's own links and exports write them) name the same dataset: the suffix is
  dropped from the path (``/catalog/datasets/{id}…``, ``/api/datasets/1.0/{id}/``,
  ``/explore/dataset/{id}/…``) and from v1's ``dataset=``. Another domain is another
  dataset, left as is (a 404 names it).
* **Raw UTF-8 bytes in the query string** (``where=population="Élèves"`` sent unencoded by
  some HTTP clients) are read as UTF-8: they are percent-encoded, as the client should have
  done (Starlette would otherwise read them as Latin-1).
* **Invalid UTF-8** (``%FF``, ``%E9`` sent by a Latin-1 client, ``%C3%28``) is a 400 in
  the portal's error shape (``InvalidRESTParameterError``), never a silent ``U+FFFD`` that
  answers 200 with nothing. A ``%`` not followed by two hex digits is a literal ``%``, as
  the WHATWG URL standard's percent-decoding reads it: browsers and httpx send
  ``where=nom like "Lyc%"`` typed in a URL as is, and it must match (class 1 of #13);
  a query it leaves malformed (``where=zones="Zone%2``) is then a 400 of the ODSQL parser.

Only the API and the portal's download pages (``/api/``, ``/explore/``) are touched.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from ardoise.odsql.errors import InvalidParameter

PORTAL_DOMAIN = "dataeducation"  # the domain id of data.education.gouv.fr on Opendatasoft
PREFIXES = ("/api/", "/explore/")
_QUALIFIED = re.compile(rf"(?<=[^/])@{PORTAL_DOMAIN}(?=/|$)")
_QUALIFIED_VALUE = re.compile(rb"(?<=[^&=])@" + PORTAL_DOMAIN.encode() + rb"(?=&|$)")
_UNSAFE = re.compile(rb"[\x80-\xff]")


def unqualified_path(path: str) -> str:
    """``/…/datasets/x@dataeducation/records`` → ``/…/datasets/x/records``.

    >>> unqualified_path("/api/explore/v2.1/catalog/datasets/fr-en-ips@dataeducation/records")
    '/api/explore/v2.1/catalog/datasets/fr-en-ips/records'
    >>> unqualified_path("/api/datasets/1.0/a@dataeducation/"), unqualified_path("/x@other")
    ('/api/datasets/1.0/a/', '/x@other')
    """
    return _QUALIFIED.sub("", path)


def read_query(raw: bytes) -> bytes:
    """The query string the routes read: raw non-ASCII bytes percent-encoded, qualified
    ``dataset=`` values unqualified; :class:`InvalidParameter` when a parameter does not
    decode as UTF-8.

    >>> read_query("where=x=Élèves".encode()), read_query(b"where=x%20like%20%22Lyc%%22")
    (b'where=x=%C3%89l%C3%A8ves', b'where=x%20like%20%22Lyc%%22')
    >>> read_query(b"dataset=fr-en-calendrier-scolaire@dataeducation&rows=1")
    b'dataset=fr-en-calendrier-scolaire&rows=1'
    >>> read_query(b"where=%FF")
    Traceback (most recent call last):
    ...
    ardoise.odsql.errors.InvalidParameter: ...
    """
    query = _UNSAFE.sub(lambda m: b"%%%02X" % m.group()[0], raw)
    for part in query.split(b"&"):
        try:
            unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            name = part.split(b"=", 1)[0].decode("ascii", "replace")
            raise InvalidParameter(
                f"Paramètre « {name} » illisible : la requête doit être encodée en UTF-8 "
                f"(un « % » littéral s'écrit %25). Invalid UTF-8 in API parameter {name}."
            ) from None
    return _QUALIFIED_VALUE.sub(b"", query) if b"@" in query else query


class PortalRequestMiddleware:
    """Applies :func:`unqualified_path` and :func:`read_query` to API requests."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith(PREFIXES):
            await self.app(scope, receive, send)
            return
        raw = bytes(scope.get("query_string", b""))
        try:
            query = read_query(raw)
        except InvalidParameter as exc:
            body = json.dumps(exc.body(), ensure_ascii=False).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"x-content-type-options", b"nosniff"),
            ]
            await send({"type": "http.response.start", "status": 400, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        fixed = unqualified_path(path)
        if fixed != path or query != raw:
            scope = dict(scope, path=fixed, raw_path=quote(fixed).encode(), query_string=query)
        await self.app(scope, receive, send)
