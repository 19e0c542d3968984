"""``/sql``: SQL across the datasets of a release, in a page that works without JavaScript
(a GET form, so every result has a shareable URL), with example queries, the results
table, the tables a query may read and download links (CSV, Parquet, JSON of the API).

The query runs through ``ardoise.query.sql_run.run_sql``, the data function of
``/api/v1/sql``; a refused query shows its French message above the form, not an error page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow.parquet as pq

from ardoise.dashboard.contexts import Link, Page
from ardoise.dashboard.pages import page
from ardoise.odsql.errors import QueryError
from ardoise.query.release import ServedRelease
from ardoise.query.sql_run import SqlLimits, reader_grant, run_sql
from ardoise.query.sql_tables import PUBLIC, release_tables
from ardoise.release.store import ReleaseStore
from ardoise.urls import ROOT, query_string

EXAMPLES: tuple[tuple[str, str], ...] = (
    (
        "Nombre de lignes de chaque jeu IPS",
        "SELECT 'écoles' AS jeu, count(*) AS lignes FROM fr_en_ips_ecoles\n"
        "UNION ALL SELECT 'collèges', count(*) FROM fr_en_ips_colleges\n"
        "UNION ALL SELECT 'lycées', count(*) FROM fr_en_ips_lycees",
    ),
    (
        "IPS × valeur ajoutée par collège (jointure sur l'UAI)",
        "SELECT i.uai, i.nom_de_l_etablissment, i.ips, v.*\n"
        "FROM fr_en_ips_colleges AS i\n"
        "JOIN fr_en_indicateurs_valeur_ajoutee_colleges AS v ON v.uai = i.uai\n"
        "LIMIT 20",
    ),
    (
        "IPS moyen des collèges par académie",
        "SELECT academie, round(avg(ips), 1) AS ips_moyen, count(*) AS colleges\n"
        "FROM fr_en_ips_colleges GROUP BY academie ORDER BY ips_moyen DESC",
    ),
    (
        "Un paramètre lié (:dep)",
        "SELECT uai, nom_de_l_etablissment, ips FROM fr_en_ips_colleges\n"
        "WHERE code_du_departement = :dep ORDER BY ips DESC LIMIT 10",
    ),
    ("Plan d'exécution", "EXPLAIN SELECT count(*) FROM fr_en_ips_colleges"),
)


@dataclass(frozen=True)
class SqlTableRef:
    nom: str
    genre: str
    colonnes: str


@dataclass(frozen=True)
class SqlPage:
    page: Page
    q: str
    release: str  # the release asked for ("" : the served one)
    releases: tuple[str, ...]
    parametres: tuple[tuple[str, str], ...]
    colonnes: tuple[str, ...]
    lignes: tuple[tuple[Any, ...], ...]
    tronque: bool
    message: str  # a truncation note, or the error of a refused query
    erreur: bool
    plan: str
    exemples: tuple[Link, ...]
    telechargements: tuple[Link, ...]
    tables: tuple[SqlTableRef, ...]


def sql_page(
    release: ServedRelease,
    store: ReleaseStore,
    limits: SqlLimits,
    params: dict[str, str],
    query: str,
) -> SqlPage:
    text = params.get("q", "").strip()
    chosen = params.get("release", "").strip()
    bound = {k[2:]: v for k, v in params.items() if k.startswith("p.") and k[2:]}
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    truncated, error, message, plan = False, False, "", ""
    if text:
        try:
            result = run_sql(release, store, text, bound, limits, PUBLIC, chosen or None)
        except QueryError as exc:
            error, message = True, str(exc)
        else:
            columns = tuple(n for n, _t in result.columns)
            rows = tuple(result.rows)
            truncated, plan = result.truncated, result.plan or ""
            if truncated:
                message = (
                    f"Résultat tronqué aux {result.max_rows} premières lignes : téléchargez "
                    "le résultat complet en Parquet."
                )
    return SqlPage(
        page(release, "Requêtes SQL", _DESCRIPTION, ROOT.sql_page(), query),
        text,
        chosen,
        tuple(r.id for r in reversed(store.list())),
        tuple(sorted(bound.items())),
        columns,
        rows,
        truncated,
        message,
        error,
        plan,
        tuple(Link(label, ROOT.sql_page(query_string({"q": sql}))) for label, sql in EXAMPLES),
        _downloads(query) if text and not error else (),
        release.memo(("sql_page_tables",), lambda: _tables(release)),
    )


_DESCRIPTION = (
    "SQL en lecture seule (dialecte DuckDB) sur tous les jeux, indicateurs et territoires "
    "d'une version des données, et d'une version à l'autre."
)


def _downloads(query: str) -> tuple[Link, ...]:
    base = query.replace("&format=json", "")
    return (
        Link("CSV", ROOT.sql(f"{base}&format=csv")),
        Link("Parquet (résultat complet)", ROOT.sql(f"{base}&format=parquet")),
        Link("JSON (API)", ROOT.sql(base)),
    )


def _tables(release: ServedRelease) -> tuple[SqlTableRef, ...]:
    out = []
    for t in release_tables(release.path, release.manifest, reader_grant(release, PUBLIC)):
        if "-" in t.name:  # the same table as its name with "_"
            continue
        names = [n for n in pq.read_schema(t.path).names if not n.startswith("_")]
        out.append(SqlTableRef(t.name, t.kind, ", ".join(names)))
    return tuple(out)
