"""The issue's named indicators, recomputed from the RAW mirror files with plain DuckDB SQL
written here, independently of ``ardoise.indicators``: every level, every school year.

Only the territorial referential of the release (communes, départements and their académie
and région) is shared with the code under test; codes, "NS" markers, school years and
aggregations are all handled below. Also checks that the Explore API queries the values
carry reproduce them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from starlette.testclient import TestClient

from ardoise.settings import Settings
from tests.indicators.conftest import Key, app_with_indicators
from tests.indicators.explore_check import reproduce

pytestmark = pytest.mark.mirror


# The raw files (as SOURCES.md lists them) and the names of their columns.
SCHOOL_FILES: dict[str, list[tuple[str, dict[str, str]]]] = {
    "ecoles": [
        (
            "nicolasbchb-ips-dataviz/fr-en-ips_ecoles.csv",
            {
                "annee": '"Rentrée scolaire"',
                "uai": "UAI",
                "commune": '"Code INSEE de la commune"',
                "dep": '"Code du département"',
                "ips": "IPS",
            },
        ),
        (
            "helene-s-etablissement-ips/fr-en-ips-ecoles-ap2022.parquet",
            {
                "annee": "rentree_scolaire",
                "uai": "uai",
                "commune": "code_insee_de_la_commune",
                "dep": "code_du_departement",
                "ips": "ips",
            },
        ),
    ],
    "colleges": [
        (
            "karimaidibi-businessmodelsdataig5/fr-en-ips_colleges.csv",
            {
                "annee": '"Rentrée scolaire"',
                "uai": "UAI",
                "commune": '"Code INSEE de la commune"',
                "dep": '"Code du département"',
                "ips": "IPS",
            },
        ),
        (
            "helene-s-etablissement-ips/fr-en-ips-colleges-ap2022.csv",
            {
                "annee": '"Rentrée scolaire"',
                "uai": "UAI",
                "commune": '"Code INSEE de la commune"',
                "dep": '"Code du département"',
                "ips": "IPS",
            },
        ),
    ],
    "lycees": [
        (
            "lisebs-exam-data/fr-en-ips_lycees.csv",
            {
                "annee": "rentree_scolaire",
                "uai": "uai",
                "commune": "code_insee_de_la_commune",
                "dep": "code_du_departement",
                "ips": "ips_ensemble_gt_pro",
            },
        ),
        (
            "helene-s-etablissement-ips/fr-en-ips-lycees-ap2022.parquet",
            {
                "annee": "rentree_scolaire",
                "uai": "uai",
                "commune": "code_insee_de_la_commune",
                "dep": "code_du_departement",
                "ips": "ips_ensemble_gt_pro",
            },
        ),
    ],
}
DNB = "sokyrio-datavisualisation-education/fr-en-resultats-detailles-au-dnb.csv"
BAC = "sokyrio-datavisualisation-education/fr-en-baccalaureat-par-departement.csv"
ECOLES_2022 = "helene-s-etablissement-ips/fr-en-ips-ecoles-ap2022.parquet"
LEVELS = ("etablissement", "commune", "departement", "academie", "region", "france")


def _read(path: Path) -> str:
    if path.suffix == ".parquet":
        return f"read_parquet('{path}')"
    return f"read_csv('{path}', delim=';', header=true, all_varchar=true)"


@pytest.fixture(scope="session")
def raw(mirror_dir: Path, real_release: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    ref = real_release / "referential"
    con.execute(f"""
        CREATE TABLE dep AS SELECT code, academie, region FROM read_parquet('{ref}/departements.parquet');
        CREATE MACRO num(x) AS TRY_CAST(replace(trim(CAST(x AS VARCHAR)), ',', '.') AS DOUBLE);
        CREATE MACRO dep_code(x) AS (CASE
            WHEN upper(trim(x)) IN ('620', '0620') THEN '2A'
            WHEN upper(trim(x)) IN ('720', '0720') THEN '2B'
            WHEN regexp_full_match(upper(trim(x)), '0*2[AB]') THEN right(upper(trim(x)), 2)
            WHEN TRY_CAST(trim(x) AS INTEGER) IS NULL THEN NULL
            WHEN CAST(trim(x) AS INTEGER) < 100
                 THEN lpad(CAST(CAST(trim(x) AS INTEGER) AS VARCHAR), 2, '0')
            ELSE CAST(CAST(trim(x) AS INTEGER) AS VARCHAR) END);
        CREATE MACRO known_dep(x) AS (SELECT code FROM dep WHERE code = dep_code(x));
        CREATE MACRO valid_uai(u) AS regexp_full_match(u, '[0-9]{{7}}[A-Z]') AND
            substr('ABCDEFGHJKLMNPRSTUVWXYZ', CAST(left(u, 7) AS INTEGER) % 23 + 1, 1) = right(u, 1);
        -- a commune code as written → today's commune (arrondissements and communes
        -- déléguées count in theirs) and its département
        CREATE TABLE cmap AS
        WITH k AS (SELECT cle, min(code) AS code
                   FROM read_parquet('{ref}/territory_codes.parquet') WHERE niveau = 'commune'
                   GROUP BY cle HAVING count(DISTINCT code) = 1),
             c AS (SELECT code, bool_or(type = 'commune-actuelle') AS actuelle,
                          min(commune_parente) AS parent, min(departement) AS dep
                   FROM read_parquet('{ref}/communes.parquet') GROUP BY code)
        SELECT k.cle, CASE WHEN c.actuelle THEN c.code ELSE coalesce(c.parent, c.code) END
               AS commune, c.dep FROM k JOIN c ON c.code = k.code;
    """)
    parts = []
    for kind, files in SCHOOL_FILES.items():
        for path, col in files:
            parts.append(
                f"SELECT '{kind}' AS kind, trim({col['annee']}) AS annee, "
                f"upper(trim({col['uai']})) AS uai, num({col['ips']}) AS ips, "
                f"upper(lpad(trim({col['commune']}), 5, '0')) AS commune_raw, "
                f"{col['dep']} AS dep_raw FROM {_read(mirror_dir / path)}"
            )
    con.execute(f"""
        CREATE TABLE schools AS
        SELECT s.kind, s.annee, CASE WHEN valid_uai(s.uai) THEN s.uai END AS etablissement,
               s.ips, m.commune, coalesce(known_dep(s.dep_raw), m.dep) AS departement
        FROM ({" UNION ALL ".join(parts)}) s LEFT JOIN cmap m ON m.cle = s.commune_raw""")
    con.execute("""
        CREATE TABLE placed AS
        SELECT s.*, d.academie, d.region, 'FR' AS france FROM schools s
        LEFT JOIN dep d ON d.code = s.departement""")
    yield con
    con.close()


def _by_level(
    con: duckdb.DuckDBPyConnection,
    table: str,
    levels: tuple[str, ...],
    aggregates: str,
    where: str = "true",
) -> dict[Key, tuple[Any, ...]]:
    out: dict[Key, tuple[Any, ...]] = {}
    for level in levels:
        for row in con.execute(
            f"SELECT {level}, annee, {aggregates} FROM {table} "
            f"WHERE {where} AND {level} IS NOT NULL GROUP BY ALL"
        ).fetchall():
            out[(level, str(row[0]), str(row[1]))] = tuple(row[2:])
    return out


def _compare(
    published: dict[Key, tuple[Any, ...]],
    expected: dict[Key, tuple[float, int]],
    min_base: int,
    exact: bool,
) -> None:
    with_data = {k for k, v in published.items() if v[2] != "absent"}
    assert len(expected) > 50
    assert with_data == set(expected), (
        sorted(with_data - set(expected))[:5],
        sorted(set(expected) - with_data)[:5],
    )
    for key, (value, base) in expected.items():
        got_value, got_base, status = published[key]
        assert got_base == base, key
        if base < min_base:
            assert (got_value, status) == (None, "non_significatif"), key
        elif exact:
            assert (got_value, status) == (value, "ok"), key
        else:
            assert status == "ok" and got_value == pytest.approx(value, rel=0, abs=1e-9), key


def test_raw_school_years_do_not_overlap(raw: duckdb.DuckDBPyConnection) -> None:
    for kind in SCHOOL_FILES:
        years = raw.execute(
            "SELECT annee, count(*) FROM schools WHERE kind = $k GROUP BY 1", {"k": kind}
        ).fetchall()
        assert years and all(len(y) == 9 for y, _ in years)


@pytest.mark.parametrize("kind", list(SCHOOL_FILES))
def test_school_counts_and_ips_means(
    raw: duckdb.DuckDBPyConnection, kind: str, published: dict[str, dict[Key, tuple[Any, ...]]]
) -> None:
    where = f"kind = '{kind}' AND ips IS NOT NULL"
    counts = _by_level(raw, "placed", LEVELS[1:], "count(*)", where)
    _compare(
        published[f"nb_{kind}_ips"],
        {k: (float(v[0]), v[0]) for k, v in counts.items()},
        0,
        exact=True,
    )
    means = _by_level(raw, "placed", LEVELS, "sum(ips) / count(*), count(*)", where)
    _compare(
        published[f"ips_moyen_{kind}"], {k: (v[0], v[1]) for k, v in means.items()}, 1, exact=False
    )


def test_reference_ips(
    raw: duckdb.DuckDBPyConnection,
    mirror_dir: Path,
    published: dict[str, dict[Key, tuple[Any, ...]]],
) -> None:
    source = _read(mirror_dir / ECOLES_2022)
    expected: dict[Key, tuple[float, int]] = {}
    conflicts: set[Key] = set()
    for level, code, column in (
        ("france", "'FR'", "ips_national"),
        ("academie", "lpad(trim(code_de_l_academie), 2, '0')", "ips_academique"),
        ("departement", "known_dep(code_du_departement)", "ips_departemental"),
    ):
        for key, year, distinct, value, n in raw.execute(f"""
                SELECT {code}, trim(rentree_scolaire), count(DISTINCT num({column})),
                       min(num({column})), count(num({column}))
                FROM {source} WHERE num({column}) IS NOT NULL AND {code} IS NOT NULL
                GROUP BY ALL""").fetchall():
            if distinct == 1:
                expected[(level, key, year)] = (value, n)
            else:
                conflicts.add((level, key, year))
    ours = published["ips_reference_ecoles"]
    assert {k for k, v in ours.items() if v[2] == "absent" and v[1] is not None} == conflicts
    _compare({k: v for k, v in ours.items() if k not in conflicts}, expected, 1, exact=True)


def test_dnb_and_bac_success_rates(
    raw: duckdb.DuckDBPyConnection,
    mirror_dir: Path,
    published: dict[str, dict[Key, tuple[Any, ...]]],
) -> None:
    for ind, path, year, dep, num_col, den_col, breakdown in (
        (
            "taux_reussite_dnb",
            DNB,
            '"Année"',
            '"Code département"',
            '"Admis"',
            '"Présents"',
            ('"Age"', '"Série"'),
        ),
        (
            "taux_reussite_bac",
            BAC,
            '"Session"',
            '"Code département"',
            "\"Nombre d'admis à l'examen\"",
            '"Nombre de présents à l\'examen"',
            ('"Voie"', '"Genre"'),
        ),
    ):
        table = f"_{ind}"
        raw.execute(f"""
            CREATE OR REPLACE TABLE {table} AS
            SELECT (CAST(trim({year}) AS INTEGER) - 1) || '-' || trim({year}) AS annee,
                   known_dep({dep}) AS departement, num({num_col}) AS admis,
                   num({den_col}) AS presents, {breakdown[0]} AS a, {breakdown[1]} AS b
            FROM {_read(mirror_dir / path)}""")
        # only detail rows: no total line that would count candidates twice
        labels = {r[0] for r in raw.execute(f"SELECT DISTINCT a FROM {table}").fetchall()}
        labels |= {r[0] for r in raw.execute(f"SELECT DISTINCT b FROM {table}").fetchall()}
        assert not {x for x in labels if any(w in x.lower() for w in ("total", "ensemble"))}
        assert raw.execute(
            f"SELECT count(*) - count(DISTINCT (annee, departement, a, b)) FROM {table}"
        ).fetchall() == [(0,)]
        raw.execute(f"""
            CREATE OR REPLACE TABLE {table}_placed AS
            SELECT t.*, d.academie, d.region, 'FR' AS france FROM {table} t
            LEFT JOIN dep d ON d.code = t.departement
            WHERE admis IS NOT NULL AND presents IS NOT NULL""")
        sums = _by_level(raw, f"{table}_placed", LEVELS[2:], "sum(admis), sum(presents)")
        expected = {k: (100.0 * a / p, round(p)) for k, (a, p) in sums.items()}
        _compare(published[ind], expected, 20, exact=False)


def test_every_territory_has_a_row_for_every_year(real_release: Path) -> None:
    con = duckdb.connect()
    ref = real_release / "referential"
    values = str(real_release / "indicators" / "valeurs.parquet")
    territories = {
        "departement": f"SELECT code FROM read_parquet('{ref}/departements.parquet')",
        "academie": f"SELECT code FROM read_parquet('{ref}/academies.parquet') WHERE NOT ancienne",
        "region": f"SELECT code FROM read_parquet('{ref}/regions.parquet')",
        "commune": f"SELECT code FROM read_parquet('{ref}/communes.parquet') "
        "WHERE type = 'commune-actuelle'",
    }
    for level, sql in territories.items():
        missing = con.execute(f"""
            WITH y AS (SELECT DISTINCT indicateur, annee_scolaire FROM read_parquet('{values}')),
                 l AS (SELECT DISTINCT indicateur FROM read_parquet('{values}')
                       WHERE niveau = '{level}')
            SELECT count(*) FROM y JOIN l USING (indicateur) CROSS JOIN ({sql}) t
            ANTI JOIN read_parquet('{values}') v ON v.indicateur = y.indicateur
                AND v.niveau = '{level}' AND v.code = t.code
                AND v.annee_scolaire = y.annee_scolaire""").fetchall()
        assert missing == [(0,)], level
    con.close()


SAMPLED = (
    "nb_ecoles_ips",
    "nb_colleges_ips",
    "nb_lycees_ips",
    "ips_moyen_ecoles",
    "ips_moyen_colleges",
    "ips_moyen_lycees",
    "ips_reference_ecoles",
    "taux_reussite_dnb",
    "taux_reussite_bac",
    "part_prive_ecoles",
    "note_ecrit_dnb_colleges",
    "part_filles_lycees_gt",
    "terminaux_pour_100_eleves",
    "effectif_lycees_pro",
    "part_filles_specialite_nsi",
)
# parents that keep the lists short and take in the awkward cases: Paris and its
# arrondissements, Saint-Barthélemy and Saint-Martin filed under 971, Corse coded 620
PARENTS = {
    "etablissement": ("departement:2A", "departement:971"),
    "commune": ("departement:75", "departement:977", "departement:971", "departement:2A"),
}
SPECIAL = {"971", "977", "2A", "2B", "75", "70", "01", "32", "FR"}


def test_explore_queries_reproduce_a_sample_of_values(real_settings: Settings) -> None:
    with TestClient(app_with_indicators(real_settings)) as client:
        checked = 0
        for ident in SAMPLED:
            info = client.get(f"/api/v1/indicateurs/{ident}").json()
            for level in info["niveaux"]:
                years = {info["annees"][-1]}
                if ident == "taux_reussite_dnb":
                    years.add(info["annees"][0])  # Caen and Rouen, before Normandie
                for year in years:
                    for parent in PARENTS.get(level, ("",)):
                        url = f"/api/v1/indicateurs/{ident}/valeurs?niveau={level}&annee={year}" + (
                            f"&parent={parent}" if parent else ""
                        )
                        body = client.get(url).json()
                        shown = [v for v in body["valeurs"] if v["statut"] != "absent"]
                        sample = [
                            v
                            for i, v in enumerate(shown)
                            if i == len(shown) // 2 or v["code"] in SPECIAL
                        ]
                        for value in sample:
                            reproduce(client, info["formule"], value)
                            checked += 1
        assert checked > 100


def test_compute_summary_in_manifest(real_release: Path) -> None:
    summary = json.loads((real_release / "manifest.json").read_text("utf-8"))["indicators"]
    assert summary["indicators"] >= 15 and summary["rows"] > 1_000_000
    assert summary["anomalies"] == 0


CITED_AT = ("departement", "34")  # Hérault: every indicator has a value there


def test_every_indicator_is_cited_by_a_url_giving_its_value(real_settings: Settings) -> None:
    """#19: for every indicator definition, the URL its value cites (an Explore ``select``
    computing the figure, or the indicator API's value) answers exactly that value — at one
    territory, its académie, its région and France, the latest year it has a value."""
    from ardoise.indicators.loader import load_definitions

    level, code = CITED_AT
    with TestClient(app_with_indicators(real_settings)) as client:
        body = client.get(f"/api/v1/territoires/{level}/{code}/indicateurs").json()
        by_id = {item["id"]: item for item in body["indicateurs"]}
        checked = 0
        for definition in load_definitions():
            info = client.get(f"/api/v1/indicateurs/{definition.id}").json()
            if level not in definition.levels:  # a school's own figure (the lycées' IVAL)
                at = definition.levels[0]
                url = f"/api/v1/indicateurs/{definition.id}/valeurs"
                found = client.get(url, params={"niveau": at}).json()["valeurs"]
                cited = [v for v in found if v["statut"] == "ok"][:3]
                assert cited, (definition.id, at)
                for value in cited:
                    assert value["provenance"]["requete"], (definition.id, value)
                    reproduce(client, info["formule"], value)
                continue
            item = by_id.get(definition.id)
            assert item is not None and item["statut"] == "ok", (definition.id, item)
            for value in [item, *item["parents"]]:
                if value["statut"] == "ok":
                    assert value["provenance"]["requete"], (definition.id, value)
                    reproduce(client, info["formule"], value)
                    checked += 1
        assert checked >= 3 * len(by_id)
