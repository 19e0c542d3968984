"""Per-token call counters shared by every server process (the 20 calls/s limit holds
whatever the number of workers). UNLOGGED in PostgreSQL: counters need no durability, so
their updates write no WAL and wait for no disk.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "scolarite_debits",
        sa.Column("jeton_id", sa.String(36), primary_key=True),
        sa.Column("seconde", sa.BigInteger, nullable=False),
        sa.Column("appels", sa.Integer, nullable=False),
        prefixes=["UNLOGGED"] if postgres else [],
    )


def downgrade() -> None:
    op.drop_table("scolarite_debits")
