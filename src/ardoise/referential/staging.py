"""Write a set of files all together or not at all.

Files are first written under a hidden temporary folder inside the destination, then
renamed into place (same file system, so each rename is atomic). On error the temporary
folder is removed and the destination is left as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType


class Staging:
    """Context manager: ``path(rel)`` gives where to write; ``commit()`` publishes."""

    def __init__(self, destination: Path) -> None:
        self.destination = destination
        destination.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix=".staging-", dir=destination))
        self._committed = False

    def __enter__(self) -> Staging:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def path(self, rel: str) -> Path:
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def files(self) -> list[str]:
        """Relative paths (POSIX) of the staged files, sorted."""
        return sorted(
            p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file()
        )

    def commit(self, replace_dirs: tuple[str, ...] = ()) -> list[str]:
        """Move the staged files into the destination; return their relative paths.

        Files of ``replace_dirs`` (relative folders) that this build did not produce are
        removed, so a folder never mixes two builds.
        """
        staged = self.files()
        for rel in staged:
            target = self.destination / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.root / rel, target)
        produced = set(staged)
        for folder in replace_dirs:
            old_dir = self.destination / folder
            if not old_dir.is_dir():
                continue
            for old in old_dir.rglob("*"):
                rel = old.relative_to(self.destination).as_posix()
                if old.is_file() and rel not in produced:
                    old.unlink()
        self._committed = True
        return staged


def copy_file(source: Path, target: Path) -> None:
    """Hard-link ``source`` at ``target`` when possible (same file system), else copy it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
