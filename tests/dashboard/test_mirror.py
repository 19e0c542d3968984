"""The dashboard over a release of the real mirror (skipped without the mirror)."""

from __future__ import annotations

from collections.abc import Iterator
from html import unescape

import pytest
from starlette.testclient import TestClient

from ardoise.settings import Settings
from ardoise.web.app import create_app

pytestmark = pytest.mark.mirror


@pytest.fixture(scope="module")
def real_client(real_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(real_settings)) as client:
        yield client


def test_a_college_page_compares_with_similar_colleges(real_client: TestClient) -> None:
    """Collège des Gratte-Ciel (Villeurbanne): its DNB rate and value added against the
    public collèges whose IPS is within 5 points of its own (#19)."""
    twin = real_client.get("/etablissements/0692155T.json").json()
    peers = twin["semblables"]
    assert "IPS" in peers["groupe"] and "public" in peers["groupe"]
    rows = {r["indicateur"]: r for r in peers["table"]["rows"]}
    dnb = rows["Taux de réussite moyen des collèges au DNB (série générale)"]
    assert dnb["membres"] > 100 and dnb["groupe"] is not None
    assert dnb["ecart"] == pytest.approx(dnb["etablissement"] - dnb["groupe"], abs=0.11)
    page = unescape(real_client.get("/etablissements/0692155T").text)
    assert "Comparaison avec des établissements semblables" in page
    assert "Un classement brut compare" in page


def test_search_page_finds_a_phrase(real_client: TestClient) -> None:
    page = unescape(real_client.get("/recherche?q=lycée+Rennes").text)
    assert "/etablissements/0350710G" in page  # Lycée Chateaubriand, Rennes
