"""The typed changelog of a release: what changed since the release it replaced.

Per dataset whose content changed (its Parquet file's hash), :class:`DatasetChange` says
whether it was added, removed or changed, the release that built the new version, the
fields added, removed and retyped (from the manifests), and, when the descriptor declares
a key, the rows added, removed and revised on that key (compared in DuckDB over the two
Parquet files; a revised row differs in a column both versions have). ``note`` is the
producer's note (None for ``ardoise ingest``). Computed from two published releases, so
every release has one, whichever path published it; served as JSON
(``/api/v1/releases/{id}/changelog``) and as an Atom feed.

>>> FieldChange("effectif", "int64", "double").to_json()
{'name': 'effectif', 'before': 'int64', 'after': 'double'}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import duckdb

from ardoise.catalog.loader import load_published
from ardoise.release.manifest import DatasetEntry, Manifest
from ardoise.release.school_descriptors import DERIVED_IDS
from ardoise.sql import quote_identifier as ident
from ardoise.sql import quote_literal as string_literal

ChangeKind = Literal["ajoute", "retire", "modifie"]


@dataclass(frozen=True)
class FieldChange:
    name: str
    before: str | None  # Arrow type, None when added
    after: str | None  # Arrow type, None when removed

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class RowDiff:
    key: tuple[str, ...]
    added: int
    removed: int
    revised: int

    def to_json(self) -> dict[str, Any]:
        return {
            "key": list(self.key),
            "added": self.added,
            "removed": self.removed,
            "revised": self.revised,
        }


@dataclass(frozen=True)
class DatasetChange:
    dataset_id: str
    title: str
    kind: ChangeKind
    version: str  # the release that built the version now served ("" when removed)
    rows_before: int
    rows_after: int
    fields_added: tuple[str, ...]
    fields_removed: tuple[str, ...]
    fields_retyped: tuple[FieldChange, ...]
    rows: RowDiff | None  # None: no key declared, or the dataset was added or removed
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset_id": self.dataset_id,
            "title": self.title,
            "kind": self.kind,
            "version": self.version,
            "rows_before": self.rows_before,
            "rows_after": self.rows_after,
            "fields_added": list(self.fields_added),
            "fields_removed": list(self.fields_removed),
            "fields_retyped": [f.to_json() for f in self.fields_retyped],
            "rows": None if self.rows is None else self.rows.to_json(),
            "note": self.note,
        }


@dataclass(frozen=True)
class Changelog:
    release_id: str
    created_at: str
    previous_release: str | None
    datasets: tuple[DatasetChange, ...]  # catalog order of the new release, then removed

    def to_json(self) -> dict[str, Any]:
        return {
            "release_id": self.release_id,
            "created_at": self.created_at,
            "previous_release": self.previous_release,
            "datasets": [d.to_json() for d in self.datasets],
        }


def _sha(entry: DatasetEntry | None) -> str | None:
    return entry.parquet.sha256 if entry is not None and entry.parquet is not None else None


def _key(release_dir: Path, dataset_id: str) -> tuple[str, ...]:
    path = release_dir / "catalog" / f"{dataset_id}.yaml"
    return load_published(path).key if path.is_file() else ()


def row_diff(before: Path, after: Path, key: tuple[str, ...], common: tuple[str, ...]) -> RowDiff:
    """Keys added, removed and revised between two Parquet files (``common``: the columns
    both have, compared for revisions; the rows of a duplicated key count as one)."""
    keys = ", ".join(ident(k) for k in key)
    values = ", ".join(ident(c) for c in common if c not in key) or "NULL"
    # One hash per key: rows sharing a key (a duplicate the report warns about) count once.
    row = (
        f"SELECT {keys}, md5(string_agg(md5(CAST(struct_pack({values}) AS VARCHAR)), ',' "
        f"ORDER BY md5(CAST(struct_pack({values}) AS VARCHAR)))) AS h FROM read_parquet"
    )
    on = " AND ".join(f"a.{ident(k)} IS NOT DISTINCT FROM b.{ident(k)}" for k in key)
    conn = duckdb.connect(":memory:")
    try:
        found = conn.execute(
            f"WITH a AS ({row}({string_literal(str(before))}) GROUP BY {keys}), "
            f"b AS ({row}({string_literal(str(after))}) GROUP BY {keys}) "
            "SELECT count(*) FILTER (WHERE a.h IS NULL), count(*) FILTER (WHERE b.h IS NULL), "
            f"count(*) FILTER (WHERE a.h <> b.h) FROM a FULL OUTER JOIN b ON {on}"
        ).fetchone()
    finally:
        conn.close()
    assert found is not None
    return RowDiff(key, added=int(found[0]), removed=int(found[1]), revised=int(found[2]))


def _change(
    dataset_id: str,
    old: DatasetEntry | None,
    new: DatasetEntry | None,
    dirs: tuple[Path | None, Path],
    release_id: str,
) -> DatasetChange:
    old_types = {c.name: c.type for c in old.schema} if old and old.parquet else {}
    new_types = {c.name: c.type for c in new.schema} if new and new.parquet else {}
    kind: ChangeKind = "ajoute" if not old_types else ("retire" if not new_types else "modifie")
    rows = None
    key = _key(dirs[1], dataset_id)
    if kind == "modifie" and key and dirs[0] is not None and old and new:
        assert old.parquet is not None and new.parquet is not None
        common = tuple(c for c in new_types if c in old_types)
        if all(k in common for k in key):
            rows = row_diff(dirs[0] / old.parquet.path, dirs[1] / new.parquet.path, key, common)
    entry = new if new is not None else old
    assert entry is not None
    return DatasetChange(
        dataset_id=dataset_id,
        title=entry.title,
        kind=kind,
        version=(new.carried_over_from or release_id) if new_types and new else "",
        rows_before=old.rows if old_types and old else 0,
        rows_after=new.rows if new_types and new else 0,
        fields_added=tuple(c for c in new_types if c not in old_types) if old_types else (),
        fields_removed=tuple(c for c in old_types if c not in new_types) if new_types else (),
        fields_retyped=tuple(
            FieldChange(c, old_types[c], t)
            for c, t in new_types.items()
            if c in old_types and old_types[c] != t
        ),
        rows=rows,
    )


def changelog_between(
    previous: Manifest | None,
    previous_dir: Path | None,
    current: Manifest,
    current_dir: Path,
    notes: dict[str, str] | None = None,
) -> Changelog:
    """The changelog of ``current`` against ``previous`` (None: the first release, every
    published dataset is added)."""
    before = dict(previous.datasets) if previous else {}
    changes = []
    for dataset_id in [*current.datasets, *(d for d in before if d not in current.datasets)]:
        if dataset_id in DERIVED_IDS:  # derived tables (#18) follow the datasets listed here
            continue
        old, new = before.get(dataset_id), current.datasets.get(dataset_id)
        if _sha(old) == _sha(new):
            continue
        change = _change(dataset_id, old, new, (previous_dir, current_dir), current.release_id)
        note = (notes or {}).get(dataset_id)
        changes.append(change if note is None else replace(change, note=note))
    return Changelog(
        current.release_id,
        current.created_at,
        previous.release_id if previous else None,
        tuple(changes),
    )


def release_changelog(releases_dir: Path, release_id: str) -> Changelog:
    """The changelog of a published release, against the release it replaced (when that
    one is still on disk; else against nothing)."""
    current_dir = releases_dir / release_id
    current = Manifest.read(current_dir / "manifest.json")
    prev_id = current.previous_release
    prev_dir = releases_dir / prev_id if prev_id else None
    notes = read_notes(current_dir)
    if prev_dir is None or not (prev_dir / "manifest.json").is_file():
        return changelog_between(None, None, current, current_dir, notes)
    previous = Manifest.read(prev_dir / "manifest.json")
    return changelog_between(previous, prev_dir, current, current_dir, notes)


NOTES = "notes.json"  # dataset id → the producer's note, written by the publication


def write_notes(release_dir: Path, notes: dict[str, str]) -> None:
    """Keep the producers' notes with a release being built (``build_release(staged=…)``)."""
    kept = {k: v for k, v in notes.items() if v and v.strip()}
    if kept:
        (release_dir / NOTES).write_text(json.dumps(kept, ensure_ascii=False, indent=1), "utf-8")


def read_notes(release_dir: Path) -> dict[str, str]:
    path = release_dir / NOTES
    if not path.is_file():
        return {}
    try:
        found = json.loads(path.read_text("utf-8"))
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}
