"""The same words find the same datasets everywhere (issue #12): the Explore catalogue's
full-text ``where`` (v2.1 and v2.0), the v1 datasets search, the dashboard's catalogue and
MCP's search_datasets all call ardoise.query.catalog; on the sample release and on the
release of the real mirror."""

from __future__ import annotations

from typing import Any

import pytest

from ardoise.mcp import build_server
from ardoise.mcp.datasets import MAX_RESULTS
from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.mcp.conftest import call

QUERIES = (
    "IPS des écoles",
    "IPS collèges",
    "résultats du brevet",
    "DNB",
    "bac",
    "effectifs des lycées",
    "élèves",
    "calendrier scolaire",
    "établissements",
    "académie",
    "cantine",
    "ips cantine",
)


@pytest.fixture(scope="module", params=["sample", "mirror"])
def surfaces(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    """An HTTP client of the app and the MCP server, over one release. (The app's lifespan
    is not run: no warm-up thread left working when the session ends.)"""
    from starlette.testclient import TestClient

    name = "mcp_settings" if request.param == "sample" else "real_settings"
    settings: Settings = request.getfixturevalue(name)
    return TestClient(create_app(settings), raise_server_exceptions=False), build_server(settings)


@pytest.mark.parametrize("query", QUERIES)
def test_every_surface_finds_the_same_datasets(surfaces: tuple[Any, Any], query: str) -> None:
    client, server = surfaces
    v1 = client.get("/api/datasets/1.0/search/", params={"q": query, "rows": 1000}).json()
    dashboard = client.get("/donnees.json", params={"q": query}).json()
    mcp = call(server, "search_datasets", {"query": query}).structured_content
    assert mcp is not None
    found = [d["datasetid"] for d in v1["datasets"]]
    assert v1["nhits"] == len(found) == dashboard["total"] == mcp["total_count"]
    assert found == sorted(found)  # v1 and the dashboard list them by id, MCP ranks them
    assert [d["id"] for d in dashboard["jeux"]] == found
    # MCP gives the best-ranked MAX_RESULTS and the total (an assistant's context is short)
    ranked = [r["dataset_id"] for r in mcp["resultats"]]
    assert len(ranked) == min(len(found), MAX_RESULTS) and set(ranked) <= set(found)
    quoted = '"' + query.replace('"', '""') + '"'
    for where in (f"search({quoted})", quoted, f"search(*, {quoted})"):
        params = {"where": where, "limit": 100}
        v21 = client.get("/api/explore/v2.1/catalog/datasets", params=params).json()
        v20 = client.get("/api/explore/v2.0/catalog/datasets", params=params).json()
        assert v21["total_count"] == v20["total_count"] == len(found), where
        assert [d["dataset_id"] for d in v21["results"]] == found, where
        assert [d["dataset"]["dataset_id"] for d in v20["datasets"]] == found, where


def test_a_full_text_term_in_the_catalogue_where_keeps_the_columns_of_other_errors(
    surfaces: tuple[Any, Any],
) -> None:
    client, _ = surfaces
    body = client.get(
        "/api/explore/v2.1/catalog/datasets", params={"where": 'search("ips") and foo = 1'}
    ).json()
    assert body["error_code"] == "ODSQLError"
    assert body["position"] == {"clause": "where", "col": 19}
