"""The release manifest (``manifest.json``): what a release holds, with provenance and hashes.

A ``Manifest`` is written once, at publish (``release/build.py``), and read by everything
that serves a release (``query/release.py``, the store's listing, the Data Package). Its
parts::

    Manifest             release id, date, previous release, fingerprint, mirror, descriptors
      datasets           dataset id → DatasetEntry
        DatasetEntry     status, title, rows, national, carried over from
          ParquetFile    data/<id>.parquet: path, sha256, bytes (None when blocked, no previous)
          ParquetColumn  its schema: name, Arrow type
          SourceInfo     each source file read: path, sha256, bytes, format, encoding, rows
          QualitySummary the ingest report in short (and ``blocked_quality`` for a blocked
                         dataset that kept its previous version)
      referential        ReferentialInfo: status, output hashes, counts, inputs, geometry
      indicators         IndicatorsInfo: counts, years, files, one hash
      portal_catalog     PortalCatalogInfo: datasets the portal lists, and held here

``to_json`` gives the dict ``write_json`` stores (keys in sorted order, as in the file), so a
release written by this code is the same file, byte for byte, as before the manifest was
typed; ``from_json(d).to_json() == d`` for every manifest this code writes.

Releases published before a key existed still load (``from_json`` defaults it). The shape
has been ``manifest_version`` 1 throughout; what changed:

- ``indicators`` appeared with the indicators (commit 458d84f): older releases have none
  (``Manifest.indicators`` is None, and ``to_json`` leaves the key out);
- ``created_at`` was at the second, not the microsecond, before 27fcde5 (a string either way);
- ``referential`` is ``{"status": "absent" | "conserve", "error": …, "outputs_sha256": …}``
  when the referential could not be built, otherwise the referential build's summary plus
  ``status`` and ``outputs_sha256`` (the summary's keys came with the referential build,
  b4406c5); keys absent from the file are None here and left out again by ``to_json``;
- ``datapackage.json`` (beside the manifest) appeared with d39a2cd; ``api/datapackage.py``
  builds it from the manifest for older releases.

Every other key has been written since the first release; the defaults below are only there
so that a hand-written or truncated manifest loads rather than fails on a detail.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar, cast, get_args

from ardoise.release.files import write_json

MANIFEST_VERSION = 1

Status = Literal["publie", "conserve", "bloque", "inchange"]
# publie: new version built; conserve: blocked, previous version kept; bloque: blocked and
# no previous version; inchange: not selected by --only, carried over as it was.
STATUSES: tuple[Status, ...] = get_args(Status)

_V = TypeVar("_V")


def _map(value: Any, convert: Callable[[Any], _V]) -> dict[str, _V]:
    """A JSON object as a ``str → convert(value)`` dict, in the file's order."""
    return {str(k): convert(v) for k, v in dict(value or {}).items()}


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value or ())


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _status(value: Any) -> Status:
    if value not in STATUSES:
        raise ValueError(f"statut de jeu inconnu : {value!r}")
    return cast(Status, value)


@dataclass(frozen=True)
class ParquetFile:
    """The Parquet table of a dataset, relative to the release folder."""

    path: str  # data/<dataset id>.parquet
    sha256: str
    bytes: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ParquetFile:
        return cls(str(data["path"]), str(data["sha256"]), int(data["bytes"]))

    def to_json(self) -> dict[str, Any]:
        return {"bytes": self.bytes, "path": self.path, "sha256": self.sha256}


@dataclass(frozen=True)
class ParquetColumn:
    """One column of a dataset's Parquet table."""

    name: str
    type: str  # the Arrow type as text ("string", "int64", "struct<lon: double, lat: double>")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ParquetColumn:
        return cls(str(data["name"]), str(data["type"]))

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type}


@dataclass(frozen=True)
class SourceInfo:
    """One source file of a dataset as the ingest read it (``ingest.pipeline.SourceInfo``)."""

    path: str  # relative to the mirror
    sha256: str
    bytes: int
    format: str
    encoding: str
    rows: int | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SourceInfo:
        rows = data.get("rows")
        return cls(
            path=str(data["path"]),
            sha256=str(data["sha256"]),
            bytes=int(data.get("bytes") or 0),
            format=str(data.get("format") or ""),
            encoding=str(data.get("encoding") or ""),
            rows=None if rows is None else int(rows),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "bytes": self.bytes,
            "encoding": self.encoding,
            "format": self.format,
            "path": self.path,
            "rows": self.rows,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class QualitySummary:
    """The ingest report of a dataset in short (``ingest.report.Report.summary``)."""

    valid: bool = True
    rows: int = 0
    columns: int = 0
    blocking: int = 0  # blocking issues
    warnings: int = 0
    issues_by_type: Mapping[str, int] = field(default_factory=dict)  # issue type → count
    years: Mapping[str, int] = field(default_factory=dict)  # school year → rows

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> QualitySummary:
        return cls(
            valid=bool(data.get("valid", True)),
            rows=int(data.get("rows") or 0),
            columns=int(data.get("columns") or 0),
            blocking=int(data.get("blocking") or 0),
            warnings=int(data.get("warnings") or 0),
            issues_by_type=_map(data.get("issues_by_type"), int),
            years=_map(data.get("years"), int),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "blocking": self.blocking,
            "columns": self.columns,
            "issues_by_type": dict(self.issues_by_type),
            "rows": self.rows,
            "valid": self.valid,
            "warnings": self.warnings,
            "years": dict(self.years),
        }


@dataclass(frozen=True)
class DatasetEntry:
    """One dataset of a release: published, carried over, or blocked (then no Parquet)."""

    status: Status
    title: str
    rows: int
    parquet: ParquetFile | None
    schema: tuple[ParquetColumn, ...]
    quality: QualitySummary  # of the version served (carried over with it)
    sources: tuple[SourceInfo, ...]  # as read by the last ingest
    national: bool
    carried_over_from: str | None  # release that built the Parquet file, when not this one
    blocked_quality: QualitySummary | None = None  # conserve: the report of the blocked build

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.schema)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DatasetEntry:
        parquet = data.get("parquet")
        blocked = data.get("blocked_quality")
        return cls(
            status=_status(data.get("status") or ("publie" if parquet else "bloque")),
            title=str(data.get("title") or ""),
            rows=int(data.get("rows") or 0),
            parquet=ParquetFile.from_json(parquet) if parquet else None,
            schema=tuple(ParquetColumn.from_json(c) for c in data.get("schema") or ()),
            quality=QualitySummary.from_json(data.get("quality") or {}),
            sources=tuple(SourceInfo.from_json(s) for s in data.get("sources") or ()),
            national=bool(data.get("national", False)),
            carried_over_from=_optional_str(data.get("carried_over_from")),
            blocked_quality=None if blocked is None else QualitySummary.from_json(blocked),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.blocked_quality is not None:
            out["blocked_quality"] = self.blocked_quality.to_json()
        out |= {
            "carried_over_from": self.carried_over_from,
            "national": self.national,
            "parquet": None if self.parquet is None else self.parquet.to_json(),
            "quality": self.quality.to_json(),
            "rows": self.rows,
            "schema": [c.to_json() for c in self.schema],
            "sources": [s.to_json() for s in self.sources],
            "status": self.status,
            "title": self.title,
        }
        return out


@dataclass(frozen=True)
class ReferentialSources:
    """Versions of the referential's tools and of the commune list."""

    decoupage_origin: str  # "node_modules" or "miroir"
    decoupage_version: str
    mapshaper: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReferentialSources:
        decoupage = dict(data.get("decoupage_administratif") or {})
        return cls(
            str(decoupage.get("origine") or ""),
            str(decoupage.get("version") or ""),
            str(data.get("mapshaper") or ""),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "decoupage_administratif": {
                "origine": self.decoupage_origin,
                "version": self.decoupage_version,
            },
            "mapshaper": self.mapshaper,
        }


@dataclass(frozen=True)
class CommuneContours:
    """The commune contour files, summed up (``geo/communes/`` in the sizes)."""

    files: int
    bytes: int


_COMMUNES = "geo/communes/"


@dataclass(frozen=True)
class GeometryInfo:
    """How the referential's contours were made, and which territories have none."""

    simplify: Mapping[str, str]  # level → mapshaper simplification ("15%")
    quantization: int
    sizes: Mapping[str, int]  # geo/… file → bytes (commune files apart)
    communes: CommuneContours | None  # None when no commune contour was written
    missing: Mapping[str, tuple[str, ...]]  # level → codes without a contour
    unmatched: Mapping[str, tuple[str, ...]]  # level → source codes not in the COG

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GeometryInfo:
        sizes = dict(data.get("sizes") or {})
        communes = sizes.pop(_COMMUNES, None)
        return cls(
            simplify=_map(data.get("simplify"), str),
            quantization=int(data.get("quantization") or 0),
            sizes=_map(sizes, int),
            communes=None
            if communes is None
            else CommuneContours(int(communes["fichiers"]), int(communes["octets"])),
            missing=_map(data.get("missing"), _strings),
            unmatched=_map(data.get("unmatched"), _strings),
        )

    def to_json(self) -> dict[str, Any]:
        sizes: dict[str, Any] = dict(self.sizes)
        if self.communes is not None:
            sizes[_COMMUNES] = {"fichiers": self.communes.files, "octets": self.communes.bytes}
        return {
            "missing": {k: list(v) for k, v in self.missing.items()},
            "quantization": self.quantization,
            "simplify": dict(self.simplify),
            "sizes": dict(sorted(sizes.items())),
            "unmatched": {k: list(v) for k, v in self.unmatched.items()},
        }


@dataclass(frozen=True)
class ReferentialInfo:
    """The territorial referential of a release (``referential/``).

    ``status``: "construit" (built by this ingest), "conserve" (the build failed, the
    previous release's files were kept) or "absent" (failed, nothing to keep); ``error``
    says why when it is not "construit". The other parts are those of the referential
    build's summary (``referential.build.ReferentialSummary.to_json``); each is None when
    the file has no such key (a referential not built, or built by a test's stand-in).
    """

    status: str
    outputs_sha256: Mapping[str, str]  # file relative to referential/ → sha256
    error: str | None = None
    counts: Mapping[str, int] | None = None  # table → rows
    inputs: Mapping[str, str] | None = None  # input file → sha256
    sources: ReferentialSources | None = None
    geometry: GeometryInfo | None = None

    @classmethod
    def built(cls, summary: Mapping[str, Any]) -> ReferentialInfo:
        """The referential built by this ingest, from the build's summary (its output hashes
        are filled in once the files are in place)."""
        return cls.from_json({**summary, "status": "construit"})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReferentialInfo:
        sources, geometry = data.get("sources"), data.get("geometry")
        counts, inputs = data.get("counts"), data.get("inputs")
        return cls(
            status=str(data.get("status") or "absent"),
            outputs_sha256=_map(data.get("outputs_sha256"), str),
            error=_optional_str(data.get("error")),
            counts=None if counts is None else _map(counts, int),
            inputs=None if inputs is None else _map(inputs, str),
            sources=None if sources is None else ReferentialSources.from_json(sources),
            geometry=None if geometry is None else GeometryInfo.from_json(geometry),
        )

    def to_json(self) -> dict[str, Any]:
        parts: dict[str, Any] = {
            "counts": None if self.counts is None else dict(self.counts),
            "error": self.error,
            "geometry": None if self.geometry is None else self.geometry.to_json(),
            "inputs": None if self.inputs is None else dict(self.inputs),
            "outputs_sha256": dict(self.outputs_sha256),
            "sources": None if self.sources is None else self.sources.to_json(),
            "status": self.status,
        }
        return {k: v for k, v in parts.items() if v is not None}


@dataclass(frozen=True)
class IndicatorsInfo:
    """The indicators computed at publish (``indicators.model.IndicatorsSummary.to_json``)."""

    indicators: int
    rows: int
    statuses: Mapping[str, int]  # value status → rows
    years: Mapping[str, tuple[str, ...]]  # indicator id → school years with data
    files: Mapping[str, str]  # file relative to indicators/ → sha256
    sha256: str  # one hash over every file, part of the release fingerprint
    anomalies: int
    seconds: float  # time the computation took

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IndicatorsInfo:
        return cls(
            indicators=int(data.get("indicators") or 0),
            rows=int(data.get("rows") or 0),
            statuses=_map(data.get("statuses"), int),
            years=_map(data.get("years"), _strings),
            files=_map(data.get("files"), str),
            sha256=str(data["sha256"]),
            anomalies=int(data.get("anomalies") or 0),
            seconds=float(data.get("seconds") or 0.0),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "anomalies": self.anomalies,
            "files": dict(self.files),
            "indicators": self.indicators,
            "rows": self.rows,
            "seconds": self.seconds,
            "sha256": self.sha256,
            "statuses": dict(self.statuses),
            "years": {k: list(v) for k, v in self.years.items()},
        }


@dataclass(frozen=True)
class PortalCatalogInfo:
    """The portal's catalogue (``catalog/portal.json``): datasets it lists, and held here."""

    known: int = 0
    held: int = 0

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PortalCatalogInfo:
        return cls(int(data.get("known") or 0), int(data.get("held") or 0))

    def to_json(self) -> dict[str, Any]:
        return {"held": self.held, "known": self.known}


@dataclass(frozen=True)
class Manifest:
    """A release's ``manifest.json``."""

    release_id: str
    created_at: str  # ISO 8601, UTC
    fingerprint: str  # content hash: an equal fingerprint means nothing new to publish
    previous_release: str | None  # the release that was current when this one was built
    ardoise_version: str
    mirror: str  # the mirror folder it was built from
    descriptors_sha256: Mapping[str, str]  # dataset id → sha256 of its descriptor
    referential: ReferentialInfo
    portal_catalog: PortalCatalogInfo
    datasets: Mapping[str, DatasetEntry]  # every dataset of the catalog, blocked ones too
    indicators: IndicatorsInfo | None = None  # None: published before the indicators
    manifest_version: int = MANIFEST_VERSION

    @property
    def published(self) -> dict[str, DatasetEntry]:
        """The datasets that have a Parquet file (served), by id in sorted order."""
        return {k: e for k, e in sorted(self.datasets.items()) if e.parquet is not None}

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """The manifest in ``path``; ValueError if it is not JSON or not a manifest."""
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))

    def write(self, path: Path) -> None:
        """Write ``manifest.json`` atomically (``write_json``: indented, sorted keys)."""
        write_json(path, self.to_json())

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        """The manifest of a JSON object; ValueError when a part is missing or malformed."""
        try:
            indicators = data.get("indicators")
            return cls(
                release_id=str(data["release_id"]),
                created_at=str(data["created_at"]),
                fingerprint=str(data.get("fingerprint") or ""),
                previous_release=_optional_str(data.get("previous_release")),
                ardoise_version=str(data.get("ardoise_version") or ""),
                mirror=str(data.get("mirror") or ""),
                descriptors_sha256=_map(data.get("descriptors_sha256"), str),
                referential=ReferentialInfo.from_json(data.get("referential") or {}),
                portal_catalog=PortalCatalogInfo.from_json(data.get("portal_catalog") or {}),
                datasets=_map(data.get("datasets"), DatasetEntry.from_json),
                indicators=None if indicators is None else IndicatorsInfo.from_json(indicators),
                manifest_version=int(data.get("manifest_version") or MANIFEST_VERSION),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"manifeste mal formé ({type(exc).__name__} : {exc})") from exc

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ardoise_version": self.ardoise_version,
            "created_at": self.created_at,
            "datasets": {k: e.to_json() for k, e in self.datasets.items()},
            "descriptors_sha256": dict(self.descriptors_sha256),
            "fingerprint": self.fingerprint,
        }
        if self.indicators is not None:
            out["indicators"] = self.indicators.to_json()
        out |= {
            "manifest_version": self.manifest_version,
            "mirror": self.mirror,
            "portal_catalog": self.portal_catalog.to_json(),
            "previous_release": self.previous_release,
            "referential": self.referential.to_json(),
            "release_id": self.release_id,
        }
        return out
