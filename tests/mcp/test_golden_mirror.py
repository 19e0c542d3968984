"""Golden questions over the real mirror: each is an MCP tool call (through the SDK client)
whose expected answer is computed here, independently, from the RAW mirror files with plain
DuckDB SQL (no Ardoise code: codes, "NS" markers and school years are handled below). Every
value must be equal, and every citation URL, fetched from the API of the same release, must
give back the same figure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pytest
from mcp import Client
from starlette.testclient import TestClient

from ardoise.mcp import build_server
from ardoise.mcp.server import ArdoiseMCP
from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.mcp.conftest import with_client

pytestmark = pytest.mark.mirror

PUBLIC = "http://ardoise.golden"
RAW = {
    "col": "read_csv('{m}/helene-s-etablissement-ips/fr-en-ips-colleges-ap2022.csv', "
    "all_varchar=true)",
    "eco": "read_parquet('{m}/helene-s-etablissement-ips/fr-en-ips-ecoles-ap2022.parquet')",
    "lyc": "read_parquet('{m}/helene-s-etablissement-ips/fr-en-ips-lycees-ap2022.parquet')",
    "dnb": "read_csv('{m}/sokyrio-datavisualisation-education/"
    "fr-en-resultats-detailles-au-dnb.csv', all_varchar=true)",
    "bac": "read_csv('{m}/sokyrio-datavisualisation-education/"
    "fr-en-baccalaureat-par-departement.csv', all_varchar=true)",
}


@pytest.fixture(scope="session")
def golden_settings(real_settings: Settings) -> Settings:
    """The session's release of the whole mirror (tests/conftest.py), cited on ``PUBLIC``."""
    return real_settings.replace(public_url=PUBLIC)


@pytest.fixture(scope="session")
def raw(mirror_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    for name, source in RAW.items():
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM {source.format(m=mirror_dir)}")
    con.execute(
        "CREATE MACRO num(x) AS TRY_CAST(replace(trim(CAST(x AS VARCHAR)), ',', '.') AS DOUBLE)"
    )
    yield con
    con.close()


@pytest.fixture(scope="session")
def api(golden_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(golden_settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="session")
def golden_server(golden_settings: Settings) -> ArdoiseMCP:
    return build_server(golden_settings)


def one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    row = con.execute(sql).fetchone()
    assert row is not None, sql
    return tuple(row)


@dataclass(frozen=True)
class Figure:
    """An indicator value: get_indicator (or one territory of compare_territories)."""

    indicator: str
    territory: str
    year: str
    sql: str  # → (valeur, base)


# Indicator values: the raw files' rows of the territory and year, aggregated by hand.
MEAN_COL = "SELECT avg(num(IPS)), count(num(IPS)) FROM col WHERE {w}"
MEAN_ECO = "SELECT avg(num(ips)), count(num(ips)) FROM eco WHERE rentree_scolaire = '{y}' AND {w}"
DNB_RATE = (
    'SELECT 100 * sum(num("Admis")) / sum(num("Présents")), sum(num("Présents")) '
    "FROM dnb WHERE \"Année\" = '{s}' AND {w}"
)
FIGURES = [
    Figure(
        "ips_moyen_colleges",
        "departement:48",
        "2022-2023",
        MEAN_COL.format(w="\"Code du département\" = '048'"),
    ),
    Figure(
        "ips_moyen_colleges",
        "departement:69",
        "2022-2023",
        MEAN_COL.format(w="\"Code du département\" = '069'"),
    ),
    Figure(
        "ips_moyen_colleges", "academie:10", "2022-2023", MEAN_COL.format(w="\"Académie\" = 'LYON'")
    ),
    Figure("ips_moyen_colleges", "france", "2022-2023", MEAN_COL.format(w="true")),
    Figure(
        "nb_colleges_ips",
        "departement:13",
        "2022-2023",
        "SELECT count(num(IPS)), count(num(IPS)) FROM col WHERE \"Code du département\" = '013'",
    ),
    Figure(
        "ips_moyen_ecoles",
        "departement:13",
        "2023-2024",
        MEAN_ECO.format(y="2023-2024", w="code_du_departement = '13'"),
    ),
    Figure(
        "nb_ecoles_ips",
        "commune:42218",
        "2023-2024",
        "SELECT count(num(ips)), count(num(ips)) FROM eco WHERE rentree_scolaire = "
        "'2023-2024' AND code_insee_de_la_commune = '42218'",
    ),
    Figure(
        "ips_moyen_ecoles",
        "commune:42218",
        "2024-2025",
        MEAN_ECO.format(y="2024-2025", w="code_insee_de_la_commune = '42218'"),
    ),
    Figure(
        "ips_moyen_ecoles",
        "academie:10",
        "2024-2025",
        MEAN_ECO.format(y="2024-2025", w="code_de_l_academie = '10'"),
    ),
    Figure(
        "ips_moyen_lycees",
        "departement:33",
        "2022-2023",
        "SELECT avg(num(ips_ensemble_gt_pro)), count(num(ips_ensemble_gt_pro)) FROM lyc "
        "WHERE code_du_departement = '033'",
    ),
    Figure(
        "taux_reussite_dnb",
        "academie:10",
        "2023-2024",
        DNB_RATE.format(s="2024", w="\"Code académie\" = '10'"),
    ),
    Figure(
        "taux_reussite_dnb",
        "departement:75",
        "2022-2023",
        DNB_RATE.format(s="2023", w="\"Code département\" = '75'"),
    ),
    Figure(
        "taux_reussite_dnb",
        "departement:48",
        "2023-2024",
        DNB_RATE.format(s="2024", w="\"Code département\" = '48'"),
    ),
    Figure(
        "taux_reussite_bac",
        "departement:69",
        "2023-2024",
        "SELECT 100 * sum(num(\"Nombre d'admis à l'examen\")) / "
        'sum(num("Nombre de présents à l\'examen")), sum(num("Nombre de présents à '
        "l'examen\")) FROM bac WHERE \"Session\" = '2024' AND \"Code département\" = '069'",
    ),
    Figure(
        "part_prive_colleges",
        "departement:75",
        "2022-2023",
        "SELECT 100 * count(*) FILTER (\"Secteur\" = 'privé sous contrat') / count(*), "
        "count(*) FROM col WHERE num(IPS) IS NOT NULL AND \"Code du département\" = '075'",
    ),
]


def _path(url: str) -> str:
    assert url.startswith(PUBLIC + "/api/"), url
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def reproduces(api: TestClient, figure: dict[str, Any]) -> None:
    """The figure's citation URL, fetched from the API, gives back the same value in one
    row; a share of a subset (cited by the indicator API) is also checked by the grouped
    Explore query its "lecture" holds, computed as it says."""
    cite = figure["citation"]
    answer = api.get(_path(cite["url"]))
    assert answer.status_code == 200, (cite, answer.text)
    if "/api/v1/indicateurs/" in cite["url"]:
        (value,) = answer.json()["valeurs"]
        assert value["valeur"] == pytest.approx(figure["valeur"], rel=1e-12), (cite, value)
        check = re.search(r"vérification depuis le jeu : (\S+) ", cite["lecture"] or "")
        assert check, cite
        results = api.get(check.group(1)).json()["results"]
        den = sum(r["denominateur"] for r in results)
        num = sum(r["denominateur"] for r in results if r.get("secteur") == "privé sous contrat")
        got = 100 * num / den
    else:
        results = answer.json()["results"]
        assert len(results) == 1, (cite, results)
        got = results[0]["valeur"]
    assert got == pytest.approx(figure["valeur"], rel=1e-12, abs=1e-9), (cite, results)


def _tool(server: ArdoiseMCP, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    async def work(client: Client) -> dict[str, Any]:
        result = await client.call_tool(tool, args)
        assert not result.is_error, (tool, args, result.content)
        data = result.structured_content
        assert isinstance(data, dict)
        return data

    return with_client(server, work)


@pytest.mark.parametrize(
    "q", FIGURES, ids=[f"{f.indicator}-{f.territory}-{f.year}" for f in FIGURES]
)
def test_get_indicator(
    golden_server: ArdoiseMCP, raw: duckdb.DuckDBPyConnection, api: TestClient, q: Figure
) -> None:
    data = _tool(
        golden_server,
        "get_indicator",
        {"indicator_id": q.indicator, "territory": q.territory, "school_year": q.year},
    )
    value, base = one(raw, q.sql)
    figure = data["valeur"]
    assert figure["statut"] == "ok"
    assert figure["valeur"] == pytest.approx(value, rel=1e-12)
    assert figure["base"] == base
    assert figure["citation"]["version_definition"] >= 1
    reproduces(api, figure)
    for parent in data["parents"]:
        if parent["statut"] == "ok":
            reproduces(api, parent)


COMPARISONS = [
    (
        "ips_moyen_colleges",
        "2022-2023",
        {"departement:48": "'048'", "departement:12": "'012'", "departement:15": "'015'"},
        lambda code: MEAN_COL.format(w=f'"Code du département" = {code}'),
    ),
    (
        "taux_reussite_dnb",
        "2023-2024",
        {"academie:10": "'10'", "academie:01": "'01'"},
        lambda code: DNB_RATE.format(s="2024", w=f'"Code académie" = {code}'),
    ),
]


@pytest.mark.parametrize(
    ("indicator", "year", "codes", "sql"), COMPARISONS, ids=[c[0] for c in COMPARISONS]
)
def test_compare_territories(
    golden_server: ArdoiseMCP,
    raw: duckdb.DuckDBPyConnection,
    api: TestClient,
    indicator: str,
    year: str,
    codes: dict[str, str],
    sql: Callable[[str], str],
) -> None:
    data = _tool(
        golden_server,
        "compare_territories",
        {"indicator_id": indicator, "territories": list(codes), "school_year": year},
    )
    assert [f"{v['niveau']}:{v['code']}" for v in data["valeurs"]] == list(codes)
    for figure, code in zip(data["valeurs"], codes.values(), strict=True):
        value, base = one(raw, sql(code))
        assert (figure["valeur"], figure["base"]) == (pytest.approx(value, rel=1e-12), base)
        reproduces(api, figure)


@dataclass(frozen=True)
class Records:
    args: dict[str, Any]
    sql: str  # → the expected rows, in order
    total: str | None = None  # → the expected total_count when it is not len(rows)


RECORDS = [
    Records(
        {
            "dataset_id": "fr-en-ips-colleges-ap2022",
            "select": "avg(ips) as ips_moyen, count(ips) as n",
            "where": 'code_du_departement = "048"',
        },
        "SELECT avg(num(IPS)), count(num(IPS)) FROM col WHERE \"Code du département\" = '048'",
    ),
    Records(
        {"dataset_id": "fr-en-ips-colleges-ap2022", "select": "max(ips) as m"},
        "SELECT max(num(IPS)) FROM col",
    ),
    Records(
        {
            "dataset_id": "fr-en-ips-colleges-ap2022",
            "select": "secteur, count(*) as n",
            "group_by": "secteur",
            "order_by": "secteur",
        },
        'SELECT "Secteur", count(*) FROM col GROUP BY 1 ORDER BY 1',
    ),
    Records(
        {
            "dataset_id": "fr-en-ips-colleges-ap2022",
            "select": "uai, ips",
            "order_by": "ips desc, uai",
            "limit": 3,
        },
        "SELECT UAI, num(IPS) FROM col WHERE num(IPS) IS NOT NULL ORDER BY 2 DESC, 1 LIMIT 3",
        total="SELECT count(*) FROM col",
    ),
    Records(
        {
            "dataset_id": "fr-en-ips-colleges-ap2022",
            "select": "uai",
            "where": 'academie = "LYON"',
            "order_by": "uai",
            "limit": 5,
        },
        "SELECT UAI FROM col WHERE \"Académie\" = 'LYON' ORDER BY 1 LIMIT 5",
        total="SELECT count(*) FROM col WHERE \"Académie\" = 'LYON'",
    ),
    Records(
        {
            "dataset_id": "fr-en-ips-ecoles-ap2022",
            "select": "count(*) as n",
            "where": 'rentree_scolaire = "2024-2025"',
        },
        "SELECT count(*) FROM eco WHERE rentree_scolaire = '2024-2025'",
    ),
    Records(
        {
            "dataset_id": "fr-en-ips-ecoles-ap2022",
            "select": "count(*) as n",
            "where": 'rentree_scolaire = "2023-2024" and code_insee_de_la_commune = "42218" '
            "and ips is not null",
        },
        "SELECT count(num(ips)) FROM eco WHERE rentree_scolaire = '2023-2024' "
        "AND code_insee_de_la_commune = '42218'",
    ),
    Records(
        {
            "dataset_id": "fr-en-resultats-detailles-au-dnb",
            "select": "sum(admis) as admis, sum(presents) as presents",
            "where": 'annee = 2024 and code_departement = "13"',
        },
        'SELECT sum(num("Admis")), sum(num("Présents")) FROM dnb '
        "WHERE \"Année\" = '2024' AND \"Code département\" = '13'",
    ),
    Records(
        {
            "dataset_id": "fr-en-baccalaureat-par-departement",
            "select": "sum(nombre_d_admis_a_l_examen) as admis",
            "where": 'session = 2024 and code_departement = "69"',
        },  # published 069
        "SELECT sum(num(\"Nombre d'admis à l'examen\")) FROM bac "
        "WHERE \"Session\" = '2024' AND \"Code département\" = '069'",
    ),
]


@pytest.mark.parametrize("q", RECORDS, ids=[f"records-{i}" for i in range(len(RECORDS))])
def test_query_records(
    golden_server: ArdoiseMCP, raw: duckdb.DuckDBPyConnection, api: TestClient, q: Records
) -> None:
    data = _tool(golden_server, "query_records", q.args)
    expected = raw.execute(q.sql).fetchall()
    got = [tuple(row[c] for c in data["colonnes"]) for row in data["lignes"]]
    assert got == [
        tuple(pytest.approx(v) if isinstance(v, float) else v for v in row) for row in expected
    ]
    total = one(raw, q.total)[0] if q.total else len(expected)
    assert data["total_count"] == total
    assert data["tronque"] is (total > len(expected))
    again = api.get(_path(data["citation"]["url"]))
    assert again.status_code == 200, again.text
    assert again.json()["total_count"] == data["total_count"]
    assert again.json()["results"] == data["lignes"]


def _code(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    return str(one(con, sql)[0])


def test_find_territory(golden_server: ArdoiseMCP, raw: duckdb.DuckDBPyConnection) -> None:
    def find(name: str) -> dict[str, Any]:
        return _tool(golden_server, "find_territory", {"name": name})

    lozere = find("Lozère")
    dep = _code(
        raw, 'SELECT DISTINCT "Code du département" FROM col WHERE "Département" = \'LOZERE\''
    )
    assert (lozere["statut"], lozere["resultats"][0]["argument"]) == (
        "trouve",
        f"departement:{int(dep):02d}",
    )
    lyon = find("académie de Lyon")
    aca = _code(raw, 'SELECT DISTINCT "Code académie" FROM dnb WHERE "Académie" = \'LYON\'')
    assert (lyon["statut"], lyon["resultats"][0]["argument"]) == ("trouve", f"academie:{aca}")
    homonyms = find("Saint-Denis")
    communes = {
        r[0]
        for r in raw.execute(
            "SELECT DISTINCT code_insee_de_la_commune FROM eco "
            "WHERE nom_de_la_commune IN ('SAINT-DENIS', 'SAINT DENIS')"
        ).fetchall()
    }
    assert len(communes) >= 2
    assert homonyms["statut"] == "homonymes"
    assert {f"commune:{c}" for c in communes} <= {r["argument"] for r in homonyms["resultats"]}
    moulin = find("collège Jean Moulin à Lyon")
    uais = {
        r[0]
        for r in raw.execute(
            "SELECT UAI FROM col WHERE \"Nom de l'établissment\" = 'COLLEGE JEAN MOULIN' "
            "AND \"Nom de la commune\" LIKE 'LYON%'"
        ).fetchall()
    }
    assert {r["argument"] for r in moulin["resultats"]} == {f"etablissement:{u}" for u in uais}
    assert moulin["statut"] == ("trouve" if len(uais) == 1 else "homonymes")
    many = find("collège Jean Moulin")  # more homonyms than listed: said so
    n = one(raw, "SELECT count(*) FROM col WHERE \"Nom de l'établissment\" = 'COLLEGE JEAN MOULIN'")
    assert n[0] > len(many["resultats"])
    assert many["statut"] == "homonymes" and "Seuls les" in many["message"]
    uai = _code(raw, "SELECT min(UAI) FROM col WHERE \"Code du département\" = '048'")
    school = find(uai.lower())
    assert (school["statut"], school["resultats"][0]["argument"]) == (
        "trouve",
        f"etablissement:{uai}",
    )


def test_describe_and_search(golden_server: ArdoiseMCP, raw: duckdb.DuckDBPyConnection) -> None:
    col = _tool(golden_server, "describe_dataset", {"dataset_id": "fr-en-ips-colleges-ap2022"})
    years = dict(raw.execute('SELECT "Rentrée scolaire", count(*) FROM col GROUP BY 1').fetchall())
    assert col["annees_scolaires"] == years
    assert col["lignes"] == sum(years.values())
    dnb = _tool(
        golden_server, "describe_dataset", {"dataset_id": "fr-en-resultats-detailles-au-dnb"}
    )
    assert dnb["lignes"] == one(raw, "SELECT count(*) FROM dnb")[0]
    found = _tool(golden_server, "search_datasets", {"query": "IPS collèges"})
    ids = [r["dataset_id"] for r in found["resultats"]]
    assert {"fr-en-ips-colleges-ap2022", "fr-en-ips_colleges"} <= set(ids)
    assert found["total_count"] == len(ids)
    assert all(r["mots_trouves"] == found["mots"] for r in found["resultats"])
    brevet = _tool(golden_server, "search_datasets", {"query": "résultats du brevet"})
    assert "fr-en-resultats-detailles-au-dnb" in [r["dataset_id"] for r in brevet["resultats"]]
    none = _tool(golden_server, "search_datasets", {"query": "cantine"})
    assert (none["total_count"], none["resultats"]) == (0, [])
