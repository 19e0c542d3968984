"""Scheduled harvests and account session epochs (issue #15, helper "declare").

* ``cp_moissons``: one harvest per dataset (an Opendatasoft-compatible or DCAT catalogue,
  or a plain URL), its frequency, when it is due next, and what the source answered last
  time (ETag, Last-Modified, SHA-256), so an unchanged source submits nothing.
* ``cp_comptes.session_epoque``: bumped when an account is deactivated; a session cookie
  carries the epoch it was opened in and is refused once it differs.

Revision ID: cp0006_declare
Revises: cp0004_habil
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cp0006_declare"
down_revision = "cp0004_habil"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "cp_comptes",
        sa.Column("session_epoque", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_table(
        "cp_moissons",
        sa.Column("dataset_id", sa.String(100), primary_key=True),
        sa.Column("organisation_id", sa.String(40), nullable=False),
        sa.Column("genre", sa.String(12), nullable=False),
        sa.Column("source", sa.String(2000), nullable=False),
        sa.Column("identifiant", sa.String(300), nullable=True),
        sa.Column("frequence", sa.String(16), nullable=False),
        sa.Column("prochaine", _TS, nullable=False),
        sa.Column("etag", sa.String(300), nullable=True),
        sa.Column("modifie", sa.String(100), nullable=True),
        sa.Column("empreinte", sa.String(64), nullable=True),
        sa.Column("derniere", _TS, nullable=True),
        sa.Column("dernier_etat", sa.String(300), nullable=True),
        sa.Column("cree_le", _TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("cp_moissons")
    with op.batch_alter_table("cp_comptes") as batch:
        batch.drop_column("session_epoque")
