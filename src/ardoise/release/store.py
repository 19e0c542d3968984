"""Where releases live, which one is current, and the atomic switch between them.

Layout (DESIGN.md)::

    var/releases/<release_id>/        immutable once renamed into place
    var/releases/.build-<pid>-<n>/    a release being built (never served, removed if stale)
    var/current -> releases/<id>      symlink; replaced atomically by rename(2)
    var/ingest.lock                   flock held by the ingest running now
"""

from __future__ import annotations

import builtins
import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ardoise.errors import PublishError, ReleaseCorrupt, ReleaseNotFound
from ardoise.release.integrity import verify
from ardoise.release.manifest import Manifest

BUILD_PREFIX = ".build-"


@dataclass(frozen=True)
class ReleaseInfo:
    id: str
    path: Path
    created_at: str
    datasets: int
    rows: int
    current: bool


class ReleaseStore:
    def __init__(self, var_dir: Path) -> None:
        self.var_dir = var_dir
        self.releases_dir = var_dir / "releases"
        self.current_link = var_dir / "current"

    # --- reading -------------------------------------------------------------------
    def current_id(self) -> str | None:
        try:
            target = os.readlink(self.current_link)
        except OSError:
            return None
        rid = Path(target).name
        return rid if (self.releases_dir / rid / "manifest.json").is_file() else None

    def current_path(self) -> Path | None:
        rid = self.current_id()
        return self.releases_dir / rid if rid else None

    def manifest(self, release_id: str) -> Manifest:
        path = self.releases_dir / release_id / "manifest.json"
        if not path.is_file():
            raise ReleaseNotFound(f"Release inconnue : {release_id}")
        try:
            return Manifest.read(path)
        except ValueError as exc:
            raise ReleaseCorrupt(f"Manifeste illisible pour {release_id} : {exc}") from exc

    def list(self) -> builtins.list[ReleaseInfo]:
        """Published releases, oldest first."""
        if not self.releases_dir.is_dir():
            return []
        current = self.current_id()
        out = []
        for d in sorted(self.releases_dir.iterdir()):
            if d.name.startswith(".") or not (d / "manifest.json").is_file():
                continue
            try:
                m = self.manifest(d.name)
            except ReleaseCorrupt:
                continue
            published = m.published.values()
            out.append(
                ReleaseInfo(
                    id=d.name,
                    path=d,
                    created_at=m.created_at,
                    datasets=len(published),
                    rows=sum(x.rows for x in published),
                    current=d.name == current,
                )
            )
        return sorted(out, key=lambda r: (r.created_at, r.id))

    # --- writing -------------------------------------------------------------------
    @contextmanager
    def lock(self) -> Iterator[None]:
        """One ingest at a time; the kernel releases the lock if the process dies."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        with open(self.var_dir / "ingest.lock", "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise PublishError(
                    "Une autre ingestion est en cours (var/ingest.lock) ; réessayez plus tard."
                ) from exc
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def clean_stale_builds(self) -> builtins.list[str]:
        """Remove build folders left by a killed ingest (call with the lock held)."""
        removed = []
        if self.releases_dir.is_dir():
            for d in self.releases_dir.iterdir():
                if d.name.startswith(BUILD_PREFIX):
                    shutil.rmtree(d, ignore_errors=True)
                    removed.append(d.name)
        return removed

    def new_build_dir(self) -> Path:
        self.releases_dir.mkdir(parents=True, exist_ok=True)
        n = 0
        while True:
            d = self.releases_dir / f"{BUILD_PREFIX}{os.getpid()}-{n}"
            try:
                d.mkdir()
                return d
            except FileExistsError:
                n += 1

    def commit_build(self, build_dir: Path, release_id: str) -> Path:
        """Move a finished build into place (atomic rename) and make it read-only."""
        final = self.releases_dir / release_id
        if final.exists():
            raise PublishError(f"La release {release_id} existe déjà.")
        _fsync_tree(build_dir)
        os.rename(build_dir, final)
        _fsync_dir(self.releases_dir)
        _make_read_only(final)
        return final

    def switch(self, release_id: str) -> None:
        """Point var/current at a release, atomically (symlink + rename), once every file
        its manifest hashes has been read back intact (ReleaseCorrupt otherwise)."""
        verify(self.releases_dir / release_id, self.manifest(release_id))
        tmp = self.var_dir / f".current-{os.getpid()}"
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(Path("releases") / release_id, tmp)
        os.replace(tmp, self.current_link)
        _fsync_dir(self.var_dir)


def link_or_copy(src: Path | str, dst: Path | str) -> None:
    """Hard-link a published (immutable) file into a build; copy across file systems."""
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


def _make_read_only(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            os.chmod(os.path.join(dirpath, name), 0o444)
