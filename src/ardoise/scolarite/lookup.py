"""The one read of an API call: the presented token and, when the parameters are valid,
the candidate pupils, in a single statement (one round trip).

``scolarite_jetons`` is filtered by the token's SHA-256 and left-joined to the pupils
matching :func:`ardoise.scolarite.matching.conditions`: no row means an unknown token;
rows without a pupil mean no candidate. Candidates are read even for a token that will be
refused; they are then dropped unseen (the decision, in API Particulier's order, is the
caller's).

:func:`statement` is the Core statement; :func:`fetch` runs it on a SQLAlchemy connection
(SQLite, and any engine); :class:`ardoise.scolarite.store.PostgresStore` runs the same
statement compiled once for psycopg.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, select

from ardoise.scolarite import matching, tokens
from ardoise.scolarite.matching import IdentityQuery
from ardoise.scolarite.schema import eleves, jetons

TOKEN_COLUMNS = tuple(c.name for c in jetons.c)
PUPIL_COLUMNS = tuple(c.name for c in eleves.c)


@dataclass(frozen=True)
class Lookup:
    token: tokens.Token | None
    candidates: tuple[dict[str, Any], ...] = ()


def statement(query: IdentityQuery | None, arrays: bool = False) -> Select[Any]:
    """Token columns, then (with a query) pupil columns, in table order."""
    token_cols = [c.label(f"j_{c.name}") for c in jetons.c]
    by_hash = jetons.c.empreinte == bindparam("empreinte")
    if query is None:
        return select(*token_cols).where(by_hash)
    pupil_cols = [c.label(f"e_{c.name}") for c in eleves.c]
    joined = jetons.outerjoin(eleves, and_(*matching.conditions(query, arrays)))
    return select(*token_cols, *pupil_cols).select_from(joined).where(by_hash)


def parameters(secret: str, query: IdentityQuery | None) -> dict[str, Any]:
    values = {"empreinte": tokens.digest(secret)}
    if query is not None:
        values.update(matching.parameters(query))
    return values


def from_rows(rows: Iterable[Sequence[Any]]) -> Lookup:
    n = len(TOKEN_COLUMNS)
    token: tokens.Token | None = None
    candidates: list[dict[str, Any]] = []
    for row in rows:
        if token is None:
            token = tokens.from_mapping(dict(zip(TOKEN_COLUMNS, row[:n], strict=True)))
        if len(row) > n and row[n] is not None:  # the pupil's id: a candidate was joined
            candidates.append(dict(zip(PUPIL_COLUMNS, row[n:], strict=True)))
    return Lookup(token, tuple(candidates))


def fetch(conn: Connection, secret: str, query: IdentityQuery | None) -> Lookup:
    """Run :func:`statement` on ``conn`` (expanding ``IN`` lists: any dialect)."""
    rows = conn.execute(statement(query), parameters(secret, query))
    return from_rows(tuple(r) for r in rows)
