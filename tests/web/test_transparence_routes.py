"""The transparency routes of issue #16 as the assembled app serves them: /mes-enfants
(with and without FranceConnect configured, without a registry) and /partenaires/usage,
every refusal a clear French page or JSON, never a 5xx."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ardoise.settings import Settings
from ardoise.web.app import create_app

BASE = "https://testserver"


def _client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), base_url=BASE, follow_redirects=False)


def test_without_franceconnect_the_page_says_so(fixture_settings: Settings) -> None:
    with _client(fixture_settings) as client:
        page = client.get("/mes-enfants")
        assert page.status_code == 200
        assert "la connexion FranceConnect n'y est pas configurée" in page.text
        assert page.headers["cache-control"] == "no-store"
        assert client.get("/mes-enfants/connexion").status_code == 303
        assert client.get("/mes-enfants/enfant/abc").headers["location"] == "/mes-enfants"


def test_with_franceconnect_but_no_registry_and_hostile_input(fixture_settings: Settings) -> None:
    settings = fixture_settings.replace(
        franceconnect_issuer="http://127.0.0.1:9", franceconnect_client_id="x"
    )
    with _client(settings) as client:
        page = client.get("/mes-enfants")
        assert page.status_code == 503 and "registre des inscriptions est indisponible" in page.text
        start = client.get("/mes-enfants/connexion")  # the provider is unreachable
        assert start.status_code == 503 and "injoignable" in start.text
        back = client.get("/mes-enfants/retour", params={"code": "\x00" * 3000, "state": "é"})
        assert back.status_code == 303
        forged = client.post("/mes-enfants/deconnexion", data={"csrf": "x"})
        assert forged.status_code == 403 and "CSRF" in forged.text
        assert client.get("/mes-enfants/enfant/" + "%00" * 200).status_code == 303


def test_usage_needs_a_sign_in(fixture_settings: Settings) -> None:
    with _client(fixture_settings) as client:
        answer = client.get("/partenaires/usage.json", params={"jours": "-1"})
        assert answer.status_code == 401 and "Connexion requise" in answer.json()["message"]
        page = client.get("/partenaires/usage")
        assert page.status_code == 303 and "/compte/connexion" in page.headers["location"]
