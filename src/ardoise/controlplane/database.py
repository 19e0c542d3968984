"""Engine and migrations of the control plane.

SQLite by default (``var/controle.db``, for ``make run``), PostgreSQL when the
``controlplane_database_url`` setting holds a ``postgresql://`` URL (production and the
tests). Alembic runs with a programmatic configuration and its own version table
(``cp_alembic_version``), so the control plane may share a database with the registry.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect

from ardoise.migrations import upgrade
from ardoise.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 7_318_001  # pg_advisory_xact_lock key of the control plane's migrations


def database_url(settings: Settings) -> str:
    """The configured URL (a secret: never print it), or the SQLite file under the var dir."""
    url = settings.controlplane_database_url.reveal().strip()
    return url or f"sqlite:///{settings.var_dir / 'controle.db'}"


def _driver_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and cross-thread use."""
    url = _driver_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_size=5, max_overflow=10, hide_parameters=True)
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    return engine


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest migration (idempotent; replicas starting together
    migrate one after the other: ``ardoise.migrations``)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    upgrade(engine, config, MIGRATION_LOCK)


def is_migrated(engine: Engine) -> bool:
    return inspect(engine).has_table("cp_organisations")


def open_control_plane(settings: Settings) -> Engine:
    """The control plane's engine, migrated (creating the SQLite file if needed)."""
    engine = make_engine(database_url(settings))
    migrate(engine)
    return engine


class LazyEngine:
    """The control plane's engine, opened (and migrated) at the first call: an app serves
    the open data without touching the control plane's database until it is used."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def get(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = open_control_plane(self.settings)
            return self._engine
