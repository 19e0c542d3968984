"""Build a release in a temporary folder and publish it with one atomic switch.

``build_release`` is the whole of ``ardoise ingest`` (and, with ``publish=False``, of
``ardoise check``): referential first, then each dataset; blocked datasets keep their
previous version; a release identical in content to the current one is not published.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ardoise import __version__
from ardoise.catalog.loader import load_catalog, select
from ardoise.catalog.model import Dataset
from ardoise.catalog.portal import read_portal_catalog
from ardoise.errors import ArdoiseError
from ardoise.ingest.download import cached_download
from ardoise.ingest.pipeline import IngestResult, ingest_dataset
from ardoise.ingest.report import Issue, Report
from ardoise.ingest.territories import load_referential
from ardoise.release.datapackage import release_datapackage
from ardoise.release.derived import indicators_cached, referential_cached
from ardoise.release.manifest import MANIFEST_VERSION, fingerprint, sha256_file, write_json
from ardoise.release.store import ReleaseStore, link_or_copy
from ardoise.settings import Settings

Status = Literal["publie", "conserve", "bloque", "inchange"]
# publie: new version built; conserve: blocked, previous version kept; bloque: blocked and
# no previous version; inchange: not selected by --only, carried over as it was.

Progress = Callable[[str, int, int], None]  # (step label, done, total)


@dataclass(frozen=True)
class DatasetOutcome:
    id: str
    status: Status
    rows: int
    report: Report


@dataclass(frozen=True)
class BuildResult:
    release_id: str | None  # the release now current (new, or unchanged)
    published: bool  # a new release was published
    outcomes: tuple[DatasetOutcome, ...]
    message: str
    referential: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(o.status in ("publie", "inchange") for o in self.outcomes)


def _parquet_bytes(table: pa.Table, path: Path) -> None:
    # Deterministic: same table → same bytes (no timestamps, fixed row groups and codec).
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=3,
        row_group_size=128_000,
        write_statistics=True,
        use_dictionary=True,
    )


def _descriptor_hashes(catalog_dir: Path, datasets: Sequence[Dataset]) -> dict[str, str]:
    return {
        d.id: hashlib.sha256((catalog_dir / f"{d.id}.yaml").read_bytes()).hexdigest()
        for d in datasets
    }


def _connect(settings: Settings) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(":memory:")
    conn.execute(f"SET memory_limit = '{settings.ingest_memory_limit}'")
    conn.execute(f"SET threads = {int(settings.ingest_threads)}")
    conn.execute("SET TimeZone = 'UTC'")
    conn.execute("SET preserve_insertion_order = true")
    return conn


def build_release(
    settings: Settings,
    only: Sequence[str] | None = None,
    *,
    publish: bool = True,
    progress: Progress | None = None,
    build_referential_fn: Callable[..., Any] | None = None,
) -> BuildResult:
    """Ingest the catalog (or ``only`` these ids) into a new release; publish it if asked."""
    datasets = load_catalog(settings.catalog_dir)
    selected = {d.id for d in select(datasets, only)}
    store = ReleaseStore(settings.var_dir)
    tick = progress or (lambda _label, _done, _total: None)
    with store.lock():
        store.clean_stale_builds()
        current = store.current_id()
        previous = store.manifest(current) if current else None
        build = store.new_build_dir()
        try:
            return _build(
                settings,
                datasets,
                selected,
                store,
                build,
                previous,
                publish,
                tick,
                build_referential_fn,
            )
        finally:
            if build.exists():
                shutil.rmtree(build, ignore_errors=True)


def _build(
    settings: Settings,
    datasets: tuple[Dataset, ...],
    selected: set[str],
    store: ReleaseStore,
    build: Path,
    previous: dict[str, Any] | None,
    publish: bool,
    tick: Progress,
    build_referential_fn: Callable[..., Any] | None,
) -> BuildResult:
    total = len(datasets) + 1
    prev_dir = store.releases_dir / previous["release_id"] if previous else None
    tick("référentiel territorial", 0, total)
    referential = _build_referential(settings, build, prev_dir, build_referential_fn)
    conn = _connect(settings)
    linked = load_referential(conn, build / "referential")
    (build / "data").mkdir()
    (build / "catalog").mkdir()
    download = None
    if settings.allow_download:

        def download(url: str) -> Path:
            return cached_download(url, settings.cache_dir, settings.download_timeout_s)

    def one(ds: Dataset) -> tuple[DatasetOutcome, dict[str, Any] | None]:
        prev_entry = (previous or {}).get("datasets", {}).get(ds.id)
        shutil.copy2(settings.catalog_dir / f"{ds.id}.yaml", build / "catalog" / f"{ds.id}.yaml")
        if ds.id not in selected:
            outcome, entry = _carry_over(ds, prev_entry, prev_dir, build, "inchange")
        else:
            prev_for_drift = dict(prev_entry or {}, release_id=(previous or {}).get("release_id"))
            prev_for_drift["years"] = (prev_entry or {}).get("quality", {}).get("years")
            cursor = conn.cursor()  # its own temp tables; ref_* tables are shared
            try:
                result = ingest_dataset(
                    ds,
                    settings.mirror,
                    cursor,
                    linked=linked,
                    previous=prev_for_drift if prev_entry else None,
                    download=download,
                )
            finally:
                cursor.close()
            outcome, entry = _place(ds, result, prev_entry, prev_dir, build)
        if outcome.status != "inchange":
            write_json(build / "quality" / f"{ds.id}.json", outcome.report.to_json())
        return outcome, entry

    # Datasets are independent: a small pool overlaps Python, Arrow and DuckDB work.
    # Results are collected in catalog order, so the release does not depend on timing.
    outcomes: list[DatasetOutcome] = []
    entries: dict[str, dict[str, Any]] = {}
    with ThreadPoolExecutor(max_workers=max(1, settings.ingest_threads)) as pool:
        futures = [pool.submit(one, ds) for ds in datasets]
        for n, (ds, future) in enumerate(zip(datasets, futures, strict=True), start=1):
            outcome, entry = future.result()
            tick(ds.id, n, total)
            outcomes.append(outcome)
            if entry is not None:
                entries[ds.id] = entry
    conn.close()
    # Indicators, computed over the datasets just placed; their hash joins the fingerprint.
    tick("indicateurs", total, total)
    indicators = indicators_cached(build, settings.cache_dir)
    held = [d for d, e in entries.items() if e.get("parquet")]
    known = read_portal_catalog(settings.mirror, held)
    write_json(build / "catalog" / "portal.json", [k.__dict__ for k in known])
    descriptors = _descriptor_hashes(settings.catalog_dir, datasets)
    fp = hashlib.sha256(
        (fingerprint(entries, referential, descriptors) + str(indicators["sha256"])).encode()
    ).hexdigest()
    tick("publication", total, total)
    if previous and previous.get("fingerprint") == fp:
        return BuildResult(
            previous["release_id"],
            False,
            tuple(outcomes),
            f"Aucun changement : la release {previous['release_id']} reste servie.",
            referential,
        )
    if not publish:
        return BuildResult(
            previous["release_id"] if previous else None,
            False,
            tuple(outcomes),
            "Vérification terminée ; rien n'a été publié.",
            referential,
        )
    now = datetime.now(UTC)
    release_id = now.strftime("%Y%m%dT%H%M%SZ") + "-" + fp[:8]
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "release_id": release_id,
        "created_at": now.isoformat(timespec="microseconds"),
        "ardoise_version": __version__,
        "previous_release": previous["release_id"] if previous else None,
        "fingerprint": fp,
        "mirror": str(settings.mirror),
        "descriptors_sha256": descriptors,
        "referential": referential,
        "portal_catalog": {"known": len(known), "held": sum(1 for k in known if k.held)},
        "datasets": entries,
        "indicators": indicators,
    }
    write_json(build / "manifest.json", manifest)
    write_json(
        build / "datapackage.json",
        release_datapackage(build, manifest, {d.id: d for d in datasets}),
    )
    store.commit_build(build, release_id)
    store.switch(release_id)
    return BuildResult(
        release_id, True, tuple(outcomes), f"Release {release_id} publiée et servie.", referential
    )


def _build_referential(
    settings: Settings,
    build: Path,
    prev_dir: Path | None,
    build_referential_fn: Callable[..., Any] | None,
) -> dict[str, Any]:
    out = build / "referential"
    try:
        if build_referential_fn is None:
            info: dict[str, Any] = referential_cached(
                settings.mirror, settings.node_modules, out, settings.cache_dir
            )
        else:
            info = dict(
                build_referential_fn(
                    settings.mirror, settings.node_modules, out, settings.cache_dir / "referential"
                ).to_json()
            )
        info["status"] = "construit"
    except (ArdoiseError, OSError, duckdb.Error) as exc:
        shutil.rmtree(out, ignore_errors=True)
        if prev_dir is not None and (prev_dir / "referential").is_dir():
            shutil.copytree(prev_dir / "referential", out, copy_function=link_or_copy)
            info = {"status": "conserve", "error": str(exc)}
        else:
            info = {"status": "absent", "error": str(exc)}
    info["outputs_sha256"] = (
        {str(p.relative_to(out)): sha256_file(p) for p in sorted(out.rglob("*")) if p.is_file()}
        if out.is_dir()
        else {}
    )
    return info


def _entry(
    ds: Dataset,
    table_path: Path,
    result: IngestResult | None,
    rows: int,
    schema: list[dict[str, str]],
    report: Report,
    status: Status,
    carried_from: str | None,
) -> dict[str, Any]:
    return {
        "status": status,
        "title": ds.title,
        "rows": rows,
        "sources": [s.to_json() for s in result.sources] if result else [],
        "parquet": {
            "path": f"data/{ds.id}.parquet",
            "sha256": sha256_file(table_path),
            "bytes": table_path.stat().st_size,
        },
        "schema": schema,
        "quality": report.summary(),
        "carried_over_from": carried_from,
        "national": ds.spatial_coverage.national,
    }


def _place(
    ds: Dataset,
    result: IngestResult,
    prev_entry: dict[str, Any] | None,
    prev_dir: Path | None,
    build: Path,
) -> tuple[DatasetOutcome, dict[str, Any] | None]:
    report = result.report
    if result.table is not None and report.valid:
        path = build / "data" / f"{ds.id}.parquet"
        _parquet_bytes(result.table, path)
        schema = [{"name": f.name, "type": str(f.type)} for f in result.table.schema]
        entry = _entry(ds, path, result, result.table.num_rows, schema, report, "publie", None)
        return DatasetOutcome(ds.id, "publie", result.table.num_rows, report), entry
    if prev_entry and prev_entry.get("parquet") and prev_dir is not None:
        outcome, kept = _carry_over(ds, prev_entry, prev_dir, build, "conserve", report)
        if kept is not None:
            kept["sources"] = [s.to_json() for s in result.sources]
        return outcome, kept
    return DatasetOutcome(ds.id, "bloque", 0, report), {
        "status": "bloque",
        "title": ds.title,
        "rows": 0,
        "parquet": None,
        "sources": [s.to_json() for s in result.sources],
        "quality": report.summary(),
        "schema": [],
        "national": ds.spatial_coverage.national,
        "carried_over_from": None,
    }


def _carry_over(
    ds: Dataset,
    prev_entry: dict[str, Any] | None,
    prev_dir: Path | None,
    build: Path,
    status: Status,
    report: Report | None = None,
) -> tuple[DatasetOutcome, dict[str, Any] | None]:
    if not prev_entry or not prev_entry.get("parquet") or prev_dir is None:
        rep = report or Report(
            ds.id,
            (
                Issue(
                    type="source-absente",
                    message=(
                        "Jeu non reconstruit (hors --only) et absent de la release précédente."
                    ),
                ),
            ),
        )
        return DatasetOutcome(ds.id, "bloque" if report else status, 0, rep), None
    src = prev_dir / prev_entry["parquet"]["path"]
    dst = build / prev_entry["parquet"]["path"]
    link_or_copy(src, dst)
    prev_quality = prev_dir / "quality" / f"{ds.id}.json"
    if report is None and prev_quality.is_file():
        link_or_copy(prev_quality, build / "quality" / f"{ds.id}.json")
    entry = dict(prev_entry)
    entry["status"] = status
    if report is not None:
        entry["blocked_quality"] = report.summary()
    entry["carried_over_from"] = prev_entry.get("carried_over_from") or prev_dir.name
    rep = report or Report(ds.id, rows=int(prev_entry.get("rows") or 0))
    return DatasetOutcome(ds.id, status, int(prev_entry.get("rows") or 0), rep), entry
