"""Every page type answers in HTML and as its JSON twin; unknown things are French 404s."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

PAGES = [
    "/",
    "/territoires/departement/69",
    "/territoires/academie/10",
    "/territoires/region/84",
    "/territoires/france/FR",
    "/territoires/commune/42218",
    "/etablissements/0690001B",
    "/indicateurs/ips_moyen_ecoles",
    "/donnees",
    "/donnees/fr-en-ips-ecoles-ap2022",
    "/qualite",
    "/a-propos",
    "/recherche?q=lyon",
]


@pytest.mark.parametrize("url", PAGES)
def test_page_and_twin(client: TestClient, url: str) -> None:
    page = client.get(url)
    assert page.status_code == 200, page.text[:500]
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="fr"' in page.text
    path, _, query = url.partition("?")
    twin_url = ("/index" if path == "/" else path) + ".json" + (f"?{query}" if query else "")
    twin = client.get(twin_url)
    assert twin.status_code == 200
    assert twin.json()["page"]["titre"] in page.text.replace("&#39;", "'")
    by_accept = client.get(url, headers={"Accept": "application/json"})
    assert by_accept.json() == twin.json()
