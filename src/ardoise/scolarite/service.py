"""The scolarité service: one object per app holding the engines, the audit writer and
the in-memory limits. The HTTP router only translates between it and requests.

Two accesses to one registry: the synchronous engine (CLI, certificates, statistics) and
the asynchronous store of the API's hot path (token and candidates, audit writer). A store
belongs to one event loop: a new loop (a test client's) gets its own, the old one is
dropped without touching its closed loop.

If the registry does not exist (no SQLite file, or an unmigrated database), every call
answers 503 with a French message; the service never creates a database by itself
(``ardoise scolarite migrer`` or ``generate`` / ``importer`` do).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from ardoise.scolarite import audit
from ardoise.scolarite.database import database_url, is_migrated, make_engine
from ardoise.scolarite.schema import meta
from ardoise.scolarite.store import Store, open_store
from ardoise.scolarite.throttle import EnumerationGuard, RateLimiter
from ardoise.settings import Settings


class ScolariteService:
    def __init__(
        self,
        url: str,
        *,
        enumeration_threshold: int = 30,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], Awaitable[object] | None] = asyncio.sleep,
        pool_size: int = 20,
    ) -> None:
        self.url = url
        self.clock = clock
        self.sleep = sleep
        self.limiter = RateLimiter()
        self.guard = EnumerationGuard(enumeration_threshold)
        self._pool_size = pool_size
        self._engine: Engine | None = None
        self._async: tuple[asyncio.AbstractEventLoop, Store] | None = None
        self._salt: str | None = None
        self._synthetic: bool | None = None
        self._lock = threading.RLock()  # lazy set-up happens once, whatever the concurrency

    @classmethod
    def from_settings(cls, settings: Settings) -> ScolariteService:
        return cls(
            database_url(settings), enumeration_threshold=settings.scolarite_enumeration_threshold
        )

    def _exists(self) -> bool:
        if self.url.startswith("sqlite:///"):
            return Path(self.url.removeprefix("sqlite:///")).is_file()
        return True

    @property
    def engine(self) -> Engine | None:
        """The engine, or None while the registry does not exist."""
        if self._engine is not None:
            return self._engine
        with self._lock:
            return self._open()

    def _open(self) -> Engine | None:
        if self._engine is not None:
            return self._engine
        if not self._exists():
            return None
        engine = make_engine(self.url, pool_size=self._pool_size)
        try:
            ready = is_migrated(engine)
        except Exception:  # server down or bad URL: same answer as absent
            ready = False
        if not ready:
            engine.dispose()
            return None
        self._engine = engine
        return engine

    @property
    def store(self) -> Store:
        """The API's store (reads and audit writer) of the running event loop; call only
        once ``engine`` is set."""
        loop = asyncio.get_running_loop()
        current = self._async
        if current is not None and current[0] is loop:
            return current[1]
        if current is not None:  # its loop is gone: forget its connections, do not close them
            current[1].forget()
        store = open_store(self.url, self._pool_size, self.clock, self.guard.threshold)
        self._async = (loop, store)
        return store

    @property
    def salt(self) -> str:
        with self._lock:
            if self._salt is None:
                assert self.engine is not None
                self._salt = audit.salt(self.engine)
            return self._salt

    @property
    def synthetic(self) -> bool:
        if self._synthetic is None:
            assert self.engine is not None
            with self.engine.connect() as conn:
                row = conn.execute(select(meta.c.valeur).where(meta.c.cle == "synthetique")).first()
            self._synthetic = row is not None and row[0] == "1"
        return self._synthetic

    async def aclose(self) -> None:
        """At shutdown, on the serving loop: commit what is pending, close the connections."""
        current, self._async = self._async, None
        if current is not None and current[0] is asyncio.get_running_loop():
            await current[1].close()
        elif current is not None:
            current[1].forget()

    def close(self) -> None:
        current, self._async = self._async, None
        if current is not None:
            current[1].forget()
        if self._engine is not None:
            self._engine.dispose()
