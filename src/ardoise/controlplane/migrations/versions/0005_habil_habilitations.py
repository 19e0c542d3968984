"""Habilitations to the enrolment API and their instruction thread (issue #16).

Revision ID: cp0004_habil
Revises: cp0004_queue
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cp0004_habil"
down_revision = "cp0004_queue"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "cp_habilitations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "organisation_id", sa.String(40), sa.ForeignKey("cp_organisations.id"), nullable=False
        ),
        sa.Column("etat", sa.String(24), nullable=False),
        sa.Column("base_legale", sa.Text, nullable=False),
        sa.Column("reference", sa.String(300), nullable=False),
        sa.Column("finalite", sa.Text, nullable=False),
        sa.Column("scopes_demandes", sa.Text, nullable=False),
        sa.Column("scopes_accordes", sa.Text, nullable=True),
        sa.Column("volume_annuel", sa.Integer, nullable=False),
        sa.Column("conservation_mois", sa.Integer, nullable=False),
        sa.Column("technique_nom", sa.String(200), nullable=False),
        sa.Column("technique_email", sa.String(254), nullable=False),
        sa.Column("dpd_nom", sa.String(200), nullable=False),
        sa.Column("dpd_email", sa.String(254), nullable=False),
        sa.Column("cree_par", sa.String(36), nullable=True),
        sa.Column("cree_le", _TS, nullable=False),
        sa.Column("soumise_le", _TS, nullable=True),
        sa.Column("decidee_le", _TS, nullable=True),
        sa.Column("validee_le", _TS, nullable=True),
        sa.Column("expire_le", _TS, nullable=True),
        sa.Column("modifiee_le", _TS, nullable=False),
        sa.Column("rappel_30_le", _TS, nullable=True),
        sa.Column("rappel_7_le", _TS, nullable=True),
    )
    op.create_index("ix_habilitations_organisation", "cp_habilitations", ["organisation_id"])
    op.create_table(
        "cp_habilitation_messages",
        sa.Column("seq", _ID, primary_key=True, autoincrement=True),
        sa.Column(
            "habilitation_id",
            sa.String(36),
            sa.ForeignKey("cp_habilitations.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("auteur", sa.String(36), nullable=True),
        sa.Column("cote", sa.String(12), nullable=False),
        sa.Column("evenement", sa.String(24), nullable=True),
        sa.Column("texte", sa.Text, nullable=False),
        sa.Column("cree_le", _TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("cp_habilitation_messages")
    op.drop_index("ix_habilitations_organisation", "cp_habilitations")
    op.drop_table("cp_habilitations")
