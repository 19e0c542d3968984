"""Older releases served on demand (time travel: ``release=<id>`` or ``date=AAAA-MM-JJ``).

An older release is loaded from disk the first time a request names it, without loading
its tables into memory (``query_materialize`` off: its engine reads the Parquet files), and
kept in a bounded cache (``ARDOISE_RELEASE_ARCHIVE_ENTRIES`` releases, least recently used
dropped first). ``ARDOISE_RELEASE_RETENTION`` bounds how far back requests may go (the
N most recent published releases, the current one included; 0: all of them).
"""

from __future__ import annotations

import dataclasses
from datetime import date

from ardoise.errors import ReleaseNotFound
from ardoise.lru import LRU
from ardoise.odsql.errors import InvalidParameter
from ardoise.query.release import ReleaseHolder, ServedRelease
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings


class ReleaseArchive:
    def __init__(self, settings: Settings, holder: ReleaseHolder) -> None:
        self.settings = dataclasses.replace(settings, query_materialize=False)
        self.holder = holder
        self.store = ReleaseStore(settings.var_dir)
        self._cache: LRU[str, ServedRelease] = LRU(max(1, settings.release_archive_entries))

    def served_ids(self) -> list[str]:
        """The ids requests may name, oldest first (the retention setting applied)."""
        ids = [r.id for r in self.store.list()]
        keep = self.settings.release_retention
        return ids[-keep:] if keep > 0 else ids

    def resolve(self, release_id: str | None, day: str | None) -> str | None:
        """The id ``release=`` or ``date=`` names (None: neither was given)."""
        if release_id and day:
            raise InvalidParameter("Donnez release= ou date=, pas les deux.")
        if day:
            try:
                wanted = date.fromisoformat(day).isoformat()
            except ValueError:
                raise InvalidParameter(
                    f"Date invalide : {day[:40]!r} (attendu : AAAA-MM-JJ, par exemple 2025-09-01)."
                ) from None
            served = set(self.served_ids())
            found = [
                r.id for r in self.store.list() if r.created_at[:10] <= wanted and r.id in served
            ]
            if not found:
                raise ReleaseNotFound(f"Aucune release servie n'était publiée le {wanted}.")
            return found[-1]
        return release_id or None

    def get(self, release_id: str) -> ServedRelease:
        """The release ``release_id``: the current one, or an older one loaded on demand."""
        current = self.holder.get()
        if release_id == current.id:
            return current
        if release_id not in self.served_ids():
            raise ReleaseNotFound(
                f"Release inconnue ou plus servie : {release_id[:80]} (voir /api/v1/releases)."
            )
        return self._cache.get_or_put(
            release_id,
            lambda: ServedRelease(self.store.releases_dir / release_id, self.settings),
        )
