"""A school's identity over time (issue #18): changes of code, openings, closures, and the
share of school-years that join from one year to the next.

Everything is detected from the data the release holds, over ``_school_rows`` and
``_school_years`` (``release/school_years.py``):

- a **series** is a dataset, or datasets that continue one another (``school_sources``);
  two consecutive years of a series are *both held* when their numbers of schools differ by
  less than 10 % (a year of an extract that covers fewer territories is not held);
- a **change of code**: in a series holding years N and N+1, a UAI present in N and absent
  from every source in N+1, and a UAI absent from every source in N and present in N+1,
  in the same commune with the same name (accents, case and punctuation aside, or a
  Jaro-Winkler similarity of 0.93 or more), each the only candidate of the other;
- a **parent school** (``rattachement``): the directory's ``etablissement_mere``;
- an **opening**: the directory's ``date_ouverture`` falls in the school year; a
  **presumed closure**: present in N, absent from every source in N+1 while a series that
  held it in N holds N+1, and no new code.

The crosswalk (old UAI → new UAI, with the evidence) is published as a dataset.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from ardoise.ingest.normalise import uai_valid_sql
from ardoise.sql import quote_literal

HELD_RATIO = 0.9  # two years of a series are both held when min/max of their schools ≥ this
NAME_SIMILARITY = 0.93


@dataclass(frozen=True)
class SeriesJoin:
    """School-years of one series in a year N whose series also holds N+1, and how many of
    them are found again in N+1 (same UAI, or its new code)."""

    serie: str
    annee_scolaire: str
    school_years: int
    joined: int

    def to_json(self) -> dict[str, object]:
        return {
            "serie": self.serie,
            "annee_scolaire": self.annee_scolaire,
            "etablissements_annees": self.school_years,
            "rejoints": self.joined,
        }


@dataclass(frozen=True)
class JoinShare:
    """The share of school-years that join across consecutive years where both are held."""

    pairs: tuple[SeriesJoin, ...]
    excluded: tuple[tuple[str, str, int, int], ...]  # (serie, year N, schools N, schools N+1)

    @property
    def school_years(self) -> int:
        return sum(p.school_years for p in self.pairs)

    @property
    def joined(self) -> int:
        return sum(p.joined for p in self.pairs)

    @property
    def share(self) -> float | None:
        return self.joined / self.school_years if self.school_years else None

    def to_json(self) -> dict[str, object]:
        return {
            "part_rejointe": None if self.share is None else round(self.share, 5),
            "etablissements_annees": self.school_years,
            "rejoints": self.joined,
            "series": [p.to_json() for p in self.pairs],
            "annees_non_tenues": [
                {"serie": s, "annee_scolaire": y, "etablissements": a, "annee_suivante": b}
                for s, y, a, b in self.excluded
            ],
        }


def _series_years(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _series_years AS "
        "SELECT DISTINCT uai, serie, annee_scolaire, CAST(left(annee_scolaire, 4) AS INTEGER) AS y0, "
        "commune, regexp_replace(lower(strip_accents(coalesce(nom, ''))), '[^a-z0-9]+', ' ', 'g') AS nom_n "
        "FROM _school_rows WHERE regexp_full_match(annee_scolaire, '[0-9]{4}-[0-9]{4}')"
    )
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _year_pairs AS "
        "WITH n AS (SELECT serie, y0, annee_scolaire, count(DISTINCT uai) AS n FROM _series_years GROUP BY ALL) "
        "SELECT a.serie, a.y0, a.annee_scolaire, a.n AS n0, b.n AS n1, "
        f"least(a.n, b.n) >= {HELD_RATIO} * greatest(a.n, b.n) AS held "
        "FROM n a JOIN n b ON b.serie = a.serie AND b.y0 = a.y0 + 1"
    )
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _any_years AS SELECT DISTINCT uai, y0 FROM _series_years"
    )


def _directory(conn: duckdb.DuckDBPyConnection, directory: Path | None) -> None:
    """``_directory``: the directory's opening date, state and parent school per UAI."""
    columns = set(pq.read_schema(directory).names) if directory and directory.is_file() else set()
    if not {"_uai", "date_ouverture"} <= columns:
        conn.execute(
            "CREATE OR REPLACE TEMP TABLE _directory AS SELECT CAST(NULL AS VARCHAR) AS uai, "
            "CAST(NULL AS DATE) AS date_ouverture, CAST(NULL AS VARCHAR) AS etat, "
            "CAST(NULL AS VARCHAR) AS mere, CAST(NULL AS VARCHAR) AS rattachement WHERE false"
        )
        return
    mere = "upper(trim(etablissement_mere))" if "etablissement_mere" in columns else "NULL"
    kind = (
        "type_rattachement_etablissement_mere"
        if "type_rattachement_etablissement_mere" in columns
        else "NULL"
    )
    etat = "etat" if "etat" in columns else "NULL"
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _directory AS SELECT upper(trim(_uai)) AS uai, "
        f"min(date_ouverture) AS date_ouverture, min({etat}) AS etat, min({mere}) AS mere, "
        f"min({kind}) AS rattachement FROM read_parquet({quote_literal(str(directory))}) "
        "WHERE _uai IS NOT NULL GROUP BY 1"
    )


def detect_identity(conn: duckdb.DuckDBPyConnection, directory: Path | None) -> None:
    """Fill ``_crosswalk`` (old UAI → new UAI, relation, evidence) and ``_events``
    (UAI × year → event) from ``_school_rows`` and the directory's Parquet file."""
    _series_years(conn)
    _directory(conn, directory)
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _gone AS SELECT s.* FROM _series_years s "
        "JOIN _year_pairs p USING (serie, y0) LEFT JOIN _any_years a ON a.uai = s.uai "
        "AND a.y0 = s.y0 + 1 WHERE p.held AND a.uai IS NULL"
    )
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _new AS SELECT s.* FROM _series_years s "
        "JOIN _year_pairs p ON p.serie = s.serie AND p.y0 = s.y0 - 1 LEFT JOIN _any_years a "
        "ON a.uai = s.uai AND a.y0 = s.y0 - 1 WHERE p.held AND a.uai IS NULL"
    )
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _code_changes AS "
        "WITH pairs AS (SELECT g.uai AS ancien, n.uai AS nouveau, g.y0, g.commune, "
        "string_agg(DISTINCT g.serie, ', ' ORDER BY g.serie) AS series, "
        "bool_or(g.nom_n = n.nom_n) AS meme_nom FROM _gone g JOIN _new n "
        "ON n.serie = g.serie AND n.y0 = g.y0 + 1 AND n.commune = g.commune AND g.nom_n <> '' "
        f"AND (g.nom_n = n.nom_n OR jaro_winkler_similarity(g.nom_n, n.nom_n) >= {NAME_SIMILARITY}) "
        "GROUP BY ALL), "
        "a AS (SELECT ancien FROM pairs GROUP BY 1 HAVING count(*) = 1), "
        "n AS (SELECT nouveau FROM pairs GROUP BY 1 HAVING count(*) = 1) "
        "SELECT pairs.* FROM pairs SEMI JOIN a USING (ancien) SEMI JOIN n USING (nouveau)"
    )
    valid_mere = uai_valid_sql("d.mere")
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _crosswalk AS "
        "SELECT c.ancien AS uai_ancien, c.nouveau AS uai_nouveau, 'changement_de_code' AS relation, "
        "CAST(c.y0 AS VARCHAR) || '-' || CAST(c.y0 + 1 AS VARCHAR) AS derniere_annee_ancien, "
        "CAST(c.y0 + 1 AS VARCHAR) || '-' || CAST(c.y0 + 2 AS VARCHAR) AS premiere_annee_nouveau, "
        "c.commune, "
        "'absent de toute source en ' || CAST(c.y0 + 1 AS VARCHAR) || '-' || CAST(c.y0 + 2 AS VARCHAR) "
        "|| ', remplacé dans la même commune par un établissement ' "
        "|| (CASE WHEN c.meme_nom THEN 'du même nom' ELSE 'au nom presque identique' END) "
        "|| ' apparu cette année-là (séries : ' || c.series || ')' AS preuve, c.series AS sources "
        "FROM _code_changes c "
        "UNION ALL SELECT d.uai, d.mere, 'rattachement', NULL, NULL, NULL, "
        "'annuaire de l''éducation : établissement mère ' || d.mere "
        "|| coalesce(' (' || d.rattachement || ')', ''), 'fr-en-annuaire-education' "
        f"FROM _directory d WHERE d.mere IS NOT NULL AND d.mere <> d.uai AND {valid_mere} "
        "ORDER BY 1, 2"
    )
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _events AS "
        "SELECT uai, annee_scolaire, string_agg(DISTINCT evenement, ', ' ORDER BY evenement) AS evenement "
        "FROM ("
        "SELECT y.uai, y.annee_scolaire, 'ouverture' AS evenement FROM _school_years y "
        "JOIN _directory d USING (uai) WHERE d.date_ouverture >= "
        "make_date(CAST(left(y.annee_scolaire, 4) AS INTEGER), 9, 1) AND d.date_ouverture < "
        "make_date(CAST(left(y.annee_scolaire, 4) AS INTEGER) + 1, 9, 1) "
        "UNION ALL SELECT uai_ancien, derniere_annee_ancien, 'ancien_code' FROM _crosswalk "
        "WHERE relation = 'changement_de_code' "
        "UNION ALL SELECT uai_nouveau, premiere_annee_nouveau, 'nouveau_code' FROM _crosswalk "
        "WHERE relation = 'changement_de_code' "
        "UNION ALL SELECT DISTINCT g.uai, g.annee_scolaire, 'fermeture_presumee' FROM _gone g "
        "ANTI JOIN _code_changes c ON c.ancien = g.uai"
        ") GROUP BY 1, 2"
    )


def join_share(conn: duckdb.DuckDBPyConnection) -> JoinShare:
    """The join share over ``_series_years``, ``_year_pairs`` and ``_crosswalk`` (after
    :func:`detect_identity`): per series and year N held with N+1, the school-years of N
    found again in N+1 of the same series, by their UAI or by their new code."""
    rows = conn.execute(
        "WITH s AS (SELECT DISTINCT serie, uai, y0, annee_scolaire FROM _series_years), "
        "next AS (SELECT DISTINCT serie, uai, y0 FROM _series_years), "
        "moved AS (SELECT uai_ancien, uai_nouveau FROM _crosswalk "
        "WHERE relation = 'changement_de_code'), "
        "j AS (SELECT s.serie, s.uai, s.y0 FROM s JOIN next b ON b.serie = s.serie "
        "AND b.y0 = s.y0 + 1 AND b.uai = s.uai UNION SELECT s.serie, s.uai, s.y0 FROM s "
        "JOIN moved m ON m.uai_ancien = s.uai JOIN next b ON b.serie = s.serie "
        "AND b.y0 = s.y0 + 1 AND b.uai = m.uai_nouveau) "
        "SELECT s.serie, s.annee_scolaire, count(*) AS n, count(j.uai) AS joined FROM s "
        "JOIN _year_pairs p USING (serie, y0) LEFT JOIN j ON j.serie = s.serie "
        "AND j.uai = s.uai AND j.y0 = s.y0 WHERE p.held GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()
    excluded = conn.execute(
        "SELECT serie, annee_scolaire, n0, n1 FROM _year_pairs WHERE NOT held ORDER BY 1, 2"
    ).fetchall()
    return JoinShare(
        tuple(SeriesJoin(str(s), str(y), int(n), int(j)) for s, y, n, j in rows),
        tuple((str(s), str(y), int(a), int(b)) for s, y, a, b in excluded),
    )
