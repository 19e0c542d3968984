"""The registry's tables (SQLAlchemy Core). Alembic migrations in ``migrations/`` create
them; this module is the reference other scolarite modules (certificates, statistics)
build on.

* ``scolarite_eleves``  one enrolment of one pupil in one school for one school year.
  Identity columns as written in the school information system, plus ``*_cle`` columns:
  the same names normalised by :func:`ardoise.scolarite.normalise.name_key` (what matching
  compares). ``synthetique`` marks generated rows.
* ``scolarite_jetons``  bearer tokens of administrations: only a SHA-256 of the secret.
* ``scolarite_audit``   append-only, hash-chained journal of every API call.
* ``scolarite_meta``    key/value facts about the registry (synthetic flag, audit salt,
  audit head).
* ``scolarite_debits``  calls of each token in the current second, shared by the server
  processes (PostgreSQL: unlogged).
* ``scolarite_echecs``  unsuccessful searches of each token in the last minute, shared by
  the server processes (PostgreSQL: unlogged).
* ``scolarite_representants``  the legal representatives of each pupil (1 or 2), with the
  identity a FranceConnect sign-in gives (see :mod:`ardoise.scolarite.representatives`).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

eleves = Table(
    "scolarite_eleves",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("identifiant", String(16), nullable=False),  # pupil identifier (INE-like)
    Column("nom_naissance", String(100), nullable=False),
    Column("nom_usage", String(100), nullable=True),
    Column("prenom1", String(60), nullable=False),
    Column("prenom2", String(60), nullable=True),
    Column("prenom3", String(60), nullable=True),
    Column("sexe", String(1), nullable=False),  # "M" / "F" (état civil)
    Column("date_naissance", Date, nullable=False),
    Column("uai", String(8), nullable=False),
    Column("departement", String(3), nullable=False),  # BCN 3-character code (UAI prefix)
    Column("region_academique", String(2), nullable=True),  # BCN région académique
    Column("degre", String(2), nullable=False),  # "1D" / "2D"
    Column("code_ministere", String(2), nullable=False, server_default="06"),
    Column("annee_scolaire", String(9), nullable=False),  # "2025-2026"
    Column("code_mef", String(16), nullable=True),
    Column("libelle_mef", String(120), nullable=True),
    Column("statut", String(2), nullable=False),  # ST, AP, CQ, FC, ED, IN, FQ, SC, CP, NC
    Column("regime", String(1), nullable=True),  # BCN régime: 0..6
    Column("boursier", Boolean, nullable=False, server_default="0"),
    Column("echelon_bourse", SmallInteger, nullable=True),
    Column("date_entree", Date, nullable=False),
    Column("date_sortie", Date, nullable=True),
    Column("synthetique", Boolean, nullable=False, server_default="0"),
    Column("nom_naissance_cle", String(100), nullable=False),
    Column("nom_usage_cle", String(100), nullable=True),
    Column("prenoms_cle", String(200), nullable=False),  # keys of the given names, "|"-joined
    UniqueConstraint("identifiant", "annee_scolaire", "uai", name="uq_eleves_inscription"),
)
Index("ix_eleves_naissance_uai", eleves.c.date_naissance, eleves.c.uai)
Index("ix_eleves_naissance_dep", eleves.c.date_naissance, eleves.c.departement)
Index("ix_eleves_uai", eleves.c.uai, eleves.c.annee_scolaire)

jetons = Table(
    "scolarite_jetons",
    metadata,
    Column("id", String(36), primary_key=True),  # public token id (shown in lists, audit)
    Column("empreinte", String(64), nullable=False, unique=True),  # sha256 of the secret
    Column("siret", String(14), nullable=False),
    Column("intitule", String(200), nullable=False),  # administration and purpose
    Column("scopes", Text, nullable=False),  # space-separated
    Column("cree_le", DateTime(timezone=True), nullable=False),
    Column("expire_le", DateTime(timezone=True), nullable=False),
    Column("revoque_le", DateTime(timezone=True), nullable=True),
    Column("limite_par_seconde", Integer, nullable=False, server_default="20"),
    Column("habilitation_id", String(36), nullable=True),  # issue #16
)

audit = Table(
    "scolarite_audit",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    ),
    Column("horodatage", String(32), nullable=False),  # ISO 8601 UTC, microseconds
    Column("genre", String(16), nullable=False),  # "appel", "ancre" (purge), "famille"
    Column("jeton_id", String(36), nullable=True),
    Column("recipient", String(32), nullable=True),
    Column("request_id", String(64), nullable=False),
    Column("endpoint", String(80), nullable=False),
    Column("statut", Integer, nullable=False),  # HTTP status of the answer
    Column("resultat", String(40), nullable=False),  # outcome code (trouve, ambigu, 401…)
    # salted hash, never clear: of the pupil when the call identified exactly one (what the
    # families' view reads, issue #16), else of the call's parameters (audit.call_hash)
    Column("empreinte_parametres", String(64), nullable=False),
    Column("drapeau", String(40), nullable=True),  # e.g. "enumeration"
    # no longer written (migration 0008): entries of 0006–0007 kept the pupil's hash here
    # besides their parameters'; read until the retention purge has removed them, since
    # it is hashed into their chain (and only when set)
    Column("empreinte_eleve", String(64), nullable=True),
    Column("precedent", String(64), nullable=False),  # hash of the previous entry
    Column("empreinte", String(64), nullable=False),  # hash of this entry (incl. precedent)
)

meta = Table(
    "scolarite_meta",
    metadata,
    Column("cle", String(40), primary_key=True),
    Column("valeur", Text, nullable=False),
)

debits = Table(
    "scolarite_debits",
    metadata,
    Column("jeton_id", String(36), primary_key=True),
    Column("seconde", BigInteger, nullable=False),  # Unix second of the window
    Column("appels", Integer, nullable=False),  # calls of the token in that second
)

echecs = Table(
    "scolarite_echecs",
    metadata,
    Column("jeton_id", String(36), nullable=False),
    Column("instant", Float, nullable=False),  # Unix time of the unsuccessful search
)
Index("ix_echecs_jeton", echecs.c.jeton_id, echecs.c.instant)

representants = Table(
    "scolarite_representants",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("identifiant_eleve", String(16), nullable=False),  # scolarite_eleves.identifiant
    Column("rang", SmallInteger, nullable=False),  # 1 or 2
    Column("lien", String(20), nullable=False),  # mere, pere, tuteur, autre
    Column("nom_naissance", String(100), nullable=False),
    Column("nom_usage", String(100), nullable=True),
    Column("prenoms", String(200), nullable=False),  # space-separated, as FranceConnect
    Column("date_naissance", Date, nullable=False),
    Column("lieu_naissance", String(5), nullable=True),  # COG code, FranceConnect birthplace
    Column("courriel", String(200), nullable=True),  # contact only, never used to match
    Column("sub", String(128), nullable=True),  # a provider subject already tied to the row
    Column("synthetique", Boolean, nullable=False, server_default="0"),
    Column("nom_naissance_cle", String(100), nullable=False),
    Column("nom_usage_cle", String(100), nullable=True),
    Column("prenom_cle", String(60), nullable=False),  # key of the first given name
    UniqueConstraint("identifiant_eleve", "rang", name="uq_representants_rang"),
)
Index(
    "ix_representants_pivot",
    representants.c.nom_naissance_cle,
    representants.c.date_naissance,
)
Index("ix_representants_sub", representants.c.sub)
Index("ix_jetons_habilitation", jetons.c.habilitation_id)
Index("ix_audit_eleve", audit.c.empreinte_eleve)
Index("ix_audit_empreinte", audit.c.empreinte_parametres)
