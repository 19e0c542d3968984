"""The one read of an API call: the presented token and, when the parameters are valid,
the candidate pupils, in a single statement (one round trip).

``scolarite_jetons`` is filtered by the token's SHA-256 and left-joined to the pupils
matching :func:`ardoise.scolarite.matching.conditions`: no row means an unknown token;
rows without a pupil mean no candidate. Candidates are read even for a token that will be
refused; they are then dropped unseen (the decision, in API Particulier's order, is the
caller's). On PostgreSQL the same statement counts the call in ``scolarite_debits`` and
returns the token's calls in the current second and its unsuccessful searches of the last
minute (``scolarite_echecs``), so the rate limit and the enumeration throttle hold across
server processes at no extra round trip.

:func:`statement` is the Core statement; :func:`fetch` runs it on a SQLAlchemy connection
(SQLite, and any engine); :class:`ardoise.scolarite.store.PostgresStore` runs the same
statement compiled once for psycopg.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CTE,
    BigInteger,
    ColumnClause,
    ColumnElement,
    Connection,
    Float,
    FromClause,
    Insert,
    Select,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal_column,
    null,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ardoise.scolarite import matching, throttle, tokens
from ardoise.scolarite.matching import IdentityQuery
from ardoise.scolarite.schema import debits, echecs, eleves, jetons
from ardoise.stored import digest

TOKEN_COLUMNS = tuple(c.name for c in jetons.c)
PUPIL_COLUMNS = tuple(c.name for c in eleves.c)


@dataclass(frozen=True)
class Lookup:
    token: tokens.Token | None
    candidates: tuple[dict[str, Any], ...] = ()
    calls: int | None = None  # the token's calls this second, all processes (if counted)
    misses: int | None = None  # its unsuccessful searches in the last minute (if counted)
    oldest_miss: float | None = None  # Unix time of the oldest of them


def _counter() -> CTE:
    """PostgreSQL: count this call in ``scolarite_debits`` (a known token only), in the
    same statement; returns the token's calls in the current second."""
    one: ColumnClause[Any] = literal_column(
        "1"
    )  # inline: the compiled statement has only named parameters
    known = select(jetons.c.id, bindparam("seconde", type_=BigInteger), one).where(
        jetons.c.empreinte == bindparam("empreinte")
    )
    upsert = pg_insert(debits).from_select(["jeton_id", "seconde", "appels"], known)
    same_second = debits.c.seconde == upsert.excluded.seconde
    upsert = upsert.on_conflict_do_update(
        index_elements=[debits.c.jeton_id],
        set_={
            "appels": case((same_second, debits.c.appels + one), else_=one),
            "seconde": upsert.excluded.seconde,
        },
    )
    return upsert.returning(debits.c.jeton_id, debits.c.appels).cte("debit")


def statement(
    query: IdentityQuery | None, arrays: bool = False, counted: bool = False
) -> Select[Any]:
    """Token columns, the count of calls (``counted``: PostgreSQL only; else NULL), then
    with a query the pupil columns, in table order."""
    token_cols = [c.label(f"j_{c.name}") for c in jetons.c]
    source: FromClause = jetons
    calls: ColumnElement[Any] = null()
    misses: ColumnElement[Any] = null()
    oldest: ColumnElement[Any] = null()
    if counted:
        counter = _counter()
        source = source.outerjoin(counter, counter.c.jeton_id == jetons.c.id)
        calls = counter.c.appels
        recent = and_(
            echecs.c.jeton_id == jetons.c.id,
            echecs.c.instant > bindparam("depuis", type_=Float),
        )
        # counted up to a cap (twice the threshold decides everything): an enumerating
        # token's thousands of misses cost no more than a few
        capped = (
            select(literal_column("1"))
            .where(recent)
            .correlate(jetons)  # the outer token row, two levels up
            .limit(bindparam("plafond"))
            .subquery()
        )
        misses = select(func.count()).select_from(capped).scalar_subquery()
        oldest = select(func.min(echecs.c.instant)).where(recent).scalar_subquery()
    columns: list[ColumnElement[Any]] = [
        *token_cols,
        calls.label("appels"),
        misses.label("echecs"),
        oldest.label("plus_ancien_echec"),
    ]
    if query is not None:
        columns += [c.label(f"e_{c.name}") for c in eleves.c]
        source = source.outerjoin(eleves, and_(*matching.conditions(query, arrays)))
    return select(*columns).select_from(source).where(jetons.c.empreinte == bindparam("empreinte"))


def parameters(secret: str, query: IdentityQuery | None) -> dict[str, Any]:
    """Values of :func:`statement`'s token and pupil parameters."""
    values: dict[str, Any] = {"empreinte": digest(secret)}
    if query is not None:
        values.update(matching.parameters(query))
    return values


def counting_parameters(now: float, threshold: int) -> dict[str, Any]:
    """Values of the counting parameters (``counted=True``): ``now`` (Unix time) sets the
    calls' second and the start of the misses' window, ``threshold`` (the enumeration
    throttle's) how far misses are counted."""
    return {
        "seconde": math.floor(now),
        "depuis": now - throttle.WINDOW,
        "plafond": max(0, 2 * threshold),
    }


def from_rows(rows: Iterable[Sequence[Any]]) -> Lookup:
    n = len(TOKEN_COLUMNS)
    first = n + 3  # token columns, calls, misses, oldest miss, then the pupil's
    token: tokens.Token | None = None
    counts: tuple[Any, ...] = (None, None, None)
    candidates: list[dict[str, Any]] = []
    for row in rows:
        if token is None:
            token = tokens.from_mapping(dict(zip(TOKEN_COLUMNS, row[:n], strict=True)))
            counts = tuple(row[n:first])
        if len(row) > first and row[first] is not None:  # the pupil's id: a candidate
            candidates.append(dict(zip(PUPIL_COLUMNS, row[first:], strict=True)))
    calls, misses, oldest = counts
    return Lookup(
        token,
        tuple(candidates),
        None if calls is None else int(calls),
        None if misses is None else int(misses),
        None if oldest is None else float(oldest),
    )


def fetch(conn: Connection, secret: str, query: IdentityQuery | None) -> Lookup:
    """Run :func:`statement` on ``conn`` (expanding ``IN`` lists, no counting: any
    dialect; the process's limiter counts)."""
    rows = conn.execute(statement(query), parameters(secret, query))
    return from_rows(tuple(r) for r in rows)


def miss_statement() -> Insert:
    """PostgreSQL: record an unsuccessful search of a token, dropping its misses older
    than the window (parameters ``jeton``, ``instant``, ``depuis``)."""
    expired = (
        delete(echecs)
        .where(echecs.c.jeton_id == bindparam("jeton"), echecs.c.instant <= bindparam("depuis"))
        .returning(echecs.c.jeton_id)
        .cte("expires")
    )
    return (
        insert(echecs)
        .values(jeton_id=bindparam("jeton"), instant=bindparam("instant"))
        .add_cte(expired)
    )
