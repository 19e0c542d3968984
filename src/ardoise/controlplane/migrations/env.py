"""Alembic environment: the caller passes an open connection in ``config.attributes``. The
version table is the control plane's own, so it can share a database with the registry."""

from __future__ import annotations

from alembic import context

from ardoise.controlplane.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through database.migrate
    raise RuntimeError("Les migrations s'appliquent par ardoise.controlplane.database.migrate().")
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table="cp_alembic_version",
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
