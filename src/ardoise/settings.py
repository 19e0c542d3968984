"""One registry of settings; the only module that reads the environment.

Each setting is declared once, as a field of the frozen :class:`Settings`: its name, its
type, its default and its French help text (``setting(default, help)``). ``SETTINGS`` is
derived from those fields, for the README's table and its test. ``load_settings`` reads
``ARDOISE_<NAME>`` environment variables (upper-cased) and returns a ``Settings`` that the
CLI and the web app pass down explicitly.

Types: ``Path``, ``int``, ``str``, ``bool`` (``1``/``0``, ``true``/``false``, ``oui``/``non``
from the environment) and :class:`Secret`, a value that is never printed (its ``repr`` and
``str`` are masked; ``reveal()`` gives it to the one function that uses it). A bad value is
a :class:`~ardoise.errors.ConfigError` in French. Settings of the test suite are not here:
tests read their own variables (``tests/postgres.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from ardoise.errors import ConfigError

_T = TypeVar("_T")


@dataclass(frozen=True)
class Secret:
    """A value that is never printed (a database URL with its password, a key)."""

    _value: str = field(repr=False)

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value.strip())

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __repr__(self) -> str:
        return f"Secret({str(self)!r})"


def setting(default: _T, help: str) -> _T:
    """A field of :class:`Settings`: its default and its French help text."""
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    mirror: Path = setting(
        Path("../shared/data/raw"),
        "Dossier miroir des fichiers sources officiels (lu avant tout téléchargement).",
    )
    var_dir: Path = setting(
        Path("var"),
        "Dossier des releases (var/releases/<id>/), du pointeur var/current et du cache.",
    )
    node_modules: Path = setting(
        Path("node_modules"),
        "Dossier node_modules installé par `make install` (référentiel, mapshaper, DSFR).",
    )
    catalog_dir: Path = setting(
        Path(__file__).resolve().parent / "catalog" / "datasets",
        "Dossier des descripteurs YAML des jeux de données.",
    )
    host: str = setting("127.0.0.1", "Adresse d'écoute du serveur HTTP.")
    port: int = setting(8000, "Port d'écoute du serveur HTTP.")
    workers: int = setting(1, "Processus du serveur HTTP (un par cœur en production).")
    access_log: bool = setting(True, "Journaliser chaque requête HTTP (0 : seulement les erreurs).")
    shutdown_seconds: int = setting(
        30,
        "À l'arrêt (SIGTERM) : secondes laissées aux requêtes et exports en cours pour "
        "finir, nouvelles connexions refusées.",
    )
    log_format: str = setting(
        "texte",
        "Format des journaux : texte, ou json (une ligne JSON par requête : identifiant, "
        "famille de routes, statut, durée, release ; sans données personnelles).",
    )
    ingest_memory_limit: str = setting("2GB", "Mémoire maximale de DuckDB pendant l'ingestion.")
    ingest_threads: int = setting(2, "Nombre de fils d'exécution de DuckDB pendant l'ingestion.")
    query_memory_limit: str = setting(
        "1GB", "Mémoire maximale de DuckDB pour les requêtes de l'API."
    )
    query_threads: int = setting(2, "Fils d'exécution de DuckDB pour les requêtes de l'API.")
    query_time_limit_ms: int = setting(
        5000, "Durée maximale d'une requête de l'API (millisecondes)."
    )
    export_time_limit_ms: int = setting(600000, "Durée maximale d'un export (millisecondes).")
    release_archive_entries: int = setting(
        2,
        "Releases anciennes gardées chargées pour release= ou date= (les moins utilisées partent).",
    )
    release_retention: int = setting(
        0, "Releases servies par release= ou date= : les N plus récentes (0 : toutes)."
    )
    sql_time_limit_ms: int = setting(
        10000, "Durée maximale d'une requête de /api/v1/sql (millisecondes)."
    )
    sql_memory_limit: str = setting("512MB", "Mémoire maximale de DuckDB par requête SQL.")
    sql_max_rows: int = setting(
        5000, "Lignes au plus d'une réponse SQL en JSON ou CSV (au-delà : Parquet)."
    )
    sql_export_max_rows: int = setting(
        1000000, "Lignes au plus d'un résultat SQL téléchargé en Parquet."
    )
    query_materialize: bool = setting(
        True, "Charger les tables de la release en mémoire (requêtes plus rapides)."
    )
    response_cache_entries: int = setting(
        2048, "Nombre de réponses JSON de l'API gardées en cache (0 : pas de cache)."
    )
    response_cache_mb: int = setting(
        64, "Mémoire maximale des réponses de l'API gardées en cache (Mo de corps de réponse)."
    )
    page_cache_entries: int = setting(
        2048, "Nombre de pages du tableau de bord gardées en cache (0 : pas de cache)."
    )
    page_cache_mb: int = setting(
        64, "Mémoire maximale des pages du tableau de bord gardées en cache (Mo)."
    )
    document_cache_entries: int = setting(
        512,
        "Nombre de documents (llms.txt, pages Markdown, catalogue DCAT) gardés en cache "
        "pour la release servie (0 : pas de cache).",
    )
    document_cache_mb: int = setting(
        64, "Mémoire maximale des documents gardés en cache pour la release servie (Mo)."
    )
    rate_limit_per_minute: int = setting(
        0, "Quota de requêtes par adresse IP et par minute (0 : aucun)."
    )
    public_url: str = setting(
        "http://127.0.0.1:8000", "Adresse publique du service (liens des réponses)."
    )
    ark_prefix: str = setting(
        "ark:/99999/fk4ardoise",
        "Préfixe des identifiants pérennes (ARK) des releases et des versions de jeux.",
    )
    download_timeout_s: int = setting(
        60, "Délai maximal d'un téléchargement de source absente du miroir."
    )
    allow_download: bool = setting(
        False, "Télécharger une source absente du miroir (réseau requis)."
    )
    trusted_proxies: str = setting(
        "",
        "Adresses des mandataires (virgules) dont X-Forwarded-For est cru (vide : aucun).",
    )
    max_header_bytes: int = setting(
        16384, "Taille maximale des en-têtes d'une requête (octets ; au-delà : 431)."
    )
    scolarite_database_url: Secret = setting(
        Secret(""),
        "Registre scolarité : URL SQLAlchemy (postgresql://…) ; vide = SQLite dans var/.",
    )
    scolarite_audit_retention_days: int = setting(
        365, "Registre scolarité : durée de conservation du journal d'audit (jours)."
    )
    scolarite_token_expiry_days: int = setting(
        548, "Registre scolarité : durée de validité par défaut d'un jeton (jours, 18 mois)."
    )
    scolarite_rate_limit_per_second: int = setting(
        20, "Registre scolarité : requêtes par seconde et par jeton (défaut des nouveaux jetons)."
    )
    scolarite_enumeration_threshold: int = setting(
        30,
        "Registre scolarité : recherches infructueuses par jeton et par minute avant "
        "ralentissement et signalement (énumération).",
    )
    scolarite_secret_seuil: int = setting(
        5, "Statistiques du registre : plus petit effectif publié (secret statistique primaire)."
    )
    indicateurs_secret_seuil: int = setting(
        5,
        "Indicateurs de comptage d'un jeu restreint, publiés sous secret statistique : plus "
        "petit effectif publié (1 : aucun secret).",
    )
    controlplane_database_url: Secret = setting(
        Secret(""),
        "Espace des producteurs (organisations, comptes, clés, journal) : URL SQLAlchemy "
        "(postgresql://…) ; vide = SQLite dans var/.",
    )
    upload_max_mb: int = setting(
        200, "Espace des producteurs : taille maximale d'un fichier soumis (Mo)."
    )
    url_fetch_timeout_s: int = setting(
        120, "Soumission par URL : durée maximale du téléchargement (secondes)."
    )
    url_allow_private: bool = setting(
        False,
        "Soumission par URL : admettre les adresses privées et locales (réseau interne, tests).",
    )
    queue_worker_in_process: str = setting(
        "auto",
        "File des validations : travailleur dans le processus d'ardoise serve (auto = avec "
        "SQLite seulement ; oui ; non = ardoise travailleur à part).",
    )
    queue_lease_s: int = setting(
        60,
        "File des validations : secondes sans battement après lesquelles une tâche est reprise "
        "par un autre travailleur (travailleur arrêté).",
    )
    queue_max_attempts: int = setting(
        3, "File des validations : tentatives d'une tâche avant de la déclarer échouée."
    )
    queue_poll_ms: int = setting(
        1000, "File des validations : millisecondes entre deux regards d'un travailleur inoccupé."
    )
    oidc_issuer: str = setting(
        "",
        "Connexion OpenID Connect (ProConnect…) : URL de l'émetteur ; vide = pas de connexion OIDC.",
    )
    oidc_client_id: str = setting("", "Connexion OpenID Connect : identifiant du client.")
    oidc_client_secret: Secret = setting(Secret(""), "Connexion OpenID Connect : secret du client.")
    oidc_scopes: str = setting(
        "openid email profile", "Connexion OpenID Connect : portées demandées (espaces)."
    )
    local_sign_in: bool = setting(
        False, "Connexion par mot de passe des comptes locaux (développement seulement)."
    )
    session_secret: Secret = setting(
        Secret(""),
        "Clé de signature des cookies de session ; vide = une clé tirée au hasard et gardée "
        "dans var/session.key.",
    )
    session_hours: int = setting(8, "Durée d'une session de l'espace des producteurs (heures).")
    franceconnect_issuer: str = setting(
        "",
        "Vue des familles : URL de l'émetteur OpenID Connect (FranceConnect) ; vide = pas de "
        "vue des familles.",
    )
    franceconnect_client_id: str = setting("", "Vue des familles : identifiant du client OIDC.")
    franceconnect_client_secret: Secret = setting(
        Secret(""), "Vue des familles : secret du client OIDC."
    )
    franceconnect_scopes: str = setting(
        "openid given_name family_name birthdate birthplace email",
        "Vue des familles : portées demandées (l'identité pivot de FranceConnect).",
    )
    famille_seuil: int = setting(
        10,
        "Vue des familles : tentatives par personne et par minute (enfant non rattaché, "
        "connexions) avant ralentissement ; le double : refus.",
    )
    smtp_host: str = setting("", "Courriels : serveur SMTP ; vide = aucun courriel envoyé.")
    smtp_port: int = setting(587, "Courriels : port du serveur SMTP.")
    smtp_user: str = setting("", "Courriels : identifiant SMTP (vide : sans authentification).")
    smtp_password: Secret = setting(Secret(""), "Courriels : mot de passe SMTP.")
    smtp_starttls: bool = setting(True, "Courriels : chiffrer la connexion SMTP (STARTTLS).")
    smtp_sender: str = setting(
        "Ardoise <ne-pas-repondre@ardoise.invalid>", "Courriels : adresse d'expédition."
    )
    scolarite_secret_petit_groupe: int = setting(
        11,
        "Statistiques du registre : en dessous de cet effectif, un taux de 0 % ou 100 % "
        "(par sexe) est caché.",
    )
    usage_count: bool = setting(
        True, "Compter les usages (jour × jeu × surface, sans adresse IP ni User-Agent)."
    )
    usage_database_url: Secret = setting(
        Secret(""),
        "Compteurs d'usage : URL postgresql://… (répliques) ; vide = SQLite var/usage.sqlite.",
    )
    usage_flush_seconds: int = setting(
        2, "Compteurs d'usage : secondes entre deux écritures groupées (perte maximale)."
    )
    quota_database_url: Secret = setting(
        Secret(""),
        "Quota par adresse partagé entre processus et répliques : URL postgresql://… (la "
        "même que celle des usages convient) ; vide = compté par processus.",
    )
    quota_secret: Secret = setting(
        Secret(""),
        "Quota partagé : secret commun aux répliques (16 caractères au moins) dont dérive "
        "chaque jour la clé du hachage des adresses.",
    )
    quota_sync_ms: int = setting(
        500,
        "Quota partagé : millisecondes entre deux synchronisations d'un processus avec "
        "PostgreSQL (ce qu'un processus laisse passer au plus au-delà du quota).",
    )
    release_bucket: str = setting(
        "", "Releases en stockage objet : bucket S3 ; vide = aucune distribution."
    )
    release_s3_endpoint: str = setting(
        "", "Releases en stockage objet : URL du service S3 compatible ; vide = AWS."
    )
    release_s3_prefix: str = setting(
        "ardoise/", "Releases en stockage objet : préfixe des clés dans le bucket."
    )
    release_announce_url: Secret = setting(
        Secret(""),
        "Annonce de la release courante : URL postgresql://… (table release_courante, "
        "NOTIFY) ; vide = aucune annonce.",
    )
    release_follow: bool = setting(
        False, "Réplique : suivre les annonces (télécharger, vérifier, basculer)."
    )
    release_follow_seconds: int = setting(
        30, "Réplique : secondes entre deux relectures de l'annonce (et nouvel essai)."
    )

    @property
    def releases_dir(self) -> Path:
        return self.var_dir / "releases"

    @property
    def current_link(self) -> Path:
        return self.var_dir / "current"

    @property
    def cache_dir(self) -> Path:
        return self.var_dir / "cache"

    @property
    def public_url_set(self) -> str | None:
        """``public_url`` when it was set (differs from its default), else None: links are
        then built from each request's host and port (``urls.serving_base``)."""
        default = next(f.default for f in fields(self) if f.name == "public_url")
        return self.public_url if self.public_url != default else None

    def replace(self, **changes: object) -> Settings:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return _build(values)


@dataclass(frozen=True)
class Setting:
    """One setting as the README and ``ardoise`` show it (derived from ``Settings``)."""

    name: str
    default: object
    help: str
    kind: str  # "Path", "str", "int", "bool" or "Secret"


SETTINGS: tuple[Setting, ...] = tuple(
    Setting(f.name, f.default, f.metadata["help"], str(f.type)) for f in fields(Settings)
)

_TRUE = frozenset({"1", "true", "oui", "yes", "on", "vrai"})
_FALSE = frozenset({"0", "false", "non", "no", "off", "faux", ""})


def _boolean(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("booléen attendu : 1 ou 0, oui ou non, true ou false")


def _secret(raw: object) -> Secret:
    return raw if isinstance(raw, Secret) else Secret(str(raw))


_PARSERS: dict[str, Callable[[object], Any]] = {
    # a relative path is the working directory's (as the README says), made absolute when
    # read: a path handed on (a symlink, a subprocess) means the same folder
    "Path": lambda raw: Path(os.path.abspath(Path(str(raw)).expanduser())),
    "int": lambda raw: int(str(raw)),
    "str": str,
    "bool": _boolean,
    "Secret": _secret,
}


def _build(values: Mapping[str, object]) -> Settings:
    kinds = {s.name: s.kind for s in SETTINGS}
    out: dict[str, object] = {}
    for name, raw in values.items():
        if name not in kinds:
            raise ConfigError(f"Réglage inconnu : {name!r}.")
        try:
            out[name] = _PARSERS[kinds[name]](raw)
        except ValueError as exc:
            shown = "(masqué)" if kinds[name] == "Secret" else repr(raw)
            raise ConfigError(
                f"Réglage {name!r} (ARDOISE_{name.upper()}) invalide : {shown} ({exc})."
            ) from None
    return Settings(**out)  # type: ignore[arg-type]


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Settings from defaults, then ``ARDOISE_*`` variables, then explicit overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {s.name: s.default for s in SETTINGS}
    for s in SETTINGS:
        key = f"ARDOISE_{s.name.upper()}"
        if key in env:
            values[s.name] = env[key]
    values.update({k: v for k, v in overrides.items() if v is not None})
    return _build(values)
