"""The API's access to the registry, asynchronous, one per event loop: the one read of a
call (:mod:`ardoise.scolarite.lookup`) and the audit journal's writer.

* :class:`CoreStore`: SQLAlchemy's asynchronous engine (aiosqlite for SQLite), running
  the Core functions through ``run_sync``. Any database; what SQLite uses.
* :class:`PostgresStore`: the hot path of production. The same Core statements, compiled
  once for psycopg, run on psycopg's asynchronous connections (server-side prepared after
  a few uses). SQLAlchemy's execution layer cost about 0.5 ms of CPU per statement here,
  more than the database itself.

Both raise :class:`~ardoise.scolarite.errors.RegistryUnavailable` when the database cannot
be read; the audit writer raises :class:`~ardoise.scolarite.errors.AuditUnavailable`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import psycopg
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import ClauseElement

from ardoise.scolarite import audit, lookup, matching, throttle
from ardoise.scolarite.database import make_async_engine
from ardoise.scolarite.errors import RegistryUnavailable as RegistryUnavailable
from ardoise.scolarite.matching import IdentityQuery
from ardoise.scolarite.schema import audit as audit_table


class Store(Protocol):
    writer: audit.AuditWriter

    async def fetch(
        self, secret: str, query: IdentityQuery | None, now: float
    ) -> lookup.Lookup: ...

    async def miss(self, token_id: str, now: float) -> None: ...

    async def close(self) -> None: ...

    def forget(self) -> None: ...


class CoreStore:
    def __init__(self, url: str, pool_size: int, clock: Callable[[], datetime]) -> None:
        self.engine = make_async_engine(url, pool_size=pool_size)
        self.writer = audit.AuditWriter(audit.core_commit(self.engine), clock=clock)

    async def fetch(self, secret: str, query: IdentityQuery | None, now: float) -> lookup.Lookup:
        """Token and candidates; nothing counted (the process's limiter and guard count)."""
        try:
            async with self.engine.connect() as conn:
                return await conn.run_sync(lookup.fetch, secret, query)
        except SQLAlchemyError as exc:
            raise RegistryUnavailable("registre illisible") from exc

    async def miss(self, token_id: str, now: float) -> None:
        raise NotImplementedError("SQLite : le garde du processus compte les échecs")

    async def close(self) -> None:
        await self.writer.close()
        await self.engine.dispose()

    def forget(self) -> None:
        """Drop the pool without closing its connections (their event loop is gone)."""
        self.engine.sync_engine.dispose(close=False)


APPLICATION_NAME = "ardoise-scolarite"  # how the API's connections show in pg_stat_activity
_PG = PGDialect_psycopg()  # type: ignore[no-untyped-call]


def _sql(statement: ClauseElement, **kw: Any) -> str:
    return str(statement.compile(dialect=_PG, **kw))


_LOCK_HEAD = _sql(audit.LOCK_HEAD)
_NEW_HEAD = _sql(audit.NEW_HEAD)
_SET_HEAD = _sql(audit.SET_HEAD)
_INSERT = _sql(audit.INSERT, column_keys=[c.name for c in audit_table.c])
_MISS = _sql(lookup.miss_statement())


class PostgresStore:
    def __init__(
        self, url: str, pool_size: int, clock: Callable[[], datetime], threshold: int = 0
    ) -> None:
        self.threshold = threshold  # the enumeration throttle's: misses are counted to 2×
        self.url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._slots = asyncio.Semaphore(pool_size)
        self._statements: dict[tuple[bool, ...], str] = {}
        self._audit: psycopg.AsyncConnection[Any] | None = None
        self.writer = audit.AuditWriter(self._commit, clock=clock)

    def _statement(self, query: IdentityQuery | None) -> str:
        key = (False,) if query is None else (True, *matching.shape(query))
        sql = self._statements.get(key)
        if sql is None:
            sql = self._statements[key] = _sql(lookup.statement(query, arrays=True, counted=True))
        return sql

    async def fetch(self, secret: str, query: IdentityQuery | None, now: float) -> lookup.Lookup:
        """Token, candidates, the call counted in the second of ``now`` and the token's
        misses of the last minute (shared by every process). A pooled connection the
        server has dropped (restart) is replaced once, silently."""
        sql = self._statement(query)
        values = lookup.parameters(secret, query) | lookup.counting_parameters(now, self.threshold)
        rows = await self._run(sql, values)
        return lookup.from_rows(rows)

    async def miss(self, token_id: str, now: float) -> None:
        """Record an unsuccessful search of the token (shared enumeration throttle)."""
        values = {"jeton": token_id, "instant": now, "depuis": now - throttle.WINDOW}
        await self._run(_MISS, values, fetch=False)

    async def _run(self, sql: str, values: dict[str, Any], fetch: bool = True) -> list[Any]:
        async with self._slots:
            for retry in (True, False):
                conn = self._idle.pop() if self._idle else None
                pooled = conn is not None
                try:
                    if conn is None:
                        conn = await self._connect()
                    cur = await conn.execute(sql, values)
                    rows = await cur.fetchall() if fetch else []
                except psycopg.Error as exc:
                    if conn is not None:
                        await conn.close()
                    if retry and pooled and isinstance(exc, psycopg.OperationalError):
                        await self._drop_idle()  # the others are most likely dead too
                        continue
                    raise RegistryUnavailable("registre illisible") from exc
                self._idle.append(conn)
                return rows
        raise AssertionError("unreachable")  # pragma: no cover

    async def _drop_idle(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.close()

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        conn = await psycopg.AsyncConnection.connect(
            self.url, autocommit=True, application_name=APPLICATION_NAME
        )
        # reads, and counters that need no durability: no wait for the disk
        await conn.execute("SET synchronous_commit = off")
        return conn

    async def _commit(self, entries: list[audit.AuditEntry], now: datetime) -> list[int]:
        """One batch of the journal in one transaction, on the writer's own connection.
        A kept connection found dead before the head is read (server restart) is
        replaced once; a failure later is not retried (the commit's fate is unknown)."""
        for retry in (True, False):
            reused = self._audit is not None and not self._audit.closed
            locked = False
            try:
                if self._audit is None or self._audit.closed:
                    self._audit = await psycopg.AsyncConnection.connect(
                        self.url, autocommit=True, application_name=APPLICATION_NAME
                    )
                conn = self._audit
                # Pipeline mode: BEGIN and the head lock go together, then the rows, the
                # new head and COMMIT; the block ends once the server confirmed the commit.
                # Plain BEGIN/COMMIT statements: psycopg's transaction block cost more CPU.
                # On any error the connection is closed, which rolls the batch back.
                async with conn.pipeline() as pipe:
                    cur = conn.cursor()
                    await cur.execute("BEGIN")
                    await cur.execute(_LOCK_HEAD, audit.HEAD_KEY)
                    await pipe.sync()
                    head = await cur.fetchone()
                    locked = True
                    if head is None:
                        await cur.execute(_NEW_HEAD, audit.head_value(0, audit.GENESIS))
                        seq, previous = 0, audit.GENESIS
                    else:
                        seq, previous = audit.parse_head(str(head[0]))
                    rows = audit.chain(entries, seq, previous, now)
                    await cur.executemany(_INSERT, rows)
                    last = rows[-1]
                    await cur.execute(
                        _SET_HEAD,
                        audit.head_value(int(last["seq"]), str(last["empreinte"])),  # type: ignore[call-overload]
                    )
                    await cur.execute("COMMIT")
            except psycopg.Error as exc:
                if self._audit is not None:
                    await self._audit.close()
                    self._audit = None
                if retry and reused and not locked and isinstance(exc, psycopg.OperationalError):
                    continue
                raise
            return [int(r["seq"]) for r in rows]  # type: ignore[call-overload]
        raise AssertionError("unreachable")  # pragma: no cover

    async def close(self) -> None:
        await self.writer.close()
        for conn in [*self._idle, self._audit]:
            if conn is not None:
                await conn.close()
        self._idle, self._audit = [], None

    def forget(self) -> None:
        self._idle, self._audit = [], None  # sockets close with the objects


def open_store(
    url: str,
    pool_size: int,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    threshold: int = 0,
) -> Store:
    """The store of ``url`` for the running event loop (``threshold``: the enumeration
    throttle's)."""
    if url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        url = url.replace("postgres://", "postgresql://", 1)
        return PostgresStore(url, pool_size, clock, threshold)
    return CoreStore(url, pool_size, clock)
