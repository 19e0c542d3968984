"""Unsuccessful searches (404, 409) of each token, shared by every server process: the
enumeration throttle holds whatever the number of workers. UNLOGGED in PostgreSQL, like
the call counters; rows older than the one-minute window are deleted as misses arrive.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "scolarite_echecs",
        sa.Column("jeton_id", sa.String(36), nullable=False),
        sa.Column("instant", sa.Float, nullable=False),
        prefixes=["UNLOGGED"] if postgres else [],
    )
    op.create_index("ix_echecs_jeton", "scolarite_echecs", ["jeton_id", "instant"])


def downgrade() -> None:
    op.drop_index("ix_echecs_jeton", "scolarite_echecs")
    op.drop_table("scolarite_echecs")
