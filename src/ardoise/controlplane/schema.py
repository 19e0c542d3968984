"""The control plane's tables (SQLAlchemy Core); ``migrations/`` creates them.

* ``cp_organisations``  producers and users of the platform: ministry directions, DEPP,
  académies, régions, départements, communes, operators; SIRET, type and territory.
* ``cp_comptes``        people: a local account (argon2 hash, development only) or an
  OpenID Connect identity (issuer + subject); ``administrateur_national`` is the
  platform-wide role.
* ``cp_membres``        one role of one account in one organisation.
* ``cp_cles``           API keys of an organisation: only a SHA-256 of the secret, scopes,
  revocation and last use.
* ``cp_jeux``           which organisation owns each dataset.
* ``cp_soumissions``    submitted versions: file facts, state, quality report, review.
* ``cp_taches``         the background job queue: one validation job per submission, its
  stage, its worker's heartbeat and its attempts (``controlplane.queue``).
* ``cp_jeux_restreints``, ``cp_acces``  restricted datasets and their grants (issue #16).
* ``cp_habilitations``, ``cp_habilitation_messages``  habilitations to the enrolment API
  and their instruction thread (issue #16).
* ``cp_moissons``        scheduled harvests: source, frequency, next run, last answer.
* ``cp_journal``        every action: who, when, what, from which key or session; never
  the content of a file.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

ID = BigInteger().with_variant(Integer(), "sqlite")

organisations = Table(
    "cp_organisations",
    metadata,
    Column("id", String(40), primary_key=True),  # a slug: "men", "depp", "region-84"
    Column("nom", String(200), nullable=False),
    Column("siret", String(14), nullable=False, unique=True),
    Column("type", String(20), nullable=False),  # OrganisationType value
    Column("territoire", String(20), nullable=True),  # "REG:84", "DEP:69", "COM:69123"
    Column("cree_le", DateTime(timezone=True), nullable=False),
)

comptes = Table(
    "cp_comptes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("nom", String(200), nullable=False),
    Column("mot_de_passe", String(200), nullable=True),  # argon2id hash (local accounts)
    Column("oidc_emetteur", String(300), nullable=True),
    Column("oidc_sujet", String(255), nullable=True),
    Column("administrateur_national", Boolean, nullable=False, server_default="0"),
    Column("cree_le", DateTime(timezone=True), nullable=False),
    Column("desactive_le", DateTime(timezone=True), nullable=True),
    # bumped at deactivation: a session opened in another epoch is refused
    Column("session_epoque", Integer, nullable=False, server_default="0"),
    UniqueConstraint("oidc_emetteur", "oidc_sujet", name="uq_comptes_oidc"),
)

membres = Table(
    "cp_membres",
    metadata,
    Column(
        "organisation_id",
        String(40),
        ForeignKey("cp_organisations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("compte_id", String(36), ForeignKey("cp_comptes.id"), primary_key=True),
    Column("role", String(20), primary_key=True),  # Role value
    Column("ajoute_le", DateTime(timezone=True), nullable=False),
)

cles = Table(
    "cp_cles",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("organisation_id", String(40), ForeignKey("cp_organisations.id"), nullable=False),
    Column("empreinte", String(64), nullable=False, unique=True),
    Column("intitule", String(200), nullable=False),
    Column("scopes", Text, nullable=False),  # space-separated
    Column("cree_le", DateTime(timezone=True), nullable=False),
    Column("cree_par", String(36), nullable=True),  # account id, None from the CLI
    Column("revoquee_le", DateTime(timezone=True), nullable=True),
    Column("derniere_utilisation", DateTime(timezone=True), nullable=True),
)

jeux = Table(
    "cp_jeux",
    metadata,
    Column("dataset_id", String(100), primary_key=True),
    Column("organisation_id", String(40), ForeignKey("cp_organisations.id"), nullable=False),
    Column("declare_le", DateTime(timezone=True), nullable=False),
)

journal = Table(
    "cp_journal",
    metadata,
    Column("seq", ID, primary_key=True, autoincrement=True),
    Column("horodatage", DateTime(timezone=True), nullable=False),
    Column("organisation_id", String(40), nullable=True),
    Column("compte_id", String(36), nullable=True),
    Column("cle_id", String(36), nullable=True),
    Column("session_id", String(64), nullable=True),  # a digest of the session, not the cookie
    Column("origine", String(12), nullable=False),  # "session", "cle", "cli"
    Column("action", String(40), nullable=False),  # Action value
    Column("objet", String(200), nullable=True),  # what the action was on (ids)
    Column("details", Text, nullable=True),  # JSON of small facts, never file content
)

soumissions = Table(
    "cp_soumissions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("dataset_id", String(100), nullable=False),
    Column("organisation_id", String(40), nullable=False),
    Column("compte_id", String(36), nullable=True),  # the submitter (a person) …
    Column("cle_id", String(36), nullable=True),  # … or an API key
    Column("fichier", String(300), nullable=False),  # the file's name as uploaded
    Column("octets", BigInteger, nullable=False),
    Column("empreinte", String(64), nullable=False),  # SHA-256 of the file
    Column("note", Text, nullable=True),  # the producer's note (changelog)
    Column("etat", String(12), nullable=False),  # SubmissionState value
    Column("rapport", Text, nullable=True),  # JSON quality report (no row content)
    Column("cree_le", DateTime(timezone=True), nullable=False),
    Column("relu_par", String(36), nullable=True),
    Column("relu_le", DateTime(timezone=True), nullable=True),
    Column("commentaire", Text, nullable=True),
    Column("release_id", String(40), nullable=True),
    # SHA-256 of the dataset's Parquet file served when the version was submitted: a
    # version checked against an older one is not approved over a newer publication
    Column("version_base", String(64), nullable=True),
    # a version submitted by URL: fetched by its validation job (octets 0 until then)
    Column("url_source", Text, nullable=True),
)

# The job queue (issue #15): a submission's validation runs in a worker, never in a request
taches = Table(
    "cp_taches",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("soumission_id", String(36), nullable=False, unique=True),
    Column("etat", String(12), nullable=False),  # TaskState value
    Column("tentatives", Integer, nullable=False, server_default="0"),
    Column("etape", String(20), nullable=True),  # Stage value while it runs
    Column("avancement", Integer, nullable=False, server_default="0"),  # percent
    Column("travailleur", String(80), nullable=True),  # who holds it (host:pid:thread)
    Column("cree_le", DateTime(timezone=True), nullable=False),
    Column("disponible_le", DateTime(timezone=True), nullable=False),  # not claimed before
    Column("battement", DateTime(timezone=True), nullable=True),  # the holder's last heartbeat
    Column("fini_le", DateTime(timezone=True), nullable=True),
    Column("erreur", Text, nullable=True),  # French, for the submission's page
    Index("ix_taches_etat", "etat", "disponible_le"),
)

# Restricted datasets (issue #16): a dataset listed here is invisible to whoever holds no
# grant on it; each grant names an organisation (and optionally one role in it), the rows it
# admits (ODSQL) and the fields it hides.
jeux_restreints = Table(
    "cp_jeux_restreints",
    metadata,
    Column("dataset_id", String(100), primary_key=True),
    Column("restreint_le", DateTime(timezone=True), nullable=False),
)

acces = Table(
    "cp_acces",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("dataset_id", String(100), nullable=False, index=True),
    Column("organisation_id", String(40), ForeignKey("cp_organisations.id"), nullable=False),
    Column("role", String(20), nullable=True),  # None: every member and key of the organisation
    Column("filtre", Text, nullable=True),  # ODSQL; None: every row
    Column("champs_masques", Text, nullable=False, server_default=""),  # space-separated
    Column("accorde_par", String(36), nullable=True),
    Column("accorde_le", DateTime(timezone=True), nullable=False),
    Column("retire_le", DateTime(timezone=True), nullable=True),
)

# Habilitations (issue #16, the DataPass path): an administration's request for the
# enrolment API, instructed by the ministry; the messages of its thread. The legal basis,
# purpose, scopes and dates are public once granted (the register); the contacts never are.
habilitations = Table(
    "cp_habilitations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("organisation_id", String(40), ForeignKey("cp_organisations.id"), nullable=False),
    Column("etat", String(24), nullable=False),  # HabilitationState value
    Column("base_legale", Text, nullable=False),  # the legal basis, in words
    Column("reference", String(300), nullable=False),  # its reference (article, décret)
    Column("finalite", Text, nullable=False),  # the purpose
    Column("scopes_demandes", Text, nullable=False),  # space-separated
    Column("scopes_accordes", Text, nullable=True),  # set on validation (a subset)
    Column("volume_annuel", Integer, nullable=False),
    Column("conservation_mois", Integer, nullable=False),
    Column("technique_nom", String(200), nullable=False),
    Column("technique_email", String(254), nullable=False),
    Column("dpd_nom", String(200), nullable=False),
    Column("dpd_email", String(254), nullable=False),
    Column("cree_par", String(36), nullable=True),
    Column("cree_le", DateTime(timezone=True), nullable=False),
    Column("soumise_le", DateTime(timezone=True), nullable=True),
    Column("decidee_le", DateTime(timezone=True), nullable=True),
    Column("validee_le", DateTime(timezone=True), nullable=True),  # the grant (register)
    Column("expire_le", DateTime(timezone=True), nullable=True),  # set on validation
    Column("modifiee_le", DateTime(timezone=True), nullable=False),
    Column("rappel_30_le", DateTime(timezone=True), nullable=True),  # reminders sent
    Column("rappel_7_le", DateTime(timezone=True), nullable=True),
)

habilitation_messages = Table(
    "cp_habilitation_messages",
    metadata,
    Column("seq", ID, primary_key=True, autoincrement=True),
    Column(
        "habilitation_id",
        String(36),
        ForeignKey("cp_habilitations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("auteur", String(36), nullable=True),  # account id; None from the CLI
    Column("cote", String(12), nullable=False),  # "partenaire" or "instruction"
    Column("evenement", String(24), nullable=True),  # the transition it came with, if any
    Column("texte", Text, nullable=False),
    Column("cree_le", DateTime(timezone=True), nullable=False),
)

# Harvests (issue #15): a dataset fetched from another catalogue on a schedule; what the
# source answered last time, so that an unchanged source submits nothing.
moissons = Table(
    "cp_moissons",
    metadata,
    Column("dataset_id", String(100), primary_key=True),
    Column("organisation_id", String(40), nullable=False),
    Column("genre", String(12), nullable=False),  # "dcat", "url"
    Column("source", String(2000), nullable=False),  # the catalogue's or the file's URL
    Column("identifiant", String(300), nullable=True),  # the dataset in a DCAT catalogue
    Column("frequence", String(16), nullable=False),  # Frequency value
    Column("prochaine", DateTime(timezone=True), nullable=False),  # next due
    Column("etag", String(300), nullable=True),
    Column("modifie", String(100), nullable=True),  # Last-Modified as sent
    Column("empreinte", String(64), nullable=True),  # SHA-256 of the last file
    Column("derniere", DateTime(timezone=True), nullable=True),
    Column("dernier_etat", String(300), nullable=True),  # what the last run did, in French
    Column("cree_le", DateTime(timezone=True), nullable=False),
)

# The indexes the migrations create, declared here too so that the schema and the migrations
# say the same (tests/test_schema_migrations.py)
Index("ix_journal_organisation", journal.c.organisation_id, journal.c.seq)
Index("ix_soumissions_jeu", soumissions.c.dataset_id, soumissions.c.cree_le)
Index("ix_habilitations_organisation", habilitations.c.organisation_id)
