"""Issued school certificates (see ``ardoise.scolarite.certificates``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "scolarite_certificats",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("eleve_id", _ID, nullable=False),
        sa.Column("identifiant", sa.String(16), nullable=False),
        sa.Column("uai", sa.String(8), nullable=False),
        sa.Column("annee_scolaire", sa.String(9), nullable=False),
        sa.Column("charge", sa.Text, nullable=False),
        sa.Column("signature", sa.String(88), nullable=False),
        sa.Column("emis_le", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scolarite_certificats")
