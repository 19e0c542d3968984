"""Releases distributed through object storage (issue #17): the publishing node uploads a
release to an S3-compatible bucket; a replica downloads it, checks every file's sha256
against the manifest (``integrity.verify``) and only then makes it current.

Layout in the bucket: ``<prefix>releases/<release_id>/<path>`` for every file of the release,
the manifest last (a release without its manifest is not complete: never downloaded).

    upload(client, bucket, release_dir, prefix="")            # after a publication
    fetch(client, bucket, release_id, store, prefix="")       # on a replica, then switch

``client`` is a boto3 S3 client (``boto3.client("s3", endpoint_url=…)``); boto3 is the
``deploy`` extra.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from ardoise.errors import ReleaseCorrupt, ReleaseNotFound
from ardoise.release.files import sha256_file
from ardoise.release.integrity import verify
from ardoise.release.manifest import Manifest
from ardoise.release.store import ReleaseStore

MANIFEST = "manifest.json"


def _key(prefix: str, release_id: str, relative: str) -> str:
    return f"{prefix}releases/{release_id}/{relative}"


def upload(client: Any, bucket: str, release_dir: Path, prefix: str = "") -> int:
    """Every file of the release, its manifest last; the number of files sent."""
    rid = release_dir.name
    files = sorted(p for p in release_dir.rglob("*") if p.is_file() and p.name != MANIFEST)
    for path in [*files, release_dir / MANIFEST]:
        client.upload_file(str(path), bucket, _key(prefix, rid, str(path.relative_to(release_dir))))
    return len(files) + 1


def fetch(client: Any, bucket: str, release_id: str, store: ReleaseStore, prefix: str = "") -> Path:
    """Download a release into the store (built aside, verified, then moved into place);
    the already present release when it is there. Raises ``ReleaseNotFound`` when the bucket
    has no complete release of that id, ``ReleaseCorrupt`` when a file does not match."""
    final = store.releases_dir / release_id
    if (final / MANIFEST).is_file():
        return final
    base = _key(prefix, release_id, "")
    keys = _keys(client, bucket, base)
    if MANIFEST not in keys:
        raise ReleaseNotFound(f"Release {release_id} absente du stockage objet (pas de manifeste).")
    with store.lock():
        build = store.new_build_dir()
        try:
            for relative in sorted(keys):
                target = build / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                client.download_file(bucket, base + relative, str(target))
            manifest = Manifest.read(build / MANIFEST)
            if manifest.release_id != release_id:
                raise ReleaseCorrupt(f"Le manifeste de {release_id} nomme {manifest.release_id}.")
            verify(build, manifest)  # every hashed file, before it can be made current
            _verify_referential(build, manifest)
            return store.commit_build(build, release_id)
        finally:
            if build.exists():
                shutil.rmtree(build, ignore_errors=True)


def _verify_referential(build: Path, manifest: Manifest) -> None:
    """The referential's files too (``integrity.verify`` covers data and indicators)."""
    for relative, expected in sorted(manifest.referential.outputs_sha256.items()):
        path = build / "referential" / relative
        if not path.is_file() or sha256_file(path) != expected:
            raise ReleaseCorrupt(
                f"La release {manifest.release_id} est corrompue : le fichier referential/"
                f"{relative} ne correspond pas à son empreinte (sha256) dans le manifeste."
            )


def _keys(client: Any, bucket: str, base: str) -> set[str]:
    """The paths under ``base`` (relative to it)."""
    out: set[str] = set()
    token: dict[str, str] = {}
    while True:
        page = client.list_objects_v2(Bucket=bucket, Prefix=base, **token)
        out.update(o["Key"][len(base) :] for o in page.get("Contents", []))
        if not page.get("IsTruncated"):
            return out
        token = {"ContinuationToken": page["NextContinuationToken"]}
