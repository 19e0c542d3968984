"""Engines and migrations of the registry.

SQLite by default (``var/scolarite.db``: embedded, zero set-up), PostgreSQL when the
``scolarite_database_url`` setting holds a ``postgresql://`` URL. Alembic runs with a
programmatic configuration (no alembic.ini): the migrations live in ``migrations/``
inside the package, so an installed wheel can migrate its own database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ardoise.migrations import upgrade
from ardoise.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 7_318_002  # pg_advisory_xact_lock key of the enrolment registry's migrations


def database_url(settings: Settings) -> str:
    """The configured URL (a secret: never print it), or the SQLite file under the var dir."""
    url = settings.scolarite_database_url.reveal().strip()
    if not url:
        return f"sqlite:///{settings.var_dir / 'scolarite.db'}"
    return url


def _driver_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")  # WAL: commits survive a killed process
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()


def _sqlite_dir(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str, pool_size: int = 20) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and cross-thread use."""
    url = _driver_url(url)
    if url.startswith("sqlite"):
        _sqlite_dir(url)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,  # SQL logs, if ever enabled, never show names
            pool_size=pool_size,
            max_overflow=pool_size,
        )
        _sqlite_pragmas(engine)
        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,  # no pre-ping: it would cost one round trip per request
        hide_parameters=True,  # SQL logs, if ever enabled, never show names
    )


def make_async_engine(url: str, pool_size: int = 20) -> AsyncEngine:
    """The asynchronous engine of the API's hot path (psycopg's async mode, aiosqlite for
    SQLite), bound to the event loop that first uses it. Same schema, same statements: the
    API runs the Core functions of ``tokens``, ``matching`` and ``audit`` through
    ``AsyncConnection.run_sync``."""
    url = _driver_url(url)
    if url.startswith("sqlite"):
        _sqlite_dir(url)
        engine = create_async_engine(
            url.replace("sqlite://", "sqlite+aiosqlite://", 1),
            connect_args={"timeout": 30},
            hide_parameters=True,
            pool_size=pool_size,
            max_overflow=pool_size,
        )
        _sqlite_pragmas(engine.sync_engine)
        return engine
    return create_async_engine(
        url.replace("postgresql+psycopg://", "postgresql+psycopg_async://", 1),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        hide_parameters=True,
    )


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest migration (idempotent; replicas starting together
    migrate one after the other: ``ardoise.migrations``)."""
    upgrade(engine, alembic_config(engine), MIGRATION_LOCK)


def is_migrated(engine: Engine) -> bool:
    return inspect(engine).has_table("scolarite_eleves")
