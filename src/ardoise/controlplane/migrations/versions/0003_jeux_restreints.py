"""Restricted datasets and their grants (issue #16).

Revision ID: cp0003
Revises: cp0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cp0003"
down_revision = "cp0002"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cp_jeux_restreints",
        sa.Column("dataset_id", sa.String(100), primary_key=True),
        sa.Column("restreint_le", _TS, nullable=False),
    )
    op.create_table(
        "cp_acces",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("dataset_id", sa.String(100), nullable=False, index=True),
        sa.Column(
            "organisation_id", sa.String(40), sa.ForeignKey("cp_organisations.id"), nullable=False
        ),
        sa.Column("role", sa.String(20), nullable=True),
        sa.Column("filtre", sa.Text, nullable=True),
        sa.Column("champs_masques", sa.Text, nullable=False, server_default=""),
        sa.Column("accorde_par", sa.String(36), nullable=True),
        sa.Column("accorde_le", _TS, nullable=False),
        sa.Column("retire_le", _TS, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("cp_acces")
    op.drop_table("cp_jeux_restreints")
