"""The territorial levels as SQL: which territory of each level a data row belongs to, and
every territory of each level (with its ancestors) known to the release's referential.

Two ways of placing a row (``mode``):

- ``lien``: through the hidden link columns added at ingest. A row climbs from its school
  (``_uai``) to its commune (a commune déléguée or an arrondissement counts in its current
  commune), its département (``_departement``: the one the row states, its commune's only
  when it states none — a Saint-Martin school filed under 971 counts in Guadeloupe), then
  to the académie and the région *of that département in the referential* — so that a 2016
  row of the former académie de Caen counts in Normandie, and every series keeps the same
  territories over the years.
- ``publie``: through the territory code the dataset itself publishes in its own column
  (used by reference values, which belong to the territory the ministry wrote beside them).

The referential may be partial (test fixtures): missing columns are read as NULL and
missing tables are replaced by what the other tables say.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from ardoise.catalog.model import Dataset
from ardoise.ingest.territories import load_referential, role_links
from ardoise.referential.levels import FRANCE, LADDER
from ardoise.sql import quote_identifier, quote_literal

# Level → the roles whose column names its territory, most precise first (for filters).
LEVEL_ROLES: dict[str, tuple[tuple[str, ...], ...]] = {
    "etablissement": (("uai",),),
    "commune": (("commune",),),
    "departement": (("departement", "departement_nom"), ("commune",)),
    "academie": (("academie", "academie_nom"), ("departement", "departement_nom"), ("commune",)),
    "region": (("region", "region_nom"), ("departement", "departement_nom"), ("commune",)),
}
PUBLISHED_ROLES: dict[str, tuple[str, ...]] = {
    "departement": ("departement", "departement_nom"),
    "academie": ("academie", "academie_nom"),
}


def _columns(conn: duckdb.DuckDBPyConnection, path: Path) -> set[str]:
    rows = conn.execute(
        f"DESCRIBE SELECT * FROM read_parquet({quote_literal(str(path))})"
    ).fetchall()
    return {str(r[0]) for r in rows}


def _pick(columns: set[str], name: str, default: str = "NULL") -> str:
    return quote_identifier(name) if name in columns else default


@dataclass(frozen=True)
class LevelTables:
    """Helper tables created in a DuckDB connection (all prefixed ``_ind_``)."""

    has_codes: bool  # ref_codes exists: published codes can be linked (mode "publie")

    @classmethod
    def create(cls, conn: duckdb.DuckDBPyConnection, folder: Path) -> LevelTables:
        def path(name: str) -> Path | None:
            p = folder / f"{name}.parquet"
            return p if p.is_file() else None

        _create_departements(conn, path("departements"))
        _create_academies(conn, path("academies"))
        _create_communes(conn, path("communes"))
        _create_territories(conn, path("regions"))
        return cls(has_codes=load_referential(conn, folder))


def _create_departements(conn: duckdb.DuckDBPyConnection, dep: Path | None) -> None:
    """_ind_dep: each département with its académie and its région."""
    if dep is None:
        conn.execute("CREATE TEMP TABLE _ind_dep (code VARCHAR, academie VARCHAR, region VARCHAR)")
        return
    c = _columns(conn, dep)
    conn.execute(
        "CREATE TEMP TABLE _ind_dep AS SELECT DISTINCT CAST(code AS VARCHAR) AS code, "
        f"CAST({_pick(c, 'academie')} AS VARCHAR) AS academie, "
        f"CAST({_pick(c, 'region')} AS VARCHAR) AS region "
        f"FROM read_parquet({quote_literal(str(dep))})"
    )


def _create_academies(conn: duckdb.DuckDBPyConnection, aca: Path | None) -> None:
    """_ind_aca: each académie, the current one it counts in, its région (without the
    table: those the départements name)."""
    if aca is None:
        conn.execute(
            "CREATE TEMP TABLE _ind_aca AS SELECT DISTINCT academie AS code, "
            "academie AS actuelle, region, false AS ancienne FROM _ind_dep "
            "WHERE academie IS NOT NULL"
        )
        return
    c = _columns(conn, aca)
    old = _pick(c, "ancienne", "false")
    conn.execute(
        "CREATE TEMP TABLE _ind_aca AS SELECT DISTINCT CAST(code AS VARCHAR) AS code, "
        f"CASE WHEN {old} THEN coalesce({_pick(c, 'remplacee_par')}, code) ELSE code END "
        f"AS actuelle, CAST({_pick(c, 'region')} AS VARCHAR) AS region, "
        f"coalesce({old}, false) AS ancienne FROM read_parquet({quote_literal(str(aca))})"
    )


def _create_communes(conn: duckdb.DuckDBPyConnection, com: Path | None) -> None:
    """_ind_com_all (every kind of commune) and _ind_com: code → its current commune."""
    if com is not None:
        c = _columns(conn, com)
        current = "type = 'commune-actuelle'" if "type" in c else "true"
        conn.execute(
            "CREATE TEMP TABLE _ind_com_all AS SELECT CAST(code AS VARCHAR) AS code, "
            f"({current}) AS actuelle_p, CAST({_pick(c, 'commune_parente')} AS VARCHAR) "
            "AS parente, CAST(departement AS VARCHAR) AS departement "
            f"FROM read_parquet({quote_literal(str(com))})"
        )
    else:
        conn.execute(
            "CREATE TEMP TABLE _ind_com_all (code VARCHAR, actuelle_p BOOLEAN, "
            "parente VARCHAR, departement VARCHAR)"
        )
    conn.execute(
        "CREATE TEMP TABLE _ind_com AS SELECT code, CASE WHEN bool_or(actuelle_p) "
        "THEN code ELSE coalesce(min(parente), code) END AS actuelle "
        "FROM _ind_com_all GROUP BY code"
    )


def _create_territories(conn: duckdb.DuckDBPyConnection, reg: Path | None) -> None:
    """_ind_terr: every territory of every level above the school, with its ancestors."""
    regions = (
        f"SELECT DISTINCT CAST(code AS VARCHAR) AS code FROM read_parquet({quote_literal(str(reg))})"
        if reg is not None
        else "SELECT DISTINCT region AS code FROM _ind_dep WHERE region IS NOT NULL "
        "UNION SELECT DISTINCT region FROM _ind_aca WHERE region IS NOT NULL"
    )
    conn.execute(f"""
        CREATE TEMP TABLE _ind_terr AS
        SELECT 'commune' AS niveau, c.code, NULL AS commune, c.departement,
               d.academie, d.region
          FROM (SELECT DISTINCT code, departement FROM _ind_com_all WHERE actuelle_p) c
          LEFT JOIN _ind_dep d ON d.code = c.departement
        UNION ALL
        SELECT 'departement', code, NULL, NULL, academie, region FROM _ind_dep
        UNION ALL
        SELECT 'academie', code, NULL, NULL, NULL, region FROM _ind_aca WHERE NOT ancienne
        UNION ALL
        SELECT 'region', code, NULL, NULL, NULL, NULL FROM ({regions})
        UNION ALL
        SELECT 'france', {quote_literal(FRANCE)}, NULL, NULL, NULL, NULL
    """)


@dataclass(frozen=True)
class RowPlacement:
    """SQL placing the rows of ``t`` (a dataset) at every level: key expressions + joins."""

    keys: dict[str, str]  # level → SQL expression of the territory code (NULL: unknown)
    joins: tuple[str, ...]


def linked_placement(start_level: str) -> RowPlacement:
    """Mode ``lien``: through the hidden link columns, climbing the referential."""
    keys = {
        "etablissement": "t._uai",
        "commune": "coalesce(_cm.actuelle, t._commune)",
        "departement": "t._departement",
        "academie": "coalesce(_d.academie, _a.actuelle)",
        "region": "coalesce(_d.region, _a.region, t._region)",
        "france": quote_literal(FRANCE),
    }
    joins = (
        "LEFT JOIN _ind_com _cm ON _cm.code = t._commune",
        "LEFT JOIN _ind_dep _d ON _d.code = t._departement",
        "LEFT JOIN _ind_aca _a ON _a.code = t._academie",
    )
    if start_level == "academie":
        keys["academie"] = "_a.actuelle"
        keys["region"] = "coalesce(_a.region, t._region)"
    first = LADDER.index(start_level)
    return RowPlacement({k: v for k, v in keys.items() if LADDER.index(k) >= first}, joins)


def published_placement(dataset: Dataset, levels: tuple[str, ...]) -> RowPlacement:
    """Mode ``publie``: the code of the dataset's own column for each level (reference values)."""
    links, joins = role_links(dataset, "t")
    by_role = {link.role: link.code for link in links}
    keys: dict[str, str] = {}
    extra: list[str] = []
    for level in levels:
        if level == "france":
            keys[level] = quote_literal(FRANCE)
            continue
        code = next((by_role[r] for r in PUBLISHED_ROLES.get(level, ()) if r in by_role), None)
        if code is None:
            keys[level] = "CAST(NULL AS VARCHAR)"
        elif level == "academie":
            extra.append(f"LEFT JOIN _ind_aca _pa ON _pa.code = {code}")
            keys[level] = f"coalesce(_pa.actuelle, {code})"
        else:
            keys[level] = code
    return RowPlacement(keys, tuple(joins) + tuple(extra))


def level_columns(dataset: Dataset, level: str, mode: str) -> tuple[str, ...]:
    """The dataset's columns that can name a territory of ``level``, best first."""
    groups = (PUBLISHED_ROLES.get(level, ()),) if mode == "publie" else LEVEL_ROLES.get(level, ())
    out: list[str] = []
    for roles in groups:
        name = next((dataset.territory_field(r) for r in roles if dataset.territory_field(r)), None)
        if name and name not in out:
            out.append(name)
    return tuple(out)
