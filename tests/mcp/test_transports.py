"""The same tools over the two transports, through the SDK's own clients: stdio (the
``ardoise mcp`` command in a subprocess) and streamable HTTP at ``/mcp`` on the app served
by uvicorn. Over HTTP, every citation URL is fetched from the same server and gives back
the same figure."""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from ardoise.settings import Settings
from tests.indicators import sample
from tests.mcp.conftest import error_text, with_client

TOOLS = [
    "search_datasets",
    "describe_dataset",
    "query_records",
    "find_territory",
    "get_indicator",
    "compare_territories",
    "list_indicators",
]


async def _session(client: Client) -> dict[str, Any]:
    tools = [t.name for t in (await client.list_tools()).tools]
    found = await client.call_tool("find_territory", {"name": "Rhône"})
    value = await client.call_tool(
        "get_indicator",
        {
            "indicator_id": "taux_reussite_dnb",
            "territory": "departement:69",
            "school_year": "2023-2024",
        },
    )
    bad = await client.call_tool(
        "get_indicator",
        {
            "indicator_id": "taux_reussite_dnb",
            "territory": "departement:69",
            "school_year": "1990-1991",
        },
    )
    rows = await client.call_tool(
        "query_records",
        {
            "dataset_id": "fr-en-resultats-detailles-au-dnb",
            "select": "sum(admis) as admis, sum(presents) as presents",
            "where": 'annee = 2024 and code_departement = "69"',
        },
    )
    return {"tools": tools, "found": found, "value": value, "bad": bad, "rows": rows}


def _check(got: dict[str, Any]) -> None:
    assert got["tools"] == TOOLS
    assert got["found"].structured_content["resultats"][0]["argument"] == "departement:69"
    rows = [r for r in sample.DNB if r[0] == 2024 and r[2] == "69"]
    admis, presents = sum(r[6] for r in rows), sum(r[5] for r in rows)
    value = got["value"].structured_content["valeur"]
    assert value["valeur"] == pytest.approx(100 * admis / presents)
    assert got["rows"].structured_content["lignes"] == [{"admis": admis, "presents": presents}]
    assert "Années disponibles" in error_text(got["bad"])


def test_stdio(mcp_settings: Settings) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "ardoise.cli", "mcp"],
        env={
            "ARDOISE_VAR_DIR": str(mcp_settings.var_dir),
            "ARDOISE_PUBLIC_URL": "http://ardoise.test",
        },
    )
    _check(with_client(params, _session))


def test_streamable_http(http_url: str) -> None:
    got = with_client(f"{http_url}/mcp", _session)
    _check(got)
    # the citations reproduce the figures when fetched from the same server
    value = got["value"].structured_content["valeur"]
    assert urlsplit(value["citation"]["url"]).netloc == urlsplit(http_url).netloc
    answer = httpx.get(value["citation"]["url"], timeout=30).json()["results"]
    assert answer[0]["valeur"] == pytest.approx(value["valeur"])
    rows = got["rows"].structured_content
    again = httpx.get(rows["citation"]["url"], timeout=30).json()
    assert again["results"] == rows["lignes"]
    assert again["total_count"] == rows["total_count"]


def test_http_is_stateless_json_and_guarded(http_url: str) -> None:
    """One POST, no initialize, no session id: a JSON answer. A foreign Host is refused."""
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    body = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": "list_indicators", "arguments": {}},
    }
    r = httpx.post(f"{http_url}/mcp", json=body, headers=headers, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert r.json()["result"]["structuredContent"]["total_count"] > 0
    assert "mcp-session-id" not in r.headers
    evil = httpx.post(
        f"{http_url}/mcp", json=body, headers={**headers, "Host": "evil.example"}, timeout=30
    )
    assert evil.status_code in (403, 421)
    assert httpx.get(f"{http_url}/health", timeout=30).json()["status"] == "ok"
