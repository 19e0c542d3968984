"""Each token may belong to a habilitation (issue #16): ``habilitation_id``, nullable (a
token created by an operator before habilitations existed has none).

Revision ID: 0006_habil
Revises: 0006_families
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_habil"
down_revision = "0006_families"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scolarite_jetons") as batch:
        batch.add_column(sa.Column("habilitation_id", sa.String(36), nullable=True))
    op.create_index("ix_jetons_habilitation", "scolarite_jetons", ["habilitation_id"])


def downgrade() -> None:
    op.drop_index("ix_jetons_habilitation", "scolarite_jetons")
    with op.batch_alter_table("scolarite_jetons") as batch:
        batch.drop_column("habilitation_id")
