"""One registry of settings; the only module that reads the environment.

Each setting has a name, a default and a help text. ``load_settings`` reads
``ARDOISE_<NAME>`` environment variables (upper-cased) and returns a frozen
:class:`Settings` that the CLI and the web app pass down explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from ardoise.errors import ConfigError

_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | int
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "mirror",
        str(_ROOT.parent / "shared" / "data" / "raw"),
        "Dossier miroir des fichiers sources officiels (lu avant tout téléchargement).",
    ),
    Setting(
        "var_dir",
        str(_ROOT / "var"),
        "Dossier des releases (var/releases/<id>/), du pointeur var/current et du cache.",
    ),
    Setting(
        "node_modules",
        str(_ROOT / "node_modules"),
        "Dossier node_modules installé par `make install` (référentiel, mapshaper, DSFR).",
    ),
    Setting(
        "catalog_dir",
        str(Path(__file__).resolve().parent / "catalog" / "datasets"),
        "Dossier des descripteurs YAML des jeux de données.",
    ),
    Setting("host", "127.0.0.1", "Adresse d'écoute du serveur HTTP."),
    Setting("port", 8000, "Port d'écoute du serveur HTTP."),
    Setting("workers", 1, "Processus du serveur HTTP (un par cœur en production)."),
    Setting("access_log", 1, "1 : journaliser chaque requête HTTP (0 : seulement les erreurs)."),
    Setting("ingest_memory_limit", "2GB", "Mémoire maximale de DuckDB pendant l'ingestion."),
    Setting("ingest_threads", 2, "Nombre de fils d'exécution de DuckDB pendant l'ingestion."),
    Setting("query_memory_limit", "1GB", "Mémoire maximale de DuckDB pour les requêtes de l'API."),
    Setting("query_threads", 2, "Fils d'exécution de DuckDB pour les requêtes de l'API."),
    Setting("query_time_limit_ms", 5000, "Durée maximale d'une requête de l'API (millisecondes)."),
    Setting("export_time_limit_ms", 600000, "Durée maximale d'un export (millisecondes)."),
    Setting(
        "query_materialize",
        1,
        "1 : charger les tables de la release en mémoire (requêtes plus rapides).",
    ),
    Setting(
        "response_cache_entries", 2048, "Nombre de réponses gardées en cache (0 : pas de cache)."
    ),
    Setting(
        "rate_limit_per_minute", 0, "Quota de requêtes par adresse IP et par minute (0 : aucun)."
    ),
    Setting(
        "public_url", "http://127.0.0.1:8000", "Adresse publique du service (liens des réponses)."
    ),
    Setting(
        "download_timeout_s", 60, "Délai maximal d'un téléchargement de source absente du miroir."
    ),
    Setting(
        "allow_download", 0, "1 pour télécharger une source absente du miroir (réseau requis)."
    ),
    Setting(
        "scolarite_database_url",
        "",
        "Registre scolarité : URL SQLAlchemy (postgresql://…) ; vide = SQLite dans var/.",
    ),
    Setting(
        "scolarite_audit_retention_days",
        365,
        "Registre scolarité : durée de conservation du journal d'audit (jours).",
    ),
    Setting(
        "scolarite_token_expiry_days",
        548,
        "Registre scolarité : durée de validité par défaut d'un jeton (jours, 18 mois).",
    ),
    Setting(
        "scolarite_rate_limit_per_second",
        20,
        "Registre scolarité : requêtes par seconde et par jeton (défaut des nouveaux jetons).",
    ),
    Setting(
        "scolarite_enumeration_threshold",
        30,
        "Registre scolarité : recherches infructueuses par jeton et par minute avant "
        "ralentissement et signalement (énumération).",
    ),
    Setting(
        "scolarite_secret_seuil",
        5,
        "Statistiques du registre : plus petit effectif publié (secret statistique primaire).",
    ),
    Setting(
        "scolarite_secret_petit_groupe",
        11,
        "Statistiques du registre : en dessous de cet effectif, un taux de 0 % ou 100 % "
        "(par sexe) est caché.",
    ),
    Setting(
        "test_postgres_url",
        "",
        "Tests : URL d'un serveur PostgreSQL jetable (écrite par scripts/postgres.sh).",
    ),
)


@dataclass(frozen=True)
class Settings:
    mirror: Path
    var_dir: Path
    node_modules: Path
    catalog_dir: Path
    host: str
    port: int
    workers: int
    access_log: int
    ingest_memory_limit: str
    ingest_threads: int
    query_memory_limit: str
    query_threads: int
    query_time_limit_ms: int
    export_time_limit_ms: int
    query_materialize: int
    response_cache_entries: int
    rate_limit_per_minute: int
    public_url: str
    download_timeout_s: int
    allow_download: int
    scolarite_database_url: str
    scolarite_audit_retention_days: int
    scolarite_token_expiry_days: int
    scolarite_rate_limit_per_second: int
    scolarite_enumeration_threshold: int
    scolarite_secret_seuil: int
    scolarite_secret_petit_groupe: int
    test_postgres_url: str

    @property
    def releases_dir(self) -> Path:
        return self.var_dir / "releases"

    @property
    def current_link(self) -> Path:
        return self.var_dir / "current"

    @property
    def cache_dir(self) -> Path:
        return self.var_dir / "cache"

    def replace(self, **changes: object) -> Settings:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return _build(values)


def _build(values: Mapping[str, object]) -> Settings:
    kinds = {f.name: f.type for f in fields(Settings)}
    out: dict[str, object] = {}
    for name, raw in values.items():
        kind = kinds[name]
        try:
            if kind == "Path":
                out[name] = Path(str(raw)).expanduser()
            elif kind == "int":
                out[name] = int(str(raw))
            else:
                out[name] = str(raw)
        except ValueError as exc:
            raise ConfigError(f"Réglage {name!r} invalide : {raw!r} ({exc})") from exc
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
