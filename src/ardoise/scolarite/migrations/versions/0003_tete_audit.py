"""Audit head row created with the schema, so that concurrent first writers never race
to create it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_HEAD = "audit_tete"


def upgrade() -> None:
    conn = op.get_bind()
    meta = sa.table("scolarite_meta", sa.column("cle", sa.String), sa.column("valeur", sa.Text))
    if conn.execute(sa.select(meta.c.cle).where(meta.c.cle == _HEAD)).first() is None:
        op.bulk_insert(meta, [{"cle": _HEAD, "valeur": "0:" + "0" * 64}])


def downgrade() -> None:
    pass
