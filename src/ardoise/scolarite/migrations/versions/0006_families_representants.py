"""Legal representatives of pupils (synthetic registry first), and the salted hash of the
pupil each call identified in the audit journal: what the families' view reads (issue #16).

Revision ID: 0006_families
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_families"
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "scolarite_representants",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("identifiant_eleve", sa.String(16), nullable=False),
        sa.Column("rang", sa.SmallInteger, nullable=False),
        sa.Column("lien", sa.String(20), nullable=False),
        sa.Column("nom_naissance", sa.String(100), nullable=False),
        sa.Column("nom_usage", sa.String(100), nullable=True),
        sa.Column("prenoms", sa.String(200), nullable=False),
        sa.Column("date_naissance", sa.Date, nullable=False),
        sa.Column("lieu_naissance", sa.String(5), nullable=True),
        sa.Column("courriel", sa.String(200), nullable=True),
        sa.Column("sub", sa.String(128), nullable=True),
        sa.Column("synthetique", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("nom_naissance_cle", sa.String(100), nullable=False),
        sa.Column("nom_usage_cle", sa.String(100), nullable=True),
        sa.Column("prenom_cle", sa.String(60), nullable=False),
        sa.UniqueConstraint("identifiant_eleve", "rang", name="uq_representants_rang"),
    )
    op.create_index(
        "ix_representants_pivot",
        "scolarite_representants",
        ["nom_naissance_cle", "date_naissance"],
    )
    op.create_index("ix_representants_sub", "scolarite_representants", ["sub"])
    op.add_column("scolarite_audit", sa.Column("empreinte_eleve", sa.String(64), nullable=True))
    op.create_index("ix_audit_eleve", "scolarite_audit", ["empreinte_eleve"])


def downgrade() -> None:
    op.drop_index("ix_audit_eleve", "scolarite_audit")
    with op.batch_alter_table("scolarite_audit") as batch:
        batch.drop_column("empreinte_eleve")
    op.drop_index("ix_representants_sub", "scolarite_representants")
    op.drop_index("ix_representants_pivot", "scolarite_representants")
    op.drop_table("scolarite_representants")
