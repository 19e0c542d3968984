"""Submitted versions of datasets, their report and their review.

Revision ID: cp0002
Revises: cp0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cp0002"
down_revision = "cp0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cp_soumissions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("dataset_id", sa.String(100), nullable=False),
        sa.Column("organisation_id", sa.String(40), nullable=False),
        sa.Column("compte_id", sa.String(36), nullable=True),
        sa.Column("cle_id", sa.String(36), nullable=True),
        sa.Column("fichier", sa.String(300), nullable=False),
        sa.Column("octets", sa.BigInteger, nullable=False),
        sa.Column("empreinte", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("etat", sa.String(12), nullable=False),
        sa.Column("rapport", sa.Text, nullable=True),
        sa.Column("cree_le", _TS, nullable=False),
        sa.Column("relu_par", sa.String(36), nullable=True),
        sa.Column("relu_le", _TS, nullable=True),
        sa.Column("commentaire", sa.Text, nullable=True),
        sa.Column("release_id", sa.String(40), nullable=True),
        sa.Column("version_base", sa.String(64), nullable=True),
    )
    op.create_index("ix_soumissions_jeu", "cp_soumissions", ["dataset_id", "cree_le"])


def downgrade() -> None:
    op.drop_index("ix_soumissions_jeu", "cp_soumissions")
    op.drop_table("cp_soumissions")
