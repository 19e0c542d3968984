"""Alembic environment: the caller passes an open connection in ``config.attributes``."""

from __future__ import annotations

from alembic import context

from ardoise.scolarite.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through database.migrate
    raise RuntimeError("Les migrations s'appliquent par ardoise.scolarite.database.migrate().")
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
