"""Before a release is made current, every file its manifest hashes is read back and its
sha256 compared (issue #21: a truncated or bit-flipped Parquet used to be switched to, and
then every request, ``/health`` included, failed).

    verify(release_dir, manifest)     # ReleaseCorrupt naming the first bad file, in French

The paths in the messages are relative to the release (no absolute path reaches a client).
"""

from __future__ import annotations

from pathlib import Path

from ardoise.errors import ReleaseCorrupt
from ardoise.release.files import sha256_file
from ardoise.release.manifest import Manifest


def hashed_files(manifest: Manifest) -> dict[str, str]:
    """Path relative to the release directory → the sha256 the manifest records."""
    files = {e.parquet.path: e.parquet.sha256 for e in manifest.published.values() if e.parquet}
    if manifest.indicators is not None:
        files.update({f"indicators/{k}": v for k, v in manifest.indicators.files.items()})
    files.update({f"referential/{k}": v for k, v in manifest.referential.outputs_sha256.items()})
    return files


def verify(release_dir: Path, manifest: Manifest) -> None:
    """Raise :class:`ReleaseCorrupt` unless every hashed file is present and intact."""
    rid = manifest.release_id
    for relative, expected in sorted(hashed_files(manifest).items()):
        path = release_dir / relative
        if not path.is_file():
            raise ReleaseCorrupt(f"La release {rid} est incomplète : le fichier {relative} manque.")
        if sha256_file(path) != expected:
            raise ReleaseCorrupt(
                f"La release {rid} est corrompue : le fichier {relative} ne correspond pas à "
                "son empreinte (sha256) dans le manifeste. Elle n'est pas rendue courante."
            )
