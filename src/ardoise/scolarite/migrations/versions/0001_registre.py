"""Registry, tokens, audit journal and meta tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "scolarite_eleves",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("identifiant", sa.String(16), nullable=False),
        sa.Column("nom_naissance", sa.String(100), nullable=False),
        sa.Column("nom_usage", sa.String(100), nullable=True),
        sa.Column("prenom1", sa.String(60), nullable=False),
        sa.Column("prenom2", sa.String(60), nullable=True),
        sa.Column("prenom3", sa.String(60), nullable=True),
        sa.Column("sexe", sa.String(1), nullable=False),
        sa.Column("date_naissance", sa.Date, nullable=False),
        sa.Column("uai", sa.String(8), nullable=False),
        sa.Column("departement", sa.String(3), nullable=False),
        sa.Column("region_academique", sa.String(2), nullable=True),
        sa.Column("degre", sa.String(2), nullable=False),
        sa.Column("code_ministere", sa.String(2), nullable=False, server_default="06"),
        sa.Column("annee_scolaire", sa.String(9), nullable=False),
        sa.Column("code_mef", sa.String(16), nullable=True),
        sa.Column("libelle_mef", sa.String(120), nullable=True),
        sa.Column("statut", sa.String(2), nullable=False),
        sa.Column("regime", sa.String(1), nullable=True),
        sa.Column("boursier", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("echelon_bourse", sa.SmallInteger, nullable=True),
        sa.Column("date_entree", sa.Date, nullable=False),
        sa.Column("date_sortie", sa.Date, nullable=True),
        sa.Column("synthetique", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("nom_naissance_cle", sa.String(100), nullable=False),
        sa.Column("nom_usage_cle", sa.String(100), nullable=True),
        sa.Column("prenoms_cle", sa.String(200), nullable=False),
        sa.UniqueConstraint("identifiant", "annee_scolaire", "uai", name="uq_eleves_inscription"),
    )
    op.create_index("ix_eleves_naissance_uai", "scolarite_eleves", ["date_naissance", "uai"])
    op.create_index(
        "ix_eleves_naissance_dep", "scolarite_eleves", ["date_naissance", "departement"]
    )
    op.create_index("ix_eleves_uai", "scolarite_eleves", ["uai", "annee_scolaire"])
    op.create_table(
        "scolarite_jetons",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("empreinte", sa.String(64), nullable=False, unique=True),
        sa.Column("siret", sa.String(14), nullable=False),
        sa.Column("intitule", sa.String(200), nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("cree_le", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expire_le", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoque_le", sa.DateTime(timezone=True), nullable=True),
        sa.Column("limite_par_seconde", sa.Integer, nullable=False, server_default="20"),
    )
    op.create_table(
        "scolarite_audit",
        sa.Column("seq", _ID, primary_key=True, autoincrement=False),
        sa.Column("horodatage", sa.String(32), nullable=False),
        sa.Column("genre", sa.String(16), nullable=False),
        sa.Column("jeton_id", sa.String(36), nullable=True),
        sa.Column("recipient", sa.String(32), nullable=True),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("endpoint", sa.String(80), nullable=False),
        sa.Column("statut", sa.Integer, nullable=False),
        sa.Column("resultat", sa.String(40), nullable=False),
        sa.Column("empreinte_parametres", sa.String(64), nullable=False),
        sa.Column("drapeau", sa.String(40), nullable=True),
        sa.Column("precedent", sa.String(64), nullable=False),
        sa.Column("empreinte", sa.String(64), nullable=False),
    )
    op.create_table(
        "scolarite_meta",
        sa.Column("cle", sa.String(40), primary_key=True),
        sa.Column("valeur", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for name in ("scolarite_meta", "scolarite_audit", "scolarite_jetons", "scolarite_eleves"):
        op.drop_table(name)
