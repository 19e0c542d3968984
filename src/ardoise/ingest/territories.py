"""Link the territory columns of a dataset to the referential, in SQL.

Each declared territory role gets a normalised code column; codes then climb the
hierarchy (commune → département → académie → région) through the referential tables.
What the row itself states wins: its département (code, then name), else its commune's;
its académie and région, else those of its département.
The hidden columns added to every release table are listed in ``LINK_COLUMNS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ardoise.catalog.model import Dataset
from ardoise.ingest.normalise import (
    commune_sql,
    departement_sql,
    two_digit_code_sql,
    uai_valid_sql,
)
from ardoise.referential.keys import name_key_sql
from ardoise.referential.levels import LINKS
from ardoise.sql import quote_identifier, quote_literal

# The hidden columns linking each row to a rung of the ladder (France needs none).
LINK_COLUMNS: tuple[str, ...] = tuple(column for column in LINKS.values() if column)

# role → (referential level, SQL normaliser of the raw column)
_ROLES: dict[str, tuple[str, Callable[[str], str] | None]] = {
    "commune": ("commune", commune_sql),
    "departement": ("departement", departement_sql),
    "departement_nom": ("departement", None),
    "academie": ("academie", two_digit_code_sql),
    "academie_nom": ("academie", None),
    "region": ("region", two_digit_code_sql),
    "region_nom": ("region", None),
    "region_academique": ("region_academique", two_digit_code_sql),
}

REFERENTIAL_TABLES = {
    "ref_codes": "territory_codes.parquet",
    "ref_communes": "communes.parquet",
    "ref_departements": "departements.parquet",
    "ref_academies": "academies.parquet",
}


def load_referential(conn: duckdb.DuckDBPyConnection, referential_dir: Path | None) -> bool:
    """Create the ref_* tables in ``conn``; False when no referential is available."""
    if referential_dir is None:
        return False
    paths = {t: referential_dir / f for t, f in REFERENTIAL_TABLES.items()}
    if not all(p.exists() for p in paths.values()):
        return False
    src = {t: f"read_parquet({quote_literal(str(p))})" for t, p in paths.items()}
    # Ambiguous keys (one name, two codes) are dropped rather than guessed.
    conn.execute(
        f"CREATE OR REPLACE TABLE ref_codes AS SELECT niveau, cle, min(code) AS code "
        f"FROM {src['ref_codes']} GROUP BY niveau, cle HAVING count(DISTINCT code) = 1"
    )
    for table in ("ref_communes", "ref_departements", "ref_academies"):
        conn.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {src[table]} "
            f"QUALIFY row_number() OVER (PARTITION BY code ORDER BY code) = 1"
        )
    return True


@dataclass(frozen=True)
class RoleLink:
    role: str
    field: str
    raw: str  # SQL: the normalised raw value (what we looked up)
    code: str  # SQL: the referential code found, NULL when unknown


def role_links(ds: Dataset, alias: str) -> tuple[list[RoleLink], list[str]]:
    """SQL for each role's lookup, and the LEFT JOIN clauses they need."""
    links: list[RoleLink] = []
    joins: list[str] = []
    for i, (role, fname) in enumerate(ds.territories):
        col = f"{alias}.{quote_identifier(fname)}"
        if role == "uai":
            raw = uai_sql_from(col)
            links.append(
                RoleLink(role, fname, raw, f"(CASE WHEN {uai_valid_sql(raw)} THEN {raw} END)")
            )
            continue
        level, normaliser = _ROLES[role]
        raw = name_key_sql(f"{col}") if normaliser is None else normaliser_on(normaliser, col)
        j = f"_l{i}"
        joins.append(
            f"LEFT JOIN ref_codes {j} ON {j}.niveau = {quote_literal(level)} AND {j}.cle = {raw}"
        )
        links.append(RoleLink(role, fname, raw, f"{j}.code"))
    return links, joins


def uai_sql_from(col: str) -> str:
    return f"upper(replace(nullif(trim({col}), ''), ' ', ''))"


def normaliser_on(normaliser: Callable[[str], str], col: str) -> str:
    """Apply a column normaliser written for a bare identifier to a qualified column."""
    placeholder = "__col__"
    sql: str = normaliser(placeholder)
    return sql.replace(quote_identifier(placeholder), col)


def hierarchy_select(links: list[RoleLink]) -> tuple[list[str], list[str]]:
    """SELECT items for LINK_COLUMNS and the joins to climb the hierarchy."""
    code = {link.role: link.code for link in links}
    uai = code.get("uai", "CAST(NULL AS VARCHAR)")
    commune = code.get("commune", "CAST(NULL AS VARCHAR)")
    joins = []
    # The territory the source states comes first; the commune's only fills a gap: the
    # DEPP files a school of Saint-Martin (commune 97801, collectivité 978) under
    # Guadeloupe (971), and its figures count where the source counts them.
    dep_parts = [code[role] for role in ("departement", "departement_nom") if role in code]
    if "commune" in code:
        joins.append(f"LEFT JOIN ref_communes _c ON _c.code = {commune}")
        dep_parts.append("_c.departement")
    departement = f"COALESCE({', '.join(dep_parts)})" if dep_parts else "CAST(NULL AS VARCHAR)"
    joins.append(f"LEFT JOIN ref_departements _d ON _d.code = {departement}")
    aca_parts = [code[r] for r in ("academie", "academie_nom") if r in code] + ["_d.academie"]
    academie = f"COALESCE({', '.join(aca_parts)})"
    joins.append(f"LEFT JOIN ref_academies _a ON _a.code = {academie}")
    reg_parts = [code[r] for r in ("region", "region_nom") if r in code] + [
        "_d.region",
        "_a.region",
    ]
    region = f"COALESCE({', '.join(reg_parts)})"
    select = [
        f"{uai} AS _uai",
        f"{commune} AS _commune",
        f"{departement} AS _departement",
        f"{academie} AS _academie",
        f"{region} AS _region",
    ]
    return select, joins
