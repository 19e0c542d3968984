"""The preview of a submitted version (issue #15): what publishing it would change, computed
on the checked build before it is dropped (``build_release(staged=…)``), against the
release served now.

* ``schema``: fields added, removed, retyped (Arrow types) with the served version;
* ``lignes``: the row diff on the dataset's declared key: keys added, removed and changed,
  with up to :data:`SAMPLES` sample keys of each (a dataset without key: counts only);
* ``indicateurs``: the national (``france``) values of the indicators that change, before,
  after and by how much, per school year.

The preview is kept with the submission's report (``report["apercu"]``): keys of a few
rows, never a row's content.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from ardoise.catalog.declared import descriptor_path
from ardoise.catalog.loader import load_descriptor
from ardoise.release.manifest import DatasetEntry
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings
from ardoise.sql import quote_identifier as ident
from ardoise.sql import quote_literal as string_literal

SAMPLES = 5
NATIONAL = "france"


def schema_diff(old: DatasetEntry | None, new: DatasetEntry) -> dict[str, Any]:
    before = {c.name: c.type for c in old.schema} if old is not None and old.parquet else {}
    after = {c.name: c.type for c in new.schema}
    return {
        "ajoutes": [c for c in after if before and c not in before],
        "retires": [c for c in before if c not in after],
        "retypes": [
            {"champ": c, "avant": before[c], "apres": t}
            for c, t in after.items()
            if c in before and before[c] != t
        ],
    }


def row_samples(
    before: Path, after: Path, key: tuple[str, ...], common: tuple[str, ...]
) -> dict[str, Any]:
    """Keys added, removed and changed between two Parquet files, counts and samples."""
    keys = ", ".join(ident(k) for k in key)
    values = ", ".join(ident(c) for c in common if c not in key) or "NULL"
    row = (
        f"SELECT {keys}, md5(string_agg(md5(CAST(struct_pack({values}) AS VARCHAR)), ',' "
        f"ORDER BY md5(CAST(struct_pack({values}) AS VARCHAR)))) AS h FROM read_parquet"
    )
    on = " AND ".join(f"a.{ident(k)} IS NOT DISTINCT FROM b.{ident(k)}" for k in key)
    picked = ", ".join(f"coalesce(b.{ident(k)}, a.{ident(k)})::VARCHAR" for k in key)
    kind = "CASE WHEN a.h IS NULL THEN 'ajoutees' WHEN b.h IS NULL THEN 'retirees' ELSE 'modifiees' END"
    sql = (
        f"WITH a AS ({row}({string_literal(str(before))}) GROUP BY {keys}), "
        f"b AS ({row}({string_literal(str(after))}) GROUP BY {keys}), "
        f"d AS (SELECT {kind} AS k, [{picked}] AS cle FROM a FULL OUTER JOIN b ON {on} "
        "WHERE a.h IS DISTINCT FROM b.h) "
        f"SELECT k, count(*), list(cle ORDER BY cle)[1:{SAMPLES}] FROM d GROUP BY k"
    )
    conn = duckdb.connect(":memory:")
    try:
        found = {k: (int(n), sample) for k, n, sample in conn.execute(sql).fetchall()}
    finally:
        conn.close()
    out: dict[str, Any] = {"cle": list(key)}
    for k in ("ajoutees", "retirees", "modifiees"):
        n, sample = found.get(k, (0, []))
        out[k] = n
        out[f"exemples_{k}"] = [" · ".join(str(v) for v in s) for s in sample]
    return out


def indicator_changes(before: Path, after: Path) -> list[dict[str, Any]]:
    """National values that differ between two ``indicators/valeurs.parquet`` files."""
    if not before.is_file() or not after.is_file():
        return []
    level = string_literal(NATIONAL)
    sql = (
        f"WITH a AS (SELECT indicateur, annee_scolaire, valeur FROM read_parquet({string_literal(str(before))}) WHERE niveau = {level}), "
        f"b AS (SELECT indicateur, annee_scolaire, valeur FROM read_parquet({string_literal(str(after))}) WHERE niveau = {level}) "
        "SELECT coalesce(b.indicateur, a.indicateur), coalesce(b.annee_scolaire, a.annee_scolaire), "
        "a.valeur, b.valeur FROM a FULL OUTER JOIN b "
        "ON a.indicateur = b.indicateur AND a.annee_scolaire IS NOT DISTINCT FROM b.annee_scolaire "
        "WHERE a.valeur IS DISTINCT FROM b.valeur ORDER BY 1, 2"
    )  # fmt: skip
    conn = duckdb.connect(":memory:")
    try:
        rows = conn.execute(sql).fetchall()
    finally:
        conn.close()
    return [
        {
            "indicateur": i,
            "annee_scolaire": y,
            "avant": a,
            "apres": b,
            "ecart": round(b - a, 6) if a is not None and b is not None else None,
        }
        for i, y, a, b in rows
    ]


class Preview:
    """The ``staged`` hook of ``build_release``: fills :attr:`result` for one dataset."""

    def __init__(self, settings: Settings, dataset_id: str) -> None:
        self.settings = settings
        self.dataset_id = dataset_id
        self.result: dict[str, Any] = {}

    def __call__(self, build: Path, entries: dict[str, DatasetEntry]) -> None:
        new = entries.get(self.dataset_id)
        if new is None or new.parquet is None:
            return  # blocked: the report says why, there is nothing to compare
        store = ReleaseStore(self.settings.var_dir)
        current = store.current_id()
        served_dir = store.releases_dir / current if current else None
        old = store.manifest(current).datasets.get(self.dataset_id) if current else None
        out: dict[str, Any] = {
            "release_comparee": current,
            "lignes_avant": old.rows if old is not None and old.parquet else 0,
            "lignes_apres": new.rows,
            "schema": schema_diff(old, new),
        }
        descriptor = descriptor_path(self.settings, self.dataset_id)
        key = load_descriptor(descriptor).key if descriptor is not None else ()
        if served_dir is not None and old is not None and old.parquet is not None and key:
            common = tuple(c.name for c in new.schema if c.name in old.column_names)
            if all(k in common for k in key):
                out["lignes"] = row_samples(
                    served_dir / old.parquet.path, build / new.parquet.path, key, common
                )
        if served_dir is not None:
            out["indicateurs"] = indicator_changes(
                served_dir / "indicators" / "valeurs.parquet",
                build / "indicators" / "valeurs.parquet",
            )
        self.result = out
