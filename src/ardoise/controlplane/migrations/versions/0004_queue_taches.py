"""The background job queue of the control plane: one row per validation job (issue #15);
the URL a submitted version is fetched from by its job.

Revision ID: cp0004_queue
Revises: cp0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cp0004_queue"
down_revision = "cp0003"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "cp_taches",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("soumission_id", sa.String(36), nullable=False, unique=True),
        sa.Column("etat", sa.String(12), nullable=False),
        sa.Column("tentatives", sa.Integer, nullable=False, server_default="0"),
        sa.Column("etape", sa.String(20), nullable=True),
        sa.Column("avancement", sa.Integer, nullable=False, server_default="0"),
        sa.Column("travailleur", sa.String(80), nullable=True),
        sa.Column("cree_le", _TS, nullable=False),
        sa.Column("disponible_le", _TS, nullable=False),
        sa.Column("battement", _TS, nullable=True),
        sa.Column("fini_le", _TS, nullable=True),
        sa.Column("erreur", sa.Text, nullable=True),
    )
    op.create_index("ix_taches_etat", "cp_taches", ["etat", "disponible_le"])
    # a version submitted by URL is fetched by its validation job, not by the request
    op.add_column("cp_soumissions", sa.Column("url_source", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("cp_soumissions", "url_source")
    op.drop_index("ix_taches_etat", "cp_taches")
    op.drop_table("cp_taches")
