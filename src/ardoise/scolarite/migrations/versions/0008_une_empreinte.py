"""A call's one hash (issue #16: the families' view « without storing anything new about the
pupil »): a call that identified one pupil keeps that pupil's salted hash as its
``empreinte_parametres`` instead of a second column. Indexed, since the families' view
looks a child's checks up by it. ``empreinte_eleve`` stays for the entries that have it
(hashed into their chain), never written again.

Revision ID: 0008_une_empreinte
Revises: 0006_habil
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

revision = "0008_une_empreinte"
down_revision = "0006_habil"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_empreinte", "scolarite_audit", ["empreinte_parametres"])


def downgrade() -> None:
    op.drop_index("ix_audit_empreinte", "scolarite_audit")
