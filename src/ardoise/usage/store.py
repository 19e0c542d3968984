"""Where the counts of every process meet: SQLite on one machine, PostgreSQL for replicas.

Two tables, the same in both: ``usage_counts`` (day, dataset, surface, detail, device →
calls, bytes), added to by upsert, and ``usage_visitors`` (day, writer → the HyperLogLog
registers of one process for that day, replaced at each flush). Neither holds an address or
a User-Agent.

>>> import tempfile, pathlib
>>> store = open_store(str(pathlib.Path(tempfile.mkdtemp()) / "u.sqlite"))
>>> store.add(Batch({Key("2026-12-07", "ips", "records", "", "phone"): (2, 300)}, {}))
>>> store.add(Batch({Key("2026-12-07", "ips", "records", "", "phone"): (1, 100)}, {}))
>>> store.counts()
[Count(day='2026-12-07', dataset='ips', surface='records', detail='', device='phone', calls=3, bytes=400)]
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ardoise.errors import ConfigError
from ardoise.settings import Settings
from ardoise.usage.hll import Sketch
from ardoise.usage.levels import Level


@dataclass(frozen=True, order=True)
class Key:
    day: str  # ISO date, UTC
    dataset: str
    surface: str
    detail: str
    device: str


@dataclass(frozen=True)
class Count:
    day: str
    dataset: str
    surface: str
    detail: str
    device: str
    calls: int
    bytes: int


@dataclass(frozen=True)
class Batch:
    """What one process adds at one flush: counts, and its sketch of each day by writer."""

    counts: dict[Key, tuple[int, int]]
    sketches: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (day, writer) →
    levels: dict[tuple[str, str, int], int] = field(default_factory=dict)  # see levels.py


class UsageStore(Protocol):
    def add(self, batch: Batch) -> None: ...
    def counts(self, since: str = "") -> list[Count]: ...
    def visitors(self, since: str = "") -> dict[str, int]: ...
    def ping(self) -> None: ...
    def levels(self, since: str = "") -> list[Level]: ...


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS usage_counts (day TEXT NOT NULL, dataset TEXT NOT NULL, "
    "surface TEXT NOT NULL, detail TEXT NOT NULL, device TEXT NOT NULL, calls BIGINT NOT NULL, "
    "bytes BIGINT NOT NULL, PRIMARY KEY (day, dataset, surface, detail, device))",
    "CREATE TABLE IF NOT EXISTS usage_visitors (day TEXT NOT NULL, writer TEXT NOT NULL, "
    "registers {blob} NOT NULL, PRIMARY KEY (day, writer))",
    "CREATE TABLE IF NOT EXISTS service_levels (hour TEXT NOT NULL, outcome TEXT NOT NULL, "
    "bucket INTEGER NOT NULL, calls BIGINT NOT NULL, PRIMARY KEY (hour, outcome, bucket))",
)
_LEVEL = (
    "INSERT INTO service_levels VALUES ({p}, {p}, {p}, {p}) "
    "ON CONFLICT (hour, outcome, bucket) DO UPDATE SET "
    "calls = service_levels.calls + excluded.calls"
)
_LEVELS = "SELECT hour, outcome, bucket, calls FROM service_levels WHERE hour >= {p}"
_ADD = (
    "INSERT INTO usage_counts VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}) "
    "ON CONFLICT (day, dataset, surface, detail, device) DO UPDATE SET "
    "calls = usage_counts.calls + excluded.calls, bytes = usage_counts.bytes + excluded.bytes"
)
_SKETCH = (
    "INSERT INTO usage_visitors VALUES ({p}, {p}, {p}) "
    "ON CONFLICT (day, writer) DO UPDATE SET registers = excluded.registers"
)
_COUNTS = (
    "SELECT day, dataset, surface, detail, device, calls, bytes FROM usage_counts "
    "WHERE day >= {p} ORDER BY day, dataset, surface, detail, device"
)
_VISITORS = "SELECT day, registers FROM usage_visitors WHERE day >= {p}"


def _rows(batch: Batch) -> tuple[list[tuple[Any, ...]], ...]:
    counts = [(*_key(k), c, b) for k, (c, b) in sorted(batch.counts.items())]
    sketches = [(day, writer, regs) for (day, writer), regs in sorted(batch.sketches.items())]
    levels = [(*k, n) for k, n in sorted(batch.levels.items())]
    return counts, sketches, levels


def _key(k: Key) -> tuple[str, ...]:
    return (k.day, k.dataset, k.surface, k.detail, k.device)


def _visitors(rows: list[tuple[Any, Any]]) -> dict[str, int]:
    """The day's estimate: the sum over writers (each has its own salt; see ``hll``)."""
    out: dict[str, int] = {}
    for day, registers in rows:
        out[day] = out.get(day, 0) + Sketch.from_bytes(bytes(registers)).estimate()
    return out


class SqliteStore:
    """The embedded default (``var/usage.sqlite``): every process of one machine, WAL mode."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            for statement in _SCHEMA:
                db.execute(statement.format(blob="BLOB"))

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        # WAL with NORMAL: a commit survives a killed process (what #17 asks), and is not
        # synced to disk each flush (an fsync every 2 s cost the cached path ~3 µs of system
        # CPU per request); only a power cut can lose the last seconds before a checkpoint
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def add(self, batch: Batch) -> None:
        counts, sketches, levels = _rows(batch)
        with self._lock:
            db = self._connect()
            try:
                db.execute("BEGIN IMMEDIATE")
                db.executemany(_ADD.format(p="?"), counts)
                db.executemany(_SKETCH.format(p="?"), sketches)
                db.executemany(_LEVEL.format(p="?"), levels)
                db.execute("COMMIT")
            finally:
                db.close()

    def counts(self, since: str = "") -> list[Count]:
        db = self._connect()
        try:
            return [Count(*row) for row in db.execute(_COUNTS.format(p="?"), (since,))]
        finally:
            db.close()

    def visitors(self, since: str = "") -> dict[str, int]:
        db = self._connect()
        try:
            return _visitors(list(db.execute(_VISITORS.format(p="?"), (since,))))
        finally:
            db.close()

    def levels(self, since: str = "") -> list[Level]:
        db = self._connect()
        try:
            return [Level(*row) for row in db.execute(_LEVELS.format(p="?"), (since,))]
        finally:
            db.close()

    def ping(self) -> None:
        """Raises when the database cannot be read (for ``/ready``)."""
        db = self._connect()
        try:
            db.execute("SELECT count(*) FROM usage_counts WHERE day = ''").fetchall()
        finally:
            db.close()


class PostgresStore:
    """Several replicas: one PostgreSQL database (``ARDOISE_USAGE_DATABASE_URL``)."""

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise ConfigError(
                "ARDOISE_USAGE_DATABASE_URL désigne PostgreSQL, mais le pilote psycopg manque "
                "(pip install 'psycopg[binary]', ou l'extra scolarite)."
            ) from None
        self._psycopg = psycopg
        self.url = url
        with psycopg.connect(url, autocommit=True) as db:
            db.execute("SELECT pg_advisory_lock(1717)")  # two processes creating at once
            try:
                for statement in _SCHEMA:
                    db.execute(statement.format(blob="BYTEA"))
            finally:
                db.execute("SELECT pg_advisory_unlock(1717)")

    def add(self, batch: Batch) -> None:
        counts, sketches, levels = _rows(batch)
        with self._psycopg.connect(self.url) as db, db.cursor() as cur:
            cur.executemany(_ADD.format(p="%s"), counts)
            cur.executemany(_SKETCH.format(p="%s"), sketches)
            cur.executemany(_LEVEL.format(p="%s"), levels)

    def counts(self, since: str = "") -> list[Count]:
        with self._psycopg.connect(self.url) as db:
            return [Count(*row) for row in db.execute(_COUNTS.format(p="%s"), (since,))]

    def visitors(self, since: str = "") -> dict[str, int]:
        with self._psycopg.connect(self.url) as db:
            return _visitors(list(db.execute(_VISITORS.format(p="%s"), (since,))))

    def levels(self, since: str = "") -> list[Level]:
        with self._psycopg.connect(self.url) as db:
            return [Level(*row) for row in db.execute(_LEVELS.format(p="%s"), (since,))]

    def ping(self) -> None:
        """Raises when the server cannot be reached (for ``/ready``)."""
        with self._psycopg.connect(self.url, connect_timeout=2) as db:
            db.execute("SELECT 1").fetchall()


def open_store(url: str) -> UsageStore:
    """``postgresql://…`` → PostgreSQL; anything else is the path of a SQLite file."""
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStore(url)
    return SqliteStore(Path(url))


def configured_store(settings: Settings) -> UsageStore:
    """The store of ``ARDOISE_USAGE_DATABASE_URL``, or the embedded ``var/usage.sqlite``."""
    url = settings.usage_database_url.reveal().strip()
    return open_store(url or str(settings.var_dir / "usage.sqlite"))
