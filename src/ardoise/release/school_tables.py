"""Build the schools-over-time datasets of a release (issue #18) and their manifest entries.

``build_school_tables(build)`` reads ``build/data/*.parquet`` and ``build/indicators``,
writes ``data/ardoise-etablissements-annees.parquet``, ``data/ardoise-correspondance-uai.parquet``
and ``data/ardoise-etablissements-panel.parquet``, their descriptors (``catalog/<id>.yaml``)
and quality reports (``quality/<id>.json``; the school-years one carries the join share),
and returns their manifest entries. They are datasets like the others from then on.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from ardoise.catalog.loader import parse_descriptor
from ardoise.release.files import sha256_file, write_json
from ardoise.release.manifest import DatasetEntry, ParquetColumn, ParquetFile, QualitySummary
from ardoise.release.school_descriptors import (
    CROSSWALK_ID,
    DERIVED_IDS,
    PANEL_ID,
    SCHOOL_YEARS_ID,
    descriptor,
)
from ardoise.release.school_identity import JoinShare, detect_identity, join_share
from ardoise.release.school_sources import DIRECTORY
from ardoise.release.school_years import (
    MEASURES,
    SourceRows,
    aggregate_school_years,
    load_school_rows,
)
from ardoise.sql import quote_identifier

_HIDDEN = (
    "left(sha256({key}), 40) AS _recordid, {year} AS _annee_scolaire, {uai} AS _uai, "
    "{commune} AS _commune, {dep} AS _departement, {aca} AS _academie, {reg} AS _region, "
    "CAST(NULL AS VARCHAR) AS _etats"
)


def _hidden(key: str, year: str, uai: str, with_places: bool) -> str:
    places = ("commune", "departement", "academie", "region") if with_places else ("NULL",) * 4
    commune, dep, aca, reg = (f"CAST({p} AS VARCHAR)" for p in places)
    return _HIDDEN.format(key=key, year=year, uai=uai, commune=commune, dep=dep, aca=aca, reg=reg)


def school_tables_sql(
    conn: duckdb.DuckDBPyConnection, data: Path, indicators: Path | None
) -> tuple[tuple[SourceRows, ...], JoinShare]:
    """Fill the temporary tables (rows, school-years, crosswalk, events) from the datasets
    in ``data`` (their Parquet files) and the indicator values; what each dataset gave, and
    the join share. Also what ``bench/school_join.py`` runs on a release."""
    datasets = {p.stem: p for p in sorted(data.glob("*.parquet")) if p.stem not in DERIVED_IDS}
    rows = load_school_rows(conn, datasets)
    aggregate_school_years(conn, indicators)
    detect_identity(conn, datasets.get(DIRECTORY))
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _moves AS SELECT uai_ancien, uai_nouveau FROM _crosswalk "
        "WHERE relation = 'changement_de_code'"
    )
    return rows, join_share(conn)


_SCHOOL_YEARS = (
    "SELECT y.uai, y.annee_scolaire, y.nom, y.secteur, y.type, y.commune, y.departement, "
    "y.academie, y.region, y.sources, y.nb_sources, y.ips, y.taux_reussite_dnb, "
    "y.va_taux_reussite_dnb, y.note_ecrit_dnb, y.effectifs, e.evenement, "
    "s.uai_nouveau AS uai_successeur, p.uai_ancien AS uai_predecesseur, "
    + _hidden("y.uai || '|' || y.annee_scolaire", "y.annee_scolaire", "y.uai", True)
    + " FROM _school_years y LEFT JOIN _events e USING (uai, annee_scolaire) "
    "LEFT JOIN _moves s ON s.uai_ancien = y.uai LEFT JOIN _moves p ON p.uai_nouveau = y.uai "
    "ORDER BY y.uai, y.annee_scolaire"
)
_CROSSWALK = (
    "SELECT uai_ancien, uai_nouveau, relation, derniere_annee_ancien, premiere_annee_nouveau, "
    "commune, preuve, sources, "
    + _hidden(
        "uai_ancien || '|' || uai_nouveau || '|' || relation",
        "premiere_annee_nouveau",
        "uai_ancien",
        False,
    ).replace("CAST(NULL AS VARCHAR) AS _commune", "commune AS _commune")
    + " FROM _crosswalk ORDER BY 1, 2, 3"
)


def _panel_sql(conn: duckdb.DuckDBPyConnection) -> str:
    """One row per school; a column per measure × year that has at least one value."""
    years = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT annee_scolaire FROM _school_years ORDER BY 1"
        ).fetchall()
    ]
    items = []
    for measure in MEASURES:
        col = quote_identifier(measure)
        present = conn.execute(
            f"SELECT DISTINCT annee_scolaire FROM _school_years WHERE {col} IS NOT NULL"
        ).fetchall()
        held = {r[0] for r in present}
        for year in years:
            if year in held:
                name = quote_identifier(f"{measure}_{year.replace('-', '_')}")
                items.append(f"max({col}) FILTER (WHERE annee_scolaire = '{year}') AS {name}")
    latest = "arg_max({c}, annee_scolaire) FILTER (WHERE {c} IS NOT NULL) AS {c}"
    identity = ", ".join(
        latest.format(c=c)
        for c in ("nom", "secteur", "type", "commune", "departement", "academie", "region")
    )
    return (
        f"WITH p AS (SELECT uai, {identity}, min(annee_scolaire) AS premiere_annee, "
        "max(annee_scolaire) AS derniere_annee, count(*) AS nb_annees, "
        "min(m.uai_nouveau) AS uai_successeur"
        + "".join(", " + i for i in items)
        + " FROM _school_years y LEFT JOIN _moves m ON m.uai_ancien = y.uai GROUP BY uai) SELECT p.*, "
        + _hidden("p.uai", "CAST(NULL AS VARCHAR)", "p.uai", True)
        + " FROM p ORDER BY uai"
    )


def _write(table: pa.Table, path: Path) -> None:
    # deterministic, as the datasets' own files (release/build.py)
    pq.write_table(table, path, compression="zstd", compression_level=3, row_group_size=128_000)


def build_school_tables(build: Path, conn: duckdb.DuckDBPyConnection) -> dict[str, DatasetEntry]:
    """The three derived datasets of ``build``, written there; their manifest entries."""
    indicators = build / "indicators" / "valeurs.parquet"
    rows, share = school_tables_sql(conn, build / "data", indicators)
    sources = [r.dataset_id for r in rows]
    entries: dict[str, DatasetEntry] = {}
    for ds_id, sql in (
        (SCHOOL_YEARS_ID, _SCHOOL_YEARS),
        (CROSSWALK_ID, _CROSSWALK),
        (PANEL_ID, _panel_sql(conn)),
    ):
        table = conn.sql(sql).to_arrow_table()
        if table.num_rows == 0:  # nothing to follow (no school with a year, no code change)
            continue
        path = build / "data" / f"{ds_id}.parquet"
        _write(table, path)
        years = _years(table)
        raw = descriptor(ds_id, table.schema, sorted(years), sources)
        parse_descriptor(raw, ds_id)  # a descriptor this code writes must load
        (build / "catalog" / f"{ds_id}.yaml").write_text(
            yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "utf-8"
        )
        quality = {
            "valid": True,
            "rows": table.num_rows,
            "columns": table.num_columns,
            "years": years,
        }
        report = {"dataset_id": ds_id, **quality, "issues": [], "derived": True}
        if ds_id == SCHOOL_YEARS_ID:
            report["sources"] = [
                {"jeu": r.dataset_id, "lignes": r.rows, "uai_invalides": r.invalid_uai}
                for r in rows
            ]
            report["jointure_annees_consecutives"] = share.to_json()
        write_json(build / "quality" / f"{ds_id}.json", report)
        entries[ds_id] = DatasetEntry(
            status="publie",
            title=str(raw["title"]),
            rows=table.num_rows,
            parquet=ParquetFile(f"data/{ds_id}.parquet", sha256_file(path), path.stat().st_size),
            schema=tuple(ParquetColumn(f.name, str(f.type)) for f in table.schema),
            quality=QualitySummary.from_json(quality),
            sources=(),
            national=True,
            carried_over_from=None,
        )
    return entries


def _years(table: pa.Table) -> dict[str, int]:
    if "annee_scolaire" not in table.schema.names:
        return {}
    counts: dict[str, int] = {}
    for year in table.column("annee_scolaire").to_pylist():
        if year:
            counts[year] = counts.get(year, 0) + 1
    return dict(sorted(counts.items()))


def read_join_share(release: Path) -> dict[str, object] | None:
    """The join share a release recorded at publication (None for older releases)."""
    path = release / "quality" / f"{SCHOOL_YEARS_ID}.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text("utf-8"))
    value = data.get("jointure_annees_consecutives")
    return value if isinstance(value, dict) else None
