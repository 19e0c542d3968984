"""The current release announced through PostgreSQL (issue #17): the table
``release_courante`` (one row: id, since, by) that a replica reads when it starts, and a
``NOTIFY ardoise_release, '<id>'`` sent in the same transaction that writes it, so that a
replica never hears of a release the table does not hold.

    announce(url, release_id, by)     # the publishing node, after a publication/rollback
    current(url) -> Announced | None  # what a replica should serve
    listen(url) -> connection         # LISTEN ardoise_release (autocommit), for notifies()

``url`` is ``postgresql://…`` (``ARDOISE_RELEASE_ANNOUNCE_URL``); psycopg is imported only
here, when one is configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

TABLE = "release_courante"
CHANNEL = "ardoise_release"

_CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    " singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),"
    " id text NOT NULL, since timestamptz NOT NULL DEFAULT now(), by text NOT NULL)"
)


@dataclass(frozen=True)
class Announced:
    id: str
    since: datetime
    by: str


def _connect(url: str, autocommit: bool = False) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=autocommit, connect_timeout=5)


def announce(url: str, release_id: str, by: str) -> None:
    """Make ``release_id`` the current release of every replica: the row and the
    notification in one transaction (both or neither)."""
    with _connect(url) as conn:
        conn.execute(_CREATE)
        conn.execute(
            f"INSERT INTO {TABLE} (singleton, id, since, by) VALUES (true, %s, now(), %s)"
            " ON CONFLICT (singleton) DO UPDATE SET id = EXCLUDED.id, since = EXCLUDED.since,"
            " by = EXCLUDED.by",
            (release_id, by),
        )
        conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, release_id))


def current(url: str) -> Announced | None:
    """The announced current release; None before the first announcement."""
    with _connect(url) as conn:
        conn.execute(_CREATE)
        row = conn.execute(f"SELECT id, since, by FROM {TABLE}").fetchone()
    return Announced(row[0], row[1], row[2]) if row else None


def listen(url: str) -> Any:
    """An autocommit connection listening on the channel (``conn.notifies(timeout=…)``);
    the caller closes it."""
    conn = _connect(url, autocommit=True)
    conn.execute(f"LISTEN {CHANNEL}")
    return conn
