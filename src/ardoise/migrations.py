"""Running alembic's migrations safely: one at a time in a process, and on PostgreSQL one at
a time per database.

Alembic keeps the migration being run in module-level state (``alembic.context``): two
threads of one process upgrading at once (the control plane opened by a request while the
enrolment registry opens at start-up) read each other's configuration. And several replicas
starting together on an empty PostgreSQL database would each create the same tables. So
:func:`upgrade` holds a process-wide lock, and on PostgreSQL takes a transaction-scoped
advisory lock (its key names the schema's owner) before alembic reads the version table:
the second replica waits, then finds the schema at head and does nothing.
"""

from __future__ import annotations

import threading

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

_ALEMBIC = threading.Lock()  # alembic.context is global to the process


def upgrade(engine: Engine, config: Config, lock_key: int) -> None:
    """Bring ``engine``'s schema to ``config``'s head, in one transaction; ``lock_key``:
    the advisory lock of this schema's migrations on PostgreSQL."""
    with _ALEMBIC, engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
