"""A release leaving the publishing node (issue #17): uploaded to the configured bucket
(``objectstore.upload``), then announced as current (``announce.announce``); and a release
reaching a replica: downloaded and verified (``objectstore.fetch``).

    distribute(settings, release_id, by)   # after ingest, submission publication, rollback
    push(settings, release_id)             # ``ardoise releases pousser ID``
    pull(settings, release_id) -> Path     # ``ardoise releases tirer ID``, the follower

Nothing here runs when no bucket (``ARDOISE_RELEASE_BUCKET``) nor announcement database
(``ARDOISE_RELEASE_ANNOUNCE_URL``) is configured. Credentials: boto3's usual chain
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a profile, an instance role).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ardoise.errors import ArdoiseError, ConfigError, PublishError, ReleaseNotFound
from ardoise.extras import require
from ardoise.release import announce, objectstore
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings

log = logging.getLogger(__name__)


def s3_client(settings: Settings) -> Any:
    """A boto3 S3 client for the configured endpoint (ConfigError without a bucket)."""
    if not settings.release_bucket:
        raise ConfigError("Aucun bucket de releases n'est configuré (ARDOISE_RELEASE_BUCKET).")
    require("deploy")
    import boto3

    endpoint = settings.release_s3_endpoint or None
    return boto3.client("s3", endpoint_url=endpoint)


def push(settings: Settings, release_id: str) -> int:
    """Upload a published release to the bucket; the number of files sent."""
    store = ReleaseStore(settings.var_dir)
    store.manifest(release_id)  # ReleaseNotFound for an unknown id
    try:
        return objectstore.upload(
            s3_client(settings),
            settings.release_bucket,
            store.releases_dir / release_id,
            settings.release_s3_prefix,
        )
    except ArdoiseError:
        raise
    except Exception as exc:  # botocore's errors: the reason, never the credentials
        raise PublishError(
            f"Envoi de la release {release_id} au stockage objet impossible "
            f"({type(exc).__name__}: {str(exc)[:200]})."
        ) from exc


def pull(settings: Settings, release_id: str) -> Path:
    """Download a release from the bucket and verify every file (not made current)."""
    try:
        return objectstore.fetch(
            s3_client(settings),
            settings.release_bucket,
            release_id,
            ReleaseStore(settings.var_dir),
            settings.release_s3_prefix,
        )
    except ArdoiseError:  # absent, corrupt, not configured, an ingest running
        raise
    except Exception as exc:  # botocore's errors (S3 unreachable, access denied)
        raise ReleaseNotFound(
            f"Téléchargement de la release {release_id} impossible "
            f"({type(exc).__name__}: {str(exc)[:200]})."
        ) from exc


def distribute(settings: Settings, release_id: str, by: str) -> str | None:
    """Upload (when a bucket is set) then announce (when an announcement database is set)
    the release just made current here; a French sentence saying what was done, None when
    nothing is configured. Raises PublishError when it could not be distributed (the local
    publication stands: ``ardoise releases pousser`` then ``ardoise rollback`` retries)."""
    url = settings.release_announce_url.reveal().strip()
    if not settings.release_bucket and not url:
        return None
    done = []
    if settings.release_bucket:
        sent = push(settings, release_id)
        done.append(f"envoyée au stockage objet ({sent} fichiers)")
    if url:
        try:
            announce.announce(url, release_id, by)
        except Exception as exc:
            raise PublishError(
                f"Annonce de la release {release_id} aux répliques impossible "
                f"({type(exc).__name__}) ; relancez `ardoise rollback {release_id}`."
            ) from exc
        done.append("annoncée aux répliques")
    return f"Release {release_id} " + " et ".join(done) + "."


def distributed_note(settings: Settings, release_id: str, by: str) -> str:
    """:func:`distribute`, for a publication that already happened here: what was done, or
    why it could not be (logged), as a sentence to append to its message ("" when
    nothing is configured). Never raises: the local publication stands either way."""
    try:
        note = distribute(settings, release_id, by)
    except ArdoiseError as exc:
        log.warning("Distribution de la release %s impossible : %s", release_id, exc)
        return f" Distribution aux répliques impossible : {exc}"
    return f" {note}" if note else ""
