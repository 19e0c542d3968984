"""Build a release in a temporary folder and publish it with one atomic switch.

``build_release`` is the whole of ``ardoise ingest`` (and, with ``publish=False``, of
``ardoise check``): referential first, then each dataset; blocked datasets keep their
previous version; a release identical in content to the current one is not published.
"""

from __future__ import annotations

import functools
import hashlib
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ardoise import __version__
from ardoise.catalog.loader import load_catalog, load_descriptor, select
from ardoise.catalog.model import Dataset
from ardoise.catalog.portal import read_portal_catalog
from ardoise.errors import ArdoiseError
from ardoise.ingest.checks import PreviousVersion
from ardoise.ingest.download import cached_download
from ardoise.ingest.pipeline import IngestResult, ingest_dataset
from ardoise.ingest.report import Issue, Report
from ardoise.ingest.territories import load_referential
from ardoise.release.datapackage import release_datapackage
from ardoise.release.derived import indicators_cached, referential_cached
from ardoise.release.distribution import distributed_note
from ardoise.release.files import fingerprint, sha256_file, write_json
from ardoise.release.manifest import (
    DatasetEntry,
    Manifest,
    ParquetColumn,
    ParquetFile,
    PortalCatalogInfo,
    QualitySummary,
    ReferentialInfo,
    SourceInfo,
    Status,
)
from ardoise.release.school_tables import build_school_tables
from ardoise.release.service import ServiceSource, service_datasets, with_declared
from ardoise.release.store import ReleaseStore, link_or_copy
from ardoise.settings import Settings

Progress = Callable[[str, int, int], None]  # (step label, done, total)
Staged = Callable[[Path, dict[str, DatasetEntry]], None]  # (build folder, its datasets)


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
    referential: ReferentialInfo

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


def _descriptor_hashes(paths: Mapping[str, Path]) -> dict[str, str]:
    """Each dataset's descriptor hash (``paths``: id → its YAML file)."""
    return {i: hashlib.sha256(path.read_bytes()).hexdigest() for i, path in paths.items()}


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
    sources: Mapping[str, Path] | None = None,
    staged: Staged | None = None,
    stage: Callable[[str, str], None] | None = None,
    services: Sequence[ServiceSource] = (),
) -> BuildResult:
    """Ingest the catalog (or ``only`` these ids) into a new release; publish it if asked.

    ``staged`` is called with the build folder and its dataset entries once the datasets
    and indicators are in it, before it is published or dropped: the preview of a
    submission compares it with the served release (``controlplane.preview``).

    ``sources`` (dataset id → folder) reads those datasets from that folder instead of the
    mirror: a producer's submitted version (``controlplane.submissions``), same pipeline.
    ``stage`` (dataset id, step) follows the steps of each dataset read (``ingest_dataset``).

    ``services``: service datasets beyond ``ardoise-usages`` whose source another layer
    writes (the habilitation register, passed by ``ardoise ingest``).

    ``build_referential_fn`` (tests) stands in for the referential build: called like
    ``referential.build.build_referential``, it returns an object whose ``to_json()`` is
    the referential summary.
    """
    store = ReleaseStore(settings.var_dir)
    tick = progress or (lambda _label, _done, _total: None)
    with store.lock(), tempfile.TemporaryDirectory(prefix="ardoise-service-") as tmp:
        store.clean_stale_builds()
        current = store.current_id()
        previous = store.manifest(current) if current else None
        # the service datasets (ardoise-usages) join the catalogue; selected when a new
        # source was written, carried over otherwise
        service = service_datasets(settings, previous, Path(tmp), only or (), services)
        service = with_declared(service, settings, previous, sources or {})  # issue #15
        datasets = load_catalog(settings.catalog_dir) + service.datasets
        selected = {d.id for d in select(datasets, only)}
        selected -= {d.id for d in service.datasets if d.id not in service.sources}
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
                {**service.sources, **(sources or {})},
                service.descriptors,
                staged or (lambda _build, _entries: None),
                stage,
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
    previous: Manifest | None,
    publish: bool,
    tick: Progress,
    build_referential_fn: Callable[..., Any] | None,
    sources: Mapping[str, Path],
    descriptor_files: Mapping[str, Path],
    staged: Staged,
    stage: Callable[[str, str], None] | None = None,
) -> BuildResult:
    total = len(datasets) + 1
    paths = {
        d.id: descriptor_files.get(d.id, settings.catalog_dir / f"{d.id}.yaml") for d in datasets
    }
    prev_dir = store.releases_dir / previous.release_id if previous else None
    tick("référentiel territorial", 0, total)
    referential = _build_referential(settings, build, prev_dir, build_referential_fn)
    outcomes, entries = _build_datasets(
        settings, datasets, selected, build, previous, prev_dir, tick, sources, paths, stage
    )
    # Indicators, computed over the datasets just placed; their hash joins the fingerprint.
    tick("indicateurs", total, total)
    indicators = indicators_cached(build, settings.cache_dir)
    staged(build, entries)
    known = read_portal_catalog(settings.mirror, [d for d, e in entries.items() if e.parquet])
    write_json(build / "catalog" / "portal.json", [k.__dict__ for k in known])
    # a service dataset absent from this release (nothing counted yet) is not in it at all
    descriptors = _descriptor_hashes(
        {i: p for i, p in paths.items() if i in entries or i not in descriptor_files}
    )
    fp = fingerprint(
        {d: e.parquet.sha256 if e.parquet else None for d, e in entries.items()},
        referential.outputs_sha256,
        descriptors,
        indicators.sha256,
    )
    tick("publication", total, total)
    served = previous.release_id if previous else None
    if previous and previous.fingerprint == fp:
        message = f"Aucun changement : la release {served} reste servie."
        return BuildResult(served, False, tuple(outcomes), message, referential)
    if not publish:
        message = "Vérification terminée ; rien n'a été publié."
        return BuildResult(served, False, tuple(outcomes), message, referential)
    # Schools followed over time (#18): derived datasets, a function of the ones above.
    derived = _school_tables(settings, build)
    entries = {**entries, **derived}
    now = datetime.now(UTC)
    manifest = Manifest(
        release_id=now.strftime("%Y%m%dT%H%M%SZ") + "-" + fp[:8],
        created_at=now.isoformat(timespec="microseconds"),
        fingerprint=fp,
        previous_release=served,
        ardoise_version=__version__,
        mirror=str(settings.mirror),
        descriptors_sha256=descriptors,
        referential=referential,
        portal_catalog=PortalCatalogInfo(len(known), sum(1 for k in known if k.held)),
        datasets=entries,
        indicators=indicators,
    )
    manifest.write(build / "manifest.json")
    write_json(
        build / "datapackage.json",
        release_datapackage(
            build,
            manifest,
            {d.id: d for d in datasets}
            | {i: load_descriptor(build / "catalog" / f"{i}.yaml") for i in derived},
        ),
    )
    store.commit_build(build, manifest.release_id)
    store.switch(manifest.release_id)
    message = _published(settings, manifest.release_id)
    return BuildResult(manifest.release_id, True, tuple(outcomes), message, referential)


def _published(settings: Settings, release_id: str) -> str:
    """What a publication says: served here, and sent to the replicas when configured."""
    return f"Release {release_id} publiée et servie." + distributed_note(
        settings, release_id, "publication"
    )


def _school_tables(settings: Settings, build: Path) -> dict[str, DatasetEntry]:
    """The schools-over-time datasets of the build (``release/school_tables.py``)."""
    conn = _connect(settings)
    try:
        return build_school_tables(build, conn)
    finally:
        conn.close()


def _build_datasets(
    settings: Settings,
    datasets: tuple[Dataset, ...],
    selected: set[str],
    build: Path,
    previous: Manifest | None,
    prev_dir: Path | None,
    tick: Progress,
    sources: Mapping[str, Path],
    descriptors: Mapping[str, Path],
    stage: Callable[[str, str], None] | None = None,
) -> tuple[list[DatasetOutcome], dict[str, DatasetEntry]]:
    """Ingest the ``selected`` datasets into ``build``, carry the others over from
    ``previous`` (in ``prev_dir``); outcomes and manifest entries in catalog order."""
    conn = _connect(settings)
    linked = load_referential(conn, build / "referential")
    (build / "data").mkdir()
    (build / "catalog").mkdir()
    download = None
    if settings.allow_download:

        def download(url: str) -> Path:
            return cached_download(url, settings.cache_dir, settings.download_timeout_s)

    def one(ds: Dataset) -> tuple[DatasetOutcome, DatasetEntry | None]:
        prev_entry = previous.datasets.get(ds.id) if previous else None
        shutil.copy2(descriptors[ds.id], build / "catalog" / f"{ds.id}.yaml")
        if ds.id not in selected:
            outcome, entry = _carry_over(ds, prev_entry, prev_dir, build, "inchange")
        else:
            cursor = conn.cursor()  # its own temp tables; ref_* tables are shared
            try:
                result = ingest_dataset(
                    ds,
                    sources.get(ds.id, settings.mirror),
                    cursor,
                    linked=linked,
                    previous=_drift_base(previous, ds.id),
                    download=download,
                    stage=None if stage is None else functools.partial(stage, ds.id),
                )
            finally:
                cursor.close()
            outcome, entry = _place(ds, result, prev_entry, prev_dir, build)
        if outcome.status != "inchange":
            write_json(build / "quality" / f"{ds.id}.json", outcome.report.to_json())
        return outcome, entry

    # Datasets are independent: a small pool overlaps Python, Arrow and DuckDB work.
    # Results are collected in catalog order, so the release does not depend on timing.
    total = len(datasets) + 1
    outcomes: list[DatasetOutcome] = []
    entries: dict[str, DatasetEntry] = {}
    with ThreadPoolExecutor(max_workers=max(1, settings.ingest_threads)) as pool:
        futures = [pool.submit(one, ds) for ds in datasets]
        for n, (ds, future) in enumerate(zip(datasets, futures, strict=True), start=1):
            outcome, entry = future.result()
            tick(ds.id, n, total)
            outcomes.append(outcome)
            if entry is not None:
                entries[ds.id] = entry
    conn.close()
    return outcomes, entries


def _build_referential(
    settings: Settings,
    build: Path,
    prev_dir: Path | None,
    build_referential_fn: Callable[..., Any] | None,
) -> ReferentialInfo:
    out = build / "referential"
    try:
        if build_referential_fn is None:
            info = referential_cached(
                settings.mirror, settings.node_modules, out, settings.cache_dir
            )
        else:
            summary = build_referential_fn(
                settings.mirror, settings.node_modules, out, settings.cache_dir / "referential"
            )
            info = ReferentialInfo.built(summary.to_json())
    except (ArdoiseError, OSError, duckdb.Error) as exc:
        shutil.rmtree(out, ignore_errors=True)
        if prev_dir is not None and (prev_dir / "referential").is_dir():
            shutil.copytree(prev_dir / "referential", out, copy_function=link_or_copy)
            info = ReferentialInfo("conserve", {}, error=str(exc))
        else:
            info = ReferentialInfo("absent", {}, error=str(exc))
    outputs = (
        {str(p.relative_to(out)): sha256_file(p) for p in sorted(out.rglob("*")) if p.is_file()}
        if out.is_dir()
        else {}
    )
    return replace(info, outputs_sha256=outputs)


def _drift_base(previous: Manifest | None, dataset_id: str) -> PreviousVersion | None:
    """What the drift check compares a new build with: the dataset in the previous release."""
    entry = previous.datasets.get(dataset_id) if previous else None
    if previous is None or entry is None:
        return None
    return PreviousVersion(previous.release_id, entry.rows, entry.column_names, entry.quality.years)


def _quality(report: Report) -> QualitySummary:
    return QualitySummary.from_json(report.summary())


def _sources(result: IngestResult) -> tuple[SourceInfo, ...]:
    return tuple(SourceInfo.from_json(s.to_json()) for s in result.sources)


def _place(
    ds: Dataset,
    result: IngestResult,
    prev_entry: DatasetEntry | None,
    prev_dir: Path | None,
    build: Path,
) -> tuple[DatasetOutcome, DatasetEntry | None]:
    report = result.report
    table = result.table
    if table is not None and report.valid:
        path = build / "data" / f"{ds.id}.parquet"
        _parquet_bytes(table, path)
        entry = DatasetEntry(
            status="publie",
            title=ds.title,
            rows=table.num_rows,
            parquet=ParquetFile(f"data/{ds.id}.parquet", sha256_file(path), path.stat().st_size),
            schema=tuple(ParquetColumn(f.name, str(f.type)) for f in table.schema),
            quality=_quality(report),
            sources=_sources(result),
            national=ds.spatial_coverage.national,
            carried_over_from=None,
        )
        return DatasetOutcome(ds.id, "publie", table.num_rows, report), entry
    if prev_entry and prev_entry.parquet and prev_dir is not None:
        outcome, kept = _carry_over(ds, prev_entry, prev_dir, build, "conserve", report)
        return outcome, None if kept is None else replace(kept, sources=_sources(result))
    return DatasetOutcome(ds.id, "bloque", 0, report), DatasetEntry(
        status="bloque",
        title=ds.title,
        rows=0,
        parquet=None,
        schema=(),
        quality=_quality(report),
        sources=_sources(result),
        national=ds.spatial_coverage.national,
        carried_over_from=None,
    )


def _carry_over(
    ds: Dataset,
    prev_entry: DatasetEntry | None,
    prev_dir: Path | None,
    build: Path,
    status: Status,
    report: Report | None = None,
) -> tuple[DatasetOutcome, DatasetEntry | None]:
    if not prev_entry or not prev_entry.parquet or prev_dir is None:
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
    link_or_copy(prev_dir / prev_entry.parquet.path, build / prev_entry.parquet.path)
    prev_quality = prev_dir / "quality" / f"{ds.id}.json"
    if report is None and prev_quality.is_file():
        link_or_copy(prev_quality, build / "quality" / f"{ds.id}.json")
    entry = replace(
        prev_entry,
        status=status,
        carried_over_from=prev_entry.carried_over_from or prev_dir.name,
    )
    if report is not None:
        entry = replace(entry, blocked_quality=_quality(report))
    rep = report or Report(ds.id, rows=prev_entry.rows)
    return DatasetOutcome(ds.id, status, prev_entry.rows, rep), entry
