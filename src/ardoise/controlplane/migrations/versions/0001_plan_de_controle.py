"""Organisations, accounts, members, API keys, dataset owners and the journal.

Revision ID: cp0001
Revises:
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cp0001"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cp_organisations",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("nom", sa.String(200), nullable=False),
        sa.Column("siret", sa.String(14), nullable=False, unique=True),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("territoire", sa.String(20), nullable=True),
        sa.Column("cree_le", _TS, nullable=False),
    )
    op.create_table(
        "cp_comptes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("nom", sa.String(200), nullable=False),
        sa.Column("mot_de_passe", sa.String(200), nullable=True),
        sa.Column("oidc_emetteur", sa.String(300), nullable=True),
        sa.Column("oidc_sujet", sa.String(255), nullable=True),
        sa.Column("administrateur_national", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("cree_le", _TS, nullable=False),
        sa.Column("desactive_le", _TS, nullable=True),
        sa.UniqueConstraint("oidc_emetteur", "oidc_sujet", name="uq_comptes_oidc"),
    )
    op.create_table(
        "cp_membres",
        sa.Column(
            "organisation_id",
            sa.String(40),
            sa.ForeignKey("cp_organisations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("compte_id", sa.String(36), sa.ForeignKey("cp_comptes.id"), primary_key=True),
        sa.Column("role", sa.String(20), primary_key=True),
        sa.Column("ajoute_le", _TS, nullable=False),
    )
    op.create_table(
        "cp_cles",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "organisation_id",
            sa.String(40),
            sa.ForeignKey("cp_organisations.id"),
            nullable=False,
        ),
        sa.Column("empreinte", sa.String(64), nullable=False, unique=True),
        sa.Column("intitule", sa.String(200), nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("cree_le", _TS, nullable=False),
        sa.Column("cree_par", sa.String(36), nullable=True),
        sa.Column("revoquee_le", _TS, nullable=True),
        sa.Column("derniere_utilisation", _TS, nullable=True),
    )
    op.create_table(
        "cp_jeux",
        sa.Column("dataset_id", sa.String(100), primary_key=True),
        sa.Column(
            "organisation_id",
            sa.String(40),
            sa.ForeignKey("cp_organisations.id"),
            nullable=False,
        ),
        sa.Column("declare_le", _TS, nullable=False),
    )
    op.create_table(
        "cp_journal",
        sa.Column("seq", _ID, primary_key=True, autoincrement=True),
        sa.Column("horodatage", _TS, nullable=False),
        sa.Column("organisation_id", sa.String(40), nullable=True),
        sa.Column("compte_id", sa.String(36), nullable=True),
        sa.Column("cle_id", sa.String(36), nullable=True),
        sa.Column("session_id", sa.String(64), nullable=True),
        sa.Column("origine", sa.String(12), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("objet", sa.String(200), nullable=True),
        sa.Column("details", sa.Text, nullable=True),
    )
    op.create_index("ix_journal_organisation", "cp_journal", ["organisation_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_journal_organisation", "cp_journal")
    for name in ("cp_journal", "cp_jeux", "cp_cles", "cp_membres", "cp_comptes"):
        op.drop_table(name)
    op.drop_table("cp_organisations")
