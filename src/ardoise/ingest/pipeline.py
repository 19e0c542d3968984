"""Ingest one dataset: read its sources, map, type, link, check → Arrow table + Report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ardoise.catalog.model import Dataset, Field, Source
from ardoise.errors import SourceError
from ardoise.ingest import checks, overlap
from ardoise.ingest.mapping import map_columns
from ardoise.ingest.normalise import (
    converted,
    has_markers,
    marker_condition,
    marker_reason,
    markers_for,
    number,
    school_year_sql,
)
from ardoise.ingest.readers import SourceRead, read_source
from ardoise.ingest.report import Issue, Report
from ardoise.ingest.territories import LINK_COLUMNS, hierarchy_select, role_links
from ardoise.sql import quote_identifier, quote_literal

HIDDEN_COLUMNS = ("_recordid", "_annee_scolaire", *LINK_COLUMNS, "_etats")


@dataclass(frozen=True)
class SourceInfo:
    path: str
    sha256: str
    bytes: int
    format: str
    encoding: str
    rows: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "format": self.format,
            "encoding": self.encoding,
            "rows": self.rows,
        }


@dataclass(frozen=True)
class IngestResult:
    dataset: Dataset
    table: pa.Table | None  # None when a blocking issue stops the dataset
    report: Report
    sources: tuple[SourceInfo, ...]


def ingest_dataset(
    ds: Dataset,
    mirror: Path,
    conn: duckdb.DuckDBPyConnection,
    *,
    linked: bool,
    previous: checks.PreviousVersion | None = None,
    download: Callable[[str], Path] | None = None,
    stage: Callable[[str], None] | None = None,
) -> IngestResult:
    """Read, normalise and check one dataset. ``linked``: the ref_* tables exist in ``conn``.

    ``stage``, when given, is called with ``"lecture"``, ``"normalisation"`` and
    ``"controles"`` as each step starts (a submission's progress, ``controlplane.queue``).

    ``download`` (url → local file), when given, fetches the official export of a dataset
    none of whose sources is in the mirror.
    """
    sources = ds.sources
    if download is not None and not any((mirror / s.path).is_file() for s in ds.sources):
        try:
            local = download(ds.source_url)
        except SourceError as exc:
            issue = Issue(type="source-absente", source=ds.source_url, message=str(exc))
            return IngestResult(ds, None, Report(ds.id, (issue,)), ())
        mirror = local.parent
        sources = (Source(path=local.name, description=f"Téléchargé de {ds.source_url}"),)
    step = stage or (lambda _name: None)
    step("lecture")
    staged = _Staged()
    for i, source in enumerate(sources):
        staged.add(conn, ds, i, source, mirror / source.path)
    read_sources = tuple(staged.infos)
    issues = staged.issues
    if any(x.blocking for x in issues) or not staged.views:
        return IngestResult(ds, None, Report(ds.id, tuple(issues)), read_sources)

    union = " UNION ALL BY NAME ".join(f"SELECT * FROM {s}" for s in staged.views)
    markers = markers_for(ds)
    step("normalisation")
    _create_typed(conn, ds, markers, linked, union, issues)
    step("controles")
    issues.extend(checks.type_errors(conn, ds, markers))
    if linked:
        issues.extend(checks.territory_issues(conn, ds))
    issues.extend(checks.school_year_issues(conn, ds))
    issues.extend(checks.key_duplicates(conn, ds))
    columns = list(ds.field_names) + list(HIDDEN_COLUMNS)
    table = conn.sql(
        f"SELECT {', '.join(quote_identifier(c) for c in columns)} FROM _typed ORDER BY _src, _ligne"
    ).to_arrow_table()
    report = Report(
        dataset_id=ds.id,
        issues=tuple(issues),
        rows=table.num_rows,
        columns=len(ds.fields),
        completeness=checks.completeness(conn, ds),
        years=checks.years(conn),
    )
    report = checks.with_drift(report, ds, previous)
    for s in staged.views:
        conn.execute(f"DROP VIEW IF EXISTS {s}")
        conn.unregister(s + "_arrow")
    return IngestResult(ds, table, report, read_sources)


@dataclass
class _Staged:
    """The sources of one dataset as read so far: a temp view ``_src<i>`` per usable source
    (its fields under their catalogue names, plus ``_src`` and ``_ligne``), the issues met
    and what was read of each source."""

    views: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    infos: list[SourceInfo] = field(default_factory=list)
    reads: list[SourceRead] = field(default_factory=list)  # their Arrow tables stay registered

    def add(
        self, conn: duckdb.DuckDBPyConnection, ds: Dataset, i: int, source: Source, path: Path
    ) -> None:
        if not path.is_file():
            self.issues.append(
                Issue(
                    type="source-absente",
                    source=source.path,
                    message=f"Source introuvable dans le miroir : {path}",
                )
            )
            self.infos.append(SourceInfo(source.path, "", 0, "", "", None))
            return
        read = read_source(path, source)
        self.reads.append(read)
        self.issues.extend(read.issues)
        rows = read.table.num_rows if read.table is not None else None
        self.infos.append(
            SourceInfo(source.path, read.sha256, read.bytes, read.format, read.encoding, rows)
        )
        if read.table is None:
            return
        if read.table.num_rows == 0:
            self.issues.append(
                Issue(
                    type="aucune-ligne",
                    source=source.path,
                    message=f"{source.path} n'a qu'un en-tête, aucune ligne de données.",
                )
            )
            return
        cmap = map_columns(ds, source, read.table.column_names)
        self.issues.extend(cmap.issues)
        if any(x.blocking for x in cmap.issues):
            return
        name = f"_src{i}"
        conn.register(name + "_arrow", read.table)
        selects = [f"{quote_identifier(col)} AS {quote_identifier(f)}" for col, f in cmap.columns]
        selects += [
            f"CAST(NULL AS VARCHAR) AS {quote_identifier(f)}"
            for f in ds.field_names
            if f not in cmap.fields
        ]
        selects += [f"{i} AS _src", "CAST(row_number() OVER () + 1 AS BIGINT) AS _ligne"]
        conn.execute(
            f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {', '.join(selects)} FROM {name}_arrow"
        )
        self.views.append(name)


def _create_typed(
    conn: duckdb.DuckDBPyConnection,
    ds: Dataset,
    markers: dict[str, str],
    linked: bool,
    union: str,
    issues: list[Issue],
) -> None:
    """_clean (trimmed raw strings + numbers) → _typed (typed values, links, record ids)."""
    _create_clean(conn, ds, union, issues)
    dirty = _dirty_fields(conn, ds)
    # Markers can only hide in dirty fields (a marker is not a number): flag them there.
    flags = [
        f"{marker_condition(f.name, markers)} AS {quote_identifier('_m_' + f.name)}"
        for f in ds.fields
        if f.name in dirty and has_markers(f)
    ]
    items = _typed_items(ds, markers, dirty)
    source = f"(SELECT *, {', '.join(flags)} FROM _clean)" if flags else "_clean"
    conn.execute(f"CREATE OR REPLACE TEMP TABLE _typed0 AS SELECT {', '.join(items)} FROM {source}")
    recordid = _record_id(conn, ds)
    _create_links(conn, ds, linked)
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE _typed AS SELECT t.* EXCLUDE (_h), {recordid} AS _recordid, "
        "l.* EXCLUDE (_src, _ligne) "
        "FROM _typed0 t JOIN _links l ON l._src = t._src AND l._ligne = t._ligne"
    )


def _create_clean(
    conn: duckdb.DuckDBPyConnection, ds: Dataset, union: str, issues: list[Issue]
) -> None:
    """_clean: every field trimmed (empty → NULL), numbers parsed beside (``_n_<field>``),
    and the school year in its ``AAAA-AAAA`` form; when sources supply chosen years only,
    each row from the source of its year (the overlap compared into ``issues``)."""
    pass1 = ["_src", "_ligne"]
    for f in ds.fields:
        pass1.append(f"nullif(trim({quote_identifier(f.name)}), '') AS {quote_identifier(f.name)}")
        if f.type in ("int", "double"):
            pass1.append(f"{number(f.name)} AS {quote_identifier('_n_' + f.name)}")
    if ds.school_year:
        pass1.append(
            f"{school_year_sql(ds.school_year.field, ds.school_year.kind)} AS _annee_scolaire"
        )
    else:
        pass1.append("CAST(NULL AS VARCHAR) AS _annee_scolaire")
    select = f"SELECT {', '.join(pass1)} FROM ({union})"
    if not overlap.restricted(ds):
        conn.execute(f"CREATE OR REPLACE TEMP TABLE _clean AS {select}")
        return
    conn.execute(f"CREATE OR REPLACE TEMP TABLE _clean_all AS {select}")
    found = overlap.overlap_issue(conn, ds, "_clean_all")
    if found is not None:
        issues.append(found)
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _clean AS SELECT * FROM _clean_all "
        f"WHERE {overlap.kept_condition(ds)}"
    )
    conn.execute("DROP TABLE _clean_all")


def _typed_items(ds: Dataset, markers: dict[str, str], dirty: set[str]) -> list[str]:
    """The select items of _typed0: typed values, ``_bad_<field>`` flags, ``_etats``."""
    items = ["_src", "_ligne", "_annee_scolaire"]
    for f in ds.fields:
        if f.name not in dirty:
            # every value is empty or already a clean number: no marker, no error possible
            items.append(f"{_clean_value(f)} AS {quote_identifier(f.name)}")
            continue
        value = converted(f, f.name, number_column="_n_" + f.name)
        if has_markers(f):
            m = quote_identifier("_m_" + f.name)
            items.append(
                f"(CASE WHEN {m} THEN NULL ELSE {value} END) AS {quote_identifier(f.name)}"
            )
            items.append(
                f"({quote_identifier(f.name)} IS NOT NULL AND NOT {m} AND {value} IS NULL) "
                f"AS {quote_identifier('_bad_' + f.name)}"
            )
        else:
            items.append(f"{value} AS {quote_identifier(f.name)}")
    marked = [f for f in ds.fields if has_markers(f) and f.name in dirty]
    if marked:
        pairs = ", ".join(
            f"CASE WHEN {quote_identifier('_m_' + f.name)} THEN struct_pack("
            f"k := {quote_literal(f.name)}, v := {marker_reason(f.name, markers)}) END"
            for f in marked
        )
        any_marker = " OR ".join(quote_identifier("_m_" + f.name) for f in marked)
        items.append(
            f"CASE WHEN {any_marker} THEN CAST(to_json(map_from_entries(list_filter([{pairs}], "
            "lambda x: x IS NOT NULL))) AS VARCHAR) END AS _etats"
        )
    else:
        items.append("CAST(NULL AS VARCHAR) AS _etats")
    return items


def _record_id(conn: duckdb.DuckDBPyConnection, ds: Dataset) -> str:
    """Hash every row of _typed0 into ``_h``; the SQL of ``_recordid`` over it.

    The record id is stable for an unchanged row, whatever the release (ODS-style 40 hex
    characters); rows repeated in a source get their rank hashed in."""
    parts = ", ".join(
        f"coalesce(CAST({quote_identifier(f.name)} AS VARCHAR), chr(0))" for f in ds.fields
    )
    conn.execute("ALTER TABLE _typed0 ADD COLUMN _h VARCHAR")
    conn.execute(
        f"UPDATE _typed0 SET _h = sha1(concat_ws(chr(31), {quote_literal(ds.id)}, {parts}))"
    ).fetchall()
    (repeated,) = conn.execute("SELECT count(*) - count(DISTINCT _h) FROM _typed0").fetchall()[0]
    return (
        "CASE WHEN count(*) OVER (PARTITION BY _h) > 1 THEN sha1(_h || '#' || "
        "CAST(row_number() OVER (PARTITION BY _h ORDER BY t._src, t._ligne) AS VARCHAR)) "
        "ELSE _h END"
        if repeated
        else "_h"
    )


def _create_links(conn: duckdb.DuckDBPyConnection, ds: Dataset, linked: bool) -> None:
    """_links: per row of _clean, its link columns (NULL without a referential) and, when
    linked, the raw value and code found for each territory role."""
    if linked:
        links, joins = role_links(ds, "s")
        hier, hjoins = hierarchy_select(links)
        raws = [
            f"{link.raw} AS {quote_identifier('_raw_' + link.role)}, {link.code} AS "
            f"{quote_identifier('_code_' + link.role)}"
            for link in links
        ]
        link_sql = ", ".join(hier + raws)
        from_sql = "_clean s " + " ".join(joins + hjoins)
    else:
        link_sql = ", ".join(f"CAST(NULL AS VARCHAR) AS {c}" for c in LINK_COLUMNS)
        from_sql = "_clean s"
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE _links AS SELECT s._src, s._ligne, {link_sql} FROM {from_sql}"
    )


def _clean_value(f: Field) -> str:
    if f.type == "int":
        return f"TRY_CAST({quote_identifier('_n_' + f.name)} AS BIGINT)"
    if f.type == "double":
        return quote_identifier("_n_" + f.name)
    return quote_identifier(f.name)  # text


def _dirty_fields(conn: duckdb.DuckDBPyConnection, ds: Dataset) -> set[str]:
    """Typed fields holding at least one value that is not a plain number of their type.

    Wide tables (175 columns) are mostly clean: only dirty fields get the marker, error and
    status expressions, which keeps the generated SQL small.
    """
    checks = []
    for f in ds.fields:
        if f.type == "int":
            n = quote_identifier("_n_" + f.name)
            checks.append(
                (
                    f.name,
                    f"count_if(({quote_identifier(f.name)} IS NOT NULL AND {n} IS NULL) "
                    f"OR {n} <> floor({n}) OR abs({n}) >= 9e15)",
                )
            )
        elif f.type == "double":
            n = quote_identifier("_n_" + f.name)
            checks.append(
                (
                    f.name,
                    f"count_if(({quote_identifier(f.name)} IS NOT NULL AND {n} IS NULL) OR NOT isfinite({n}))",
                )
            )
    dirty = {f.name for f in ds.fields if f.type not in ("text", "int", "double")}
    if checks:
        counts = conn.execute(
            "SELECT " + ", ".join(sql for _, sql in checks) + " FROM _clean"
        ).fetchall()[0]
        dirty |= {name for (name, _), n in zip(checks, counts, strict=True) if n}
    return dirty
