"""The MCP server through an SDK client (in process): tool list and schemas, every tool on
the sample release with expected values computed here from the sample rows, bad arguments
as clear French tool errors, resources and prompts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from mcp import Client
from mcp_types import CallToolResult

from ardoise.mcp.server import ArdoiseMCP
from ardoise.settings import Settings
from tests.indicators import sample
from tests.mcp.conftest import call, error_text, with_client

ROOT = Path(__file__).resolve().parents[2]
TOOLS = (
    "search_datasets",
    "describe_dataset",
    "query_records",
    "find_territory",
    "get_indicator",
    "compare_territories",
    "list_indicators",
)


def _num(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def ips_ecoles(year: str, departements: set[str] | None = None) -> tuple[float, int]:
    """Mean IPS and count of the sample's écoles with a numeric IPS (by hand)."""
    values = [
        _num(r[6])
        for r in sample.ECOLES
        if r[0] == year and (departements is None or r[2] in departements)
    ]
    found = [v for v in values if v is not None]
    return sum(found) / len(found), len(found)


def dnb_rate(session: int, departements: set[str]) -> float:
    rows = [r for r in sample.DNB if r[0] == session and r[2] in departements]
    return 100 * sum(r[6] for r in rows) / sum(r[5] for r in rows)


@pytest.fixture(scope="module")
def tools(server: ArdoiseMCP) -> dict[str, Any]:
    async def work(client: Client) -> dict[str, Any]:
        return {t.name: t for t in (await client.list_tools()).tools}

    return with_client(server, work)


def ok(
    server: ArdoiseMCP, tools: dict[str, Any], tool: str, args: dict[str, Any]
) -> dict[str, Any]:
    result = call(server, tool, args)
    assert not result.is_error, result.content
    data = result.structured_content
    assert isinstance(data, dict)
    Draft202012Validator(tools[tool].output_schema).validate(data)  # the declared schema
    assert json.loads(result.content[0].text) == data  # same figures in the text content
    return data


def test_tool_names_schemas_and_annotations(tools: dict[str, Any]) -> None:
    assert tuple(tools) == TOOLS
    for tool in tools.values():
        assert tool.description and len(tool.description) > 40
        Draft202012Validator.check_schema(tool.input_schema)
        Draft202012Validator.check_schema(tool.output_schema)
        assert tool.input_schema["type"] == "object"
        assert tool.annotations.read_only_hint is True
        assert tool.annotations.destructive_hint is False
    assert tools["query_records"].input_schema["properties"]["limit"]["maximum"] == 100
    assert tools["get_indicator"].input_schema["required"] == ["indicator_id", "territory"]
    assert (
        "citation" in tools["get_indicator"].output_schema["$defs"]["IndicatorFigure"]["properties"]
    )


def test_get_indicator_value_parents_series_and_citation(
    server: ArdoiseMCP, tools: dict[str, Any], mcp_settings: Settings
) -> None:
    data = ok(
        server,
        tools,
        "get_indicator",
        {
            "indicator_id": "ips_moyen_ecoles",
            "territory": "departement:69",
            "school_year": "2022-2023",
        },
    )
    mean, n = ips_ecoles("2022-2023", {"69"})
    value = data["valeur"]
    assert (value["valeur"], value["base"], value["statut"]) == (pytest.approx(mean), n, "ok")
    assert value["nom"] == "Rhône"
    parents = {(p["niveau"], p["code"]): p for p in data["parents"]}
    assert parents[("academie", "10")]["valeur"] == pytest.approx(
        ips_ecoles("2022-2023", {"01", "42", "69"})[0]
    )
    assert parents[("france", "FR")]["valeur"] == pytest.approx(ips_ecoles("2022-2023")[0])
    serie = {s["annee_scolaire"]: s for s in data["serie"]}
    assert serie["2023-2024"]["valeur"] == pytest.approx(ips_ecoles("2023-2024", {"69"})[0])
    cite = value["citation"]
    release = json.loads((mcp_settings.current_link / "manifest.json").read_text("utf-8"))
    assert cite["release"] == release["release_id"]
    assert cite["date_release"] == release["created_at"]
    assert cite["jeux"] == ["fr-en-ips-ecoles-ap2022"]
    assert cite["licence"] == "Licence Ouverte v2.0 (Etalab)"
    assert cite["version_definition"] == 1
    assert cite["url"].startswith(
        "http://ardoise.test/api/explore/v2.1/catalog/datasets/fr-en-ips-ecoles-ap2022/records?"
    )


def test_get_indicator_by_unique_name_and_latest_year(
    server: ArdoiseMCP, tools: dict[str, Any]
) -> None:
    data = ok(
        server, tools, "get_indicator", {"indicator_id": "ips_moyen_ecoles", "territory": "Rhône"}
    )
    assert data["territoire"] == "departement:69"
    assert data["valeur"]["annee_scolaire"] == "2023-2024"
    assert "la plus récente" in data["message"]


def test_compare_territories(server: ArdoiseMCP, tools: dict[str, Any]) -> None:
    data = ok(
        server,
        tools,
        "compare_territories",
        {
            "indicator_id": "taux_reussite_dnb",
            "school_year": "2023-2024",
            "territories": ["departement:69", "departement:42", "academie:10", "france"],
        },
    )
    got = {(v["niveau"], v["code"]): v["valeur"] for v in data["valeurs"]}
    assert got[("departement", "69")] == pytest.approx(dnb_rate(2024, {"69"}))
    loire = next(v for v in data["valeurs"] if v["code"] == "42")  # 12 candidates: too few
    presents = sum(r[5] for r in sample.DNB if r[0] == 2024 and r[2] == "42")
    assert (loire["statut"], loire["valeur"], loire["base"]) == ("non_significatif", None, presents)
    assert "Sans valeur citable" in data["message"] and "Loire" in data["message"]
    assert got[("academie", "10")] == pytest.approx(dnb_rate(2024, {"01", "42", "69"}))
    every = {r[2] for r in sample.DNB}
    assert got[("france", "FR")] == pytest.approx(dnb_rate(2024, every))
    assert [v["code"] for v in data["valeurs"]] == ["69", "42", "10", "FR"]  # order kept


def test_query_records_exact_counts_and_truncation(
    server: ArdoiseMCP, tools: dict[str, Any]
) -> None:
    data = ok(
        server,
        tools,
        "query_records",
        {
            "dataset_id": "fr-en-ips-ecoles-ap2022",
            "select": "avg(ips) as m, count(ips) as n",
            "where": 'code_du_departement = "69" and rentree_scolaire = "2022-2023"',
        },
    )
    mean, n = ips_ecoles("2022-2023", {"69"})
    assert data["lignes"] == [{"m": pytest.approx(mean), "n": n}]
    assert data["tronque"] is False
    page = ok(
        server,
        tools,
        "query_records",
        {"dataset_id": "fr-en-ips-ecoles-ap2022", "limit": 2, "order_by": "uai"},
    )
    assert page["total_count"] == len(sample.ECOLES)
    assert (page["rendus"], page["tronque"]) == (2, True)
    assert f"2 enregistrements rendus sur {len(sample.ECOLES)}" in page["note"]
    assert "limit=2" in page["citation"]["url"] and "order_by=uai" in page["citation"]["url"]


def test_find_territory(server: ArdoiseMCP, tools: dict[str, Any]) -> None:
    def find(name: str) -> dict[str, Any]:
        return ok(server, tools, "find_territory", {"name": name})

    rhone = find("Rhône")
    assert (rhone["statut"], rhone["resultats"][0]["argument"]) == ("trouve", "departement:69")
    assert find("saint etienne")["resultats"][0]["argument"] == "commune:42218"
    assert find("académie de Normandie")["resultats"][0]["argument"] == "academie:70"
    assert find("0690001B")["resultats"][0]["argument"] == "etablissement:0690001B"
    lyon = find("Lyon")  # the commune and the académie: listed, not chosen
    assert lyon["statut"] == "homonymes"
    assert {"commune:69123", "academie:10"} <= {r["argument"] for r in lyon["resultats"]}
    assert "Ne choisissez pas" in lyon["message"]
    none = find("Xyzzyville")
    assert (none["statut"], none["resultats"]) == ("aucun", [])


def test_search_datasets_filters(server: ArdoiseMCP, tools: dict[str, Any]) -> None:
    data = ok(server, tools, "search_datasets", {"query": "IPS des écoles"})
    expected = sorted(
        d["id"] for d in sample.DESCRIPTORS if "ips" in d["id"] and "ecoles" in d["id"]
    )
    assert sorted(r["dataset_id"] for r in data["resultats"]) == expected
    assert data["total_count"] == len(expected)
    assert data["citation"]["jeux"] == [r["dataset_id"] for r in data["resultats"]]
    assert data["citation"]["licence"] == "Licence Ouverte v2.0 (Etalab)"
    brevet = ok(server, tools, "search_datasets", {"query": "résultats du brevet"})
    assert [r["dataset_id"] for r in brevet["resultats"]] == ["fr-en-resultats-detailles-au-dnb"]
    nothing = ok(server, tools, "search_datasets", {"query": "cantine"})
    assert (nothing["total_count"], nothing["resultats"]) == (0, [])
    assert "Aucun jeu" in nothing["message"] and "pas la preuve" in nothing["message"]
    partial = ok(server, tools, "search_datasets", {"query": "ips cantine"})
    assert partial["total_count"] == 0
    assert {p["dataset_id"] for p in partial["proches"]} >= set(expected)


def test_describe_dataset(server: ArdoiseMCP, tools: dict[str, Any]) -> None:
    data = ok(server, tools, "describe_dataset", {"dataset_id": "fr-en-etic_2d"})
    descriptor = next(d for d in sample.DESCRIPTORS if d["id"] == "fr-en-etic_2d")
    assert [c["nom"] for c in data["champs"]] == [f["name"] for f in descriptor["fields"]]
    assert data["nationale"] is False
    assert data["territoires_couverts"] == ["academie:10 (Lyon)", "academie:14 (Rennes)"]
    assert data["lignes"] == len(sample.ETIC)
    assert data["citation"]["url"].endswith("/catalog/datasets/fr-en-etic_2d")


def test_list_indicators(server: ArdoiseMCP, tools: dict[str, Any]) -> None:
    data = ok(server, tools, "list_indicators", {})
    files = sorted(p.stem for p in (ROOT / "src/ardoise/indicators/definitions").glob("*.yaml"))
    assert [i["id"] for i in data["indicateurs"]] == files
    assert data["total_count"] == len(files)
    assert data["citation"]["url"] == "http://ardoise.test/api/v1/indicateurs"
    ips = next(i for i in data["indicateurs"] if i["id"] == "ips_moyen_ecoles")
    assert ips["annees_scolaires"][-1] == "2023-2024" and ips["formule"]


BAD = [
    (
        "query_records",
        {"dataset_id": "fr-en-ips-ecoles-ap2022", "limit": 500},
        "inférieur ou égal à 100",
    ),
    (
        "query_records",
        {"dataset_id": "fr-en-ips-ecoles-ap2022", "limit": "beaucoup"},
        "attendu un entier",
    ),
    (
        "query_records",
        {"dataset_id": "fr-en-ips-ecoles-ap2022", "where": "acadmie = 1"},
        "describe_dataset",
    ),
    ("query_records", {"dataset_id": "fr-en-ips-ecoles-ap2022", "where": "ips >"}, "ODSQL"),
    ("query_records", {"dataset_id": "fr-en-ips-ecole"}, "fr-en-ips-ecoles-ap2022"),
    ("describe_dataset", {}, "argument obligatoire manquant"),
    ("describe_dataset", {"dataset_id": "ips-ecoles"}, "Identifiants proches"),
    ("find_territory", {"name": ""}, "au moins 1 caractère"),
    (
        "get_indicator",
        {"indicator_id": "ips_moyen_ecole", "territory": "departement:69"},
        "ips_moyen_ecoles",
    ),
    (
        "get_indicator",
        {
            "indicator_id": "ips_moyen_ecoles",
            "territory": "departement:69",
            "school_year": "2030-2031",
        },
        "Années disponibles : 2021-2022",
    ),
    (
        "get_indicator",
        {"indicator_id": "ips_moyen_ecoles", "territory": "departement:69", "school_year": "2023"},
        "AAAA-AAAA",
    ),
    (
        "get_indicator",
        {"indicator_id": "ips_moyen_ecoles", "territory": "Lyon"},
        "Territoire ambigu",
    ),
    (
        "get_indicator",
        {"indicator_id": "ips_moyen_ecoles", "territory": "Xyzzyville"},
        "Territoire introuvable",
    ),
    (
        "get_indicator",
        {"indicator_id": "ips_moyen_ecoles", "territory": "planete:3"},
        "Territoire introuvable",
    ),
    (
        "get_indicator",
        {"indicator_id": "taux_reussite_dnb", "territory": "commune:69123"},
        "pas calculé au niveau commune",
    ),
    (
        "get_indicator",
        {"indicator_id": "ips_moyen_ecoles", "territory": "departement:99"},
        "departement",
    ),
    (
        "compare_territories",
        {"indicator_id": "taux_reussite_dnb", "territories": []},
        "au moins 1 élément",
    ),
    (
        "compare_territories",
        {"indicator_id": "taux_reussite_dnb", "territories": ["departement:69"] * 31},
        "au plus 30",
    ),
    (
        "get_indicator",
        {"indicator_id": "nb_ecoles_ips", "territory": "commune:69381"},  # Lyon 1er
        "arrondissements",
    ),
    ("no_such_tool", {}, "Outil inconnu"),
]


@pytest.mark.parametrize(
    ("tool", "args", "expected"), BAD, ids=[f"{t}-{i}" for i, (t, _a, _e) in enumerate(BAD)]
)
def test_bad_arguments_are_clear_tool_errors(
    server: ArdoiseMCP, tool: str, args: dict[str, Any], expected: str
) -> None:
    result: CallToolResult = call(server, tool, args)
    text = error_text(result)
    assert expected in text, text
    assert result.structured_content is None


def test_resources_and_prompts(server: ArdoiseMCP) -> None:
    async def work(client: Client) -> dict[str, Any]:
        resources = [str(r.uri) for r in (await client.list_resources()).resources]
        templates = [
            t.uri_template for t in (await client.list_resource_templates()).resource_templates
        ]
        overview = (await client.read_resource("ardoise://catalogue")).contents[0]
        dataset = (await client.read_resource("ardoise://jeux/fr-en-etic_2d")).contents[0]
        method = (await client.read_resource("ardoise://indicateurs/ips_moyen_ecoles")).contents[0]
        try:
            await client.read_resource("ardoise://jeux/inconnu")
            unknown = ""
        except Exception as exc:  # the SDK raises the server's error
            unknown = str(exc)
        prompts = [p.name for p in (await client.list_prompts()).prompts]
        prompt = await client.get_prompt(
            "chiffre_officiel", {"question": "IPS moyen des écoles du Rhône ?"}
        )
        return {
            "resources": resources,
            "templates": templates,
            "overview": getattr(overview, "text", ""),
            "dataset": getattr(dataset, "text", ""),
            "method": getattr(method, "text", ""),
            "unknown": unknown,
            "prompts": prompts,
            "prompt": getattr(prompt.messages[0].content, "text", ""),
        }

    got = with_client(server, work)
    assert got["resources"] == ["ardoise://catalogue"]
    assert got["templates"] == [
        "ardoise://jeux/{dataset_id}",
        "ardoise://indicateurs/{indicator_id}",
    ]
    assert "Ce que ce serveur ne sait pas faire" in got["overview"]
    for d in sample.DESCRIPTORS:
        assert f"`{d['id']}`" in got["overview"]
    assert "`nbterminaux`" in got["dataset"] and "Deux académies" in got["dataset"]
    assert "## Méthodologie" in got["method"]
    assert "Jeu de données inconnu" in got["unknown"]
    assert got["prompts"] == ["chiffre_officiel", "comparer_territoires"]
    assert "IPS moyen des écoles du Rhône" in got["prompt"]
