"""The release being served: its manifest, its descriptors and one query engine over it.

A ``ServedRelease`` is immutable like the release it reads, so whatever is computed from it
is computed once and kept on it: ``release.memo(key, compute)`` (``query/memo.py``).
``ReleaseHolder`` notices when ``var/current`` is switched (publish, rollback) and serves
the new release from then on; the old one goes, with its memo, when its last request ends.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ardoise.catalog.loader import load_published
from ardoise.catalog.model import Dataset
from ardoise.errors import ArdoiseError, ConfigError, DatasetNotFound, NoRelease, ReleaseCorrupt
from ardoise.odsql.schema import Schema
from ardoise.query.access import READER, Access, Grant
from ardoise.query.compile import RowFilter
from ardoise.query.engine import Engine
from ardoise.query.memo import Memo
from ardoise.query.model import RecordsQuery
from ardoise.query.plan_cache import compile_cached
from ardoise.release.integrity import verify
from ardoise.release.manifest import DatasetEntry, Manifest, ParquetFile
from ardoise.release.school_descriptors import derived_sources
from ardoise.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class DatasetView:
    """One published dataset of a release, as the query layer sees it."""

    dataset: Dataset
    entry: DatasetEntry  # its manifest entry
    schema: Schema
    parquet: Path
    # A reader's grant on a restricted dataset (issue #16): the rows it admits, compiled
    # into every query of the dataset, and their number; ``schema`` and ``dataset`` then
    # lack the grant's hidden fields.
    row_filter: RowFilter | None = None
    granted_rows: int | None = None

    @property
    def id(self) -> str:
        return self.dataset.id

    @property
    def rows(self) -> int:
        return self.entry.rows if self.granted_rows is None else self.granted_rows

    @property
    def parquet_file(self) -> ParquetFile:
        """Its Parquet file as the manifest records it (path, sha256, bytes)."""
        file = self.entry.parquet
        assert file is not None  # a view is made for a published entry only
        return file


CATALOG_TABLE = "__catalog"
CATALOG_SCHEMA = Schema(
    CATALOG_TABLE,
    (
        ("dataset_id", "text"),
        ("title", "text"),
        ("description", "text"),
        ("publisher", "text"),
        ("license", "text"),
        ("keyword", "text"),
        ("theme", "text"),
        ("modified", "text"),
        ("records_count", "int"),
        ("national", "boolean"),
    ),
)
CATALOG_FACETS = ("publisher", "keyword", "theme", "license", "national")
DERIVED_TABLES = {
    "__communes": "referential/communes.parquet",
    "__departements": "referential/departements.parquet",
    "__academies": "referential/academies.parquet",
    "__regions": "referential/regions.parquet",
    "__regions_academiques": "referential/regions_academiques.parquet",
    "__territory_codes": "referential/territory_codes.parquet",
}  # (indicator values are read by query/indicator_index.py, not through the engine)


def _public() -> frozenset[str]:
    return frozenset()


Restrictions = Callable[[], frozenset[str]]  # the restricted dataset ids, now


class ServedRelease:
    def __init__(
        self, path: Path, settings: Settings, restrictions: Restrictions = _public
    ) -> None:
        self.path = path
        self.restrictions = restrictions
        self.cache_dir = settings.cache_dir  # derived files of the server (never the release)
        # the smallest count of a restricted dataset published in an indicator (issue #16)
        self.secret_threshold = settings.indicateurs_secret_seuil
        self._memo = Memo(str(path))
        self.manifest: Manifest = Manifest.read(path / "manifest.json")
        self.id: str = self.manifest.release_id
        self.created_at: str = self.manifest.created_at
        views: dict[str, DatasetView] = {}
        for ds_id, entry in sorted(self.manifest.datasets.items()):
            if entry.parquet is None:
                continue
            dataset = load_published(path / "catalog" / f"{ds_id}.yaml")
            views[ds_id] = DatasetView(
                dataset, entry, Schema.from_dataset(dataset), path / entry.parquet.path
            )
        self.views = views  # every dataset, whoever reads: the query layer's own use only
        self._ids = frozenset(views)
        # the tables derived at publication from other datasets (issue #16: closed to whoever
        # may not read one of their sources whole)
        self._derived = {
            k: found for k, v in views.items() if (found := derived_sources(v.dataset, self._ids))
        }
        tables = {k: v.parquet for k, v in views.items()}
        tables[CATALOG_TABLE] = self._catalog_table(settings.cache_dir / "catalog")
        # Derived tables of the release, queryable by the query layer under "__" names
        # (never reachable from ODSQL, whose schema only names a dataset's own fields).
        for name, rel in DERIVED_TABLES.items():
            if (path / rel).is_file():
                tables[name] = path / rel
        self.engine = Engine(
            tables,
            memory_limit=settings.query_memory_limit,
            threads=settings.query_threads,
            time_limit_ms=settings.query_time_limit_ms,
            materialize=settings.query_materialize,
            # derived tables are sorted for their lookups and read in row
            # groups
            views_only=tuple(DERIVED_TABLES),
            indexes={k: _id_columns(v.dataset) for k, v in views.items()},
        )

    def _catalog_table(self, directory: Path) -> Path:
        """The catalog as a table, so that catalog queries use the same ODSQL compiler."""
        path = directory / f"{self.id}.parquet"
        if not path.is_file():
            directory.mkdir(parents=True, exist_ok=True)
            views = list(self.views.values())
            table = pa.table(
                {
                    "dataset_id": [v.id for v in views],
                    "title": [v.dataset.title for v in views],
                    "description": [v.dataset.description for v in views],
                    "publisher": [v.dataset.publisher for v in views],
                    "license": [v.dataset.licence for v in views],
                    "keyword": [", ".join(v.dataset.keywords) for v in views],
                    "theme": [", ".join(v.dataset.themes) for v in views],
                    "modified": [self.created_at for v in views],
                    "records_count": pa.array([v.rows for v in views], pa.int64()),
                    "national": [v.dataset.spatial_coverage.national for v in views],
                }
            )
            # one temporary name per process and thread: two ServedRelease of one release may
            # start at once in one process (an app and its own MCP server)
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            pq.write_table(table, tmp)
            os.replace(tmp, path)
        return path

    @property
    def referential_dir(self) -> Path:
        return self.path / "referential"

    @property
    def indicators_dir(self) -> Path:
        return self.path / "indicators"

    def has_table(self, name: str) -> bool:
        return name in self.engine._tables

    def access(self) -> Access:
        """The restricted datasets and the reader of the running request; a table derived
        from a dataset the reader may not see whole is restricted with it (the reader has
        no grant on it: it is hidden)."""
        restricted, reader = self.restrictions() & self._ids, READER.get()
        if restricted and self._derived:
            unseen = {d for d in restricted if (g := reader.grant(d)) is None or not g.full}
            restricted |= {k for k, found in self._derived.items() if found & unseen}
        return Access(restricted, reader)

    @property
    def datasets(self) -> dict[str, DatasetView]:
        """The datasets the current reader may see, as they may see them (issue #16)."""
        access = self.access()
        if not access.restricted:
            return self.views
        return {k: self._granted(v, access) for k, v in self.views.items() if access.visible(k)}

    def dataset(self, dataset_id: str) -> DatasetView:
        """One dataset as the current reader may see it; unknown to a reader without access
        (the same answer as for a dataset that does not exist)."""
        view = self.views.get(dataset_id)
        access = self.access()
        if view is None or not access.visible(dataset_id):
            raise DatasetNotFound(f"Unknown dataset: {dataset_id}")
        return self._granted(view, access) if access.restricted else view

    def hidden_datasets(self) -> tuple[str, ...]:
        """The ids of the datasets the current reader may not see."""
        access = self.access()
        return tuple(sorted(d for d in access.restricted if not access.visible(d)))

    def _granted(self, view: DatasetView, access: Access) -> DatasetView:
        grant = access.grant(view.id)
        if grant is None or grant.full:
            return view
        return self.memo(("granted", view.id, grant), lambda: _project(self, view, grant))

    def quality(self, dataset_id: str) -> dict[str, Any]:
        path = self.path / "quality" / f"{dataset_id}.json"
        data: dict[str, Any] = json.loads(path.read_text("utf-8")) if path.is_file() else {}
        return data

    def portal_catalog(self) -> list[dict[str, Any]]:
        path = self.path / "catalog" / "portal.json"
        data: list[dict[str, Any]] = json.loads(path.read_text("utf-8")) if path.is_file() else []
        return data

    def memo(self, key: Hashable, compute: Callable[[], T], *, files_only: bool = False) -> T:
        """``compute()``, once per release and key (concurrent first callers compute once),
        kept as long as this release; ``files_only``: shared with the other releases of the
        same directory (see ``query/memo.py``)."""
        return self._memo.get(self.scoped(key), compute, files_only=files_only)

    def memoised(self, key: Hashable) -> bool:
        """Whether ``key`` has been computed for this release (for the current reader)."""
        return self.scoped(key) in self._memo

    def scoped(self, key: Hashable) -> Hashable:
        """``key``, with what the current access changes when a dataset is restricted: no
        value computed for one reader is ever served to another."""
        restricted = self.restrictions() & self._ids
        if not restricted:
            return key
        return ("access", Access(restricted, READER.get()).key(self._ids), key)

    def close(self) -> None:
        self.engine.close()


class ReleaseHolder:
    """The release behind ``var/current``, reloaded when the link changes."""

    def __init__(self, settings: Settings, restrictions: Restrictions = _public) -> None:
        self.settings = settings
        self._link = os.fspath(settings.current_link)  # read on every request: no Path built
        self.restrictions = restrictions  # the restricted datasets, from the control plane
        self._lock = threading.Lock()
        self._target: str | None = None
        self._release: ServedRelease | None = None
        self._failed: tuple[str, ArdoiseError] | None = None  # a target that cannot be served
        self._loading: str | None = None  # the target a thread is loading now

    def get(self) -> ServedRelease:
        """The release to serve, loaded (here, in the caller's thread) when ``var/current``
        has switched since the last call."""
        return self.loaded() or self._load()

    def loaded(self) -> ServedRelease | None:
        """The release to serve when it is already loaded (one ``readlink``), or None when it
        must be loaded first: an event loop calls this, and :meth:`get` in a thread."""
        target = self._link_target()
        release = self._release
        if release is not None and (target == self._target or target == self._loading):
            return release  # while the next release loads (in a thread), the previous serves
        failed = self._failed
        if failed is not None and failed[0] == target:  # not reloaded on every request
            if release is not None:
                return release  # the previous release stays served
            raise failed[1]
        return None

    def problem(self) -> str | None:
        """Why ``var/current`` is not what is served (None when it is): for ``/health``."""
        failed = self._failed
        return str(failed[1]) if failed is not None and failed[0] == self._current() else None

    def _current(self) -> str | None:
        try:
            return self._link_target()
        except NoRelease:
            return None

    def _link_target(self) -> str:
        try:
            return os.readlink(self._link)
        except OSError:
            raise NoRelease(
                "Aucune release n'est publiée : lancez `make release` (ou `ardoise ingest`)."
            ) from None

    def _load(self) -> ServedRelease:
        link = self.settings.current_link
        target = self._link_target()
        with self._lock:
            if self._release is None or target != self._target:
                if self._failed is not None and self._failed[0] == target:
                    if self._release is not None:
                        return self._release
                    raise self._failed[1]
                self._loading = target
                try:
                    path = (link.parent / target).resolve()
                    # a damaged file is refused before the engine reads it, never served
                    verify(path, Manifest.read(path / "manifest.json"))
                    new = ServedRelease(path, self.settings, self.restrictions)
                except (ArdoiseError, OSError, ValueError, KeyError, duckdb.Error) as exc:
                    error = _unservable(target, exc)
                    self._failed = (target, error)
                    if self._release is not None:  # keep serving the previous release
                        return self._release
                    raise error from (None if error is exc else exc)
                finally:
                    self._loading = None
                self._release, self._target, self._failed = new, target, None
                # the previous engine is left to the garbage collector: requests may still use it
            return self._release

    def close(self) -> None:
        if self._release is not None:
            self._release.close()


def _project(release: ServedRelease, view: DatasetView, grant: Grant) -> DatasetView:
    """``view`` as ``grant`` shows it: without the hidden fields, with the grant's rows."""
    dataset = replace(
        view.dataset,
        fields=tuple(f for f in view.dataset.fields if f.name not in grant.hidden),
        key=tuple(k for k in view.dataset.key if k not in grant.hidden),
        territories=tuple((r, n) for r, n in view.dataset.territories if n not in grant.hidden),
    )
    row_filter = RowFilter(grant.row_filter, view.schema) if grant.row_filter else None
    projected = replace(view, dataset=dataset, schema=Schema.from_dataset(dataset))
    if row_filter is None:
        return projected
    counted = compile_cached(
        RecordsQuery(limit=0), projected.schema, export=True, row_filter=row_filter
    )
    rows = release.engine.count(counted)
    return replace(projected, row_filter=row_filter, granted_rows=rows)


# territory roles whose columns are looked up one value at a time (a school, a commune)
_POINT_ROLES = ("uai", "commune")


def _id_columns(dataset: Dataset) -> tuple[str, ...]:
    """The id-like columns of a dataset, indexed for point lookups: the record id, a
    one-field key, the school and commune codes (and their link columns, for
    ``territoire=``)."""
    columns = ["_recordid", "_uai", "_commune", *(dataset.key if len(dataset.key) == 1 else ())]
    columns += [name for role, name in dataset.territories if role in _POINT_ROLES]
    return tuple(dict.fromkeys(columns))


def _unservable(target: str, exc: Exception) -> ArdoiseError:
    """Why the release behind ``target`` cannot be served. A bad setting stays itself: it is
    not the release's fault and no rollback would fix it."""
    if isinstance(exc, ConfigError):
        return exc
    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    detail = _ABSOLUTE.sub(lambda m: m.group(0).rsplit("/", 1)[-1], first_line)
    return ReleaseCorrupt(
        f"La release {target.rsplit('/', 1)[-1]} ne peut pas être servie "
        f"({detail}) : revenez à une release précédente (`ardoise rollback`)."
    )


# An absolute path in an error message (it reaches clients in a 503): shown by its file name.
_ABSOLUTE = re.compile(r"(?:/[\w.@+-]+){2,}/?")
