"""Sign-in (issue #15): OpenID Connect through a real provider on loopback (authorization
code, PKCE, nonce, ID token verified), signed Secure/HttpOnly/SameSite cookies, CSRF on
every form, sign-out, local development accounts; the mailer against an SMTP sink."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from ardoise.controlplane import accounts
from ardoise.controlplane.database import make_engine, migrate
from ardoise.controlplane.mail import Mail, Mailer
from ardoise.controlplane.permissions import OPERATOR
from ardoise.controlplane.schema import journal
from ardoise.controlplane.session import COOKIE
from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.identity import OidcProvider, SmtpSink, free_port, signin_settings

BASE = "https://testserver"  # the session cookie is Secure: the client must speak https


@pytest.fixture
def settings(fixture_settings: Settings, cp_url: str, oidc_provider: OidcProvider) -> Settings:
    engine = make_engine(cp_url)
    migrate(engine)
    engine.dispose()
    return signin_settings(
        fixture_settings.replace(controlplane_database_url=cp_url), oidc_provider
    )


def _client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), base_url=BASE, follow_redirects=False)


def _sign_in(client: TestClient, provider: OidcProvider, sub: str, suite: str = "/compte") -> str:
    start = client.get("/compte/connexion/oidc", params={"suite": suite})
    assert start.status_code == 303, start.text
    back = provider.consent(start.headers["location"], sub)
    assert back.startswith(f"{BASE}/compte/oidc/retour?"), back
    done = client.get(back.removeprefix(BASE))
    assert done.status_code == 303, done.text
    return str(done.headers["location"])


def _csrf(client: TestClient, path: str = "/compte") -> str:
    page = client.get(path).text
    return page.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def test_oidc_sign_in_and_out(settings: Settings, oidc_provider: OidcProvider) -> None:
    oidc_provider.user("agent-1", "Claire.Martin@education.gouv.fr", "Claire", "Martin")
    with _client(settings) as client:
        assert client.get("/compte").headers["location"].startswith("/compte/connexion")
        assert _sign_in(client, oidc_provider, "agent-1") == "/compte"
        cookie = next(c for c in client.cookies.jar if c.name == COOKIE)
        assert cookie.secure and cookie.has_nonstandard_attr("HttpOnly")
        page = client.get("/compte")
        assert page.status_code == 200
        assert "Claire Martin" in page.text and "claire.martin@education.gouv.fr" in page.text
        assert page.headers["cache-control"] == "no-store"
        # sign-out: refused without the form's CSRF token, done with it
        refused = client.post("/compte/deconnexion", data={"csrf": "faux"})
        assert refused.status_code == 403 and "CSRF" in refused.text
        assert client.get("/compte").status_code == 200  # still signed in
        out = client.post("/compte/deconnexion", data={"csrf": _csrf(client)})
        assert out.status_code == 303
        assert "ardoise_session=" in out.headers["set-cookie"]
        assert client.get("/compte").status_code == 303  # signed out
    engine = make_engine(settings.controlplane_database_url.reveal())
    with engine.connect() as conn:
        account = accounts.find_account(conn, "claire.martin@education.gouv.fr")
        actions = [r.action for r in conn.execute(select(journal).order_by(journal.c.seq))]
        sessions = {r.session_id for r in conn.execute(select(journal))} - {None}
    engine.dispose()
    assert not account.local  # an OIDC identity, no password
    assert actions[-2:] == ["session.ouvrir", "session.fermer"]
    assert sessions and all(len(s) == 32 for s in sessions)  # digests, never the cookie


def test_the_same_person_signs_in_again_as_the_same_account(
    settings: Settings, oidc_provider: OidcProvider
) -> None:
    oidc_provider.user("agent-2", "paul@ac-lyon.fr", "Paul", "Durand")
    with _client(settings) as first, _client(settings) as second:
        _sign_in(first, oidc_provider, "agent-2")
        _sign_in(second, oidc_provider, "agent-2")
        assert first.cookies[COOKIE] != second.cookies[COOKIE]  # one session each
    engine = make_engine(settings.controlplane_database_url.reveal())
    with engine.connect() as conn:
        assert [a.email for a in accounts.list_accounts(conn)] == ["paul@ac-lyon.fr"]
    engine.dispose()


def test_a_forged_or_replayed_callback_signs_nobody_in(
    settings: Settings, oidc_provider: OidcProvider
) -> None:
    oidc_provider.user("agent-3", "lea@region.fr", "Léa", "Petit")
    with _client(settings) as client:
        start = client.get("/compte/connexion/oidc")
        back = oidc_provider.consent(start.headers["location"], "agent-3")
        query = parse_qs(urlsplit(back).query)
        forged = client.get(
            "/compte/oidc/retour", params={"code": query["code"][0], "state": "autre"}
        )
        assert forged.status_code == 401 and "recommencez" in forged.text
        assert client.get("/compte").status_code == 303
        replay = client.get(back.removeprefix(BASE))  # the state was used: refused
        assert replay.status_code == 401
        assert client.get("/compte").status_code == 303
    with _client(settings) as stranger:  # a callback without the browser's session
        assert stranger.get(back.removeprefix(BASE)).status_code == 401
        cancelled = stranger.get("/compte/oidc/retour", params={"error": "access_denied"})
        assert cancelled.status_code == 401 and "annulée" in cancelled.text


def test_no_open_redirect_after_sign_in(settings: Settings, oidc_provider: OidcProvider) -> None:
    oidc_provider.user("agent-4", "ines@depp.fr", "Inès", "Roux")
    with _client(settings) as client:
        target = _sign_in(client, oidc_provider, "agent-4", suite="https://ailleurs.example/")
        assert target == "/producteurs"


def test_a_tampered_cookie_is_no_session(settings: Settings, oidc_provider: OidcProvider) -> None:
    oidc_provider.user("agent-5", "marc@men.fr", "Marc", "Blanc")
    with _client(settings) as client:
        _sign_in(client, oidc_provider, "agent-5")
        value = client.cookies[COOKIE]
        client.cookies.clear()
        client.cookies.set(COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
        assert client.get("/compte").status_code == 303


def test_an_unreachable_provider_is_a_clear_503(settings: Settings) -> None:
    down = settings.replace(oidc_issuer=f"http://127.0.0.1:{free_port()}")
    with _client(down) as client:
        page = client.get("/compte/connexion/oidc")
        assert page.status_code == 503 and "injoignable" in page.text
        assert "S'identifier" in client.get("/compte/connexion").text  # the page still works


def test_local_accounts_only_when_allowed(settings: Settings) -> None:
    engine = make_engine(settings.controlplane_database_url.reveal())
    with engine.begin() as conn:
        accounts.create_local_account(
            conn, OPERATOR, email="dev@exemple.fr", name="Dév", password="un-long-mot-de-passe"
        )
    engine.dispose()
    form = {"email": "dev@exemple.fr", "mot_de_passe": "un-long-mot-de-passe", "suite": "/compte"}
    with _client(settings) as client:
        assert "Compte local" not in client.get("/compte/connexion").text
        refused = client.post("/compte/connexion", data=form)
        assert refused.status_code == 403
        assert client.get("/compte").status_code == 303
    with _client(settings.replace(local_sign_in=True)) as client:
        no_token = client.post("/compte/connexion", data=form)
        assert no_token.status_code == 403  # the sign-in form is CSRF-protected too
        token = _csrf(client, "/compte/connexion")
        wrong = client.post(
            "/compte/connexion", data=form | {"csrf": token, "mot_de_passe": "x" * 12}
        )
        assert wrong.status_code == 401 and "incorrect" in wrong.text
        ok = client.post("/compte/connexion", data=form | {"csrf": token})
        assert ok.status_code == 303 and ok.headers["location"] == "/compte"
        assert "Dév" in client.get("/compte").text


def test_the_mailer_sends_to_the_sink(fixture_settings: Settings, smtp_sink: SmtpSink) -> None:
    mailer = Mailer(signin_settings(fixture_settings, sink=smtp_sink))
    sent = mailer.send(
        Mail(
            ("relecteur@depp.fr", "relecteur@depp.fr"),
            "Une soumission attend",
            "Bonjour,\nà relire.",
        )
    )
    assert sent
    (message,) = smtp_sink.wait(1)
    assert message["To"] == "relecteur@depp.fr" and message["Subject"] == "Une soumission attend"
    assert message["Auto-Submitted"] == "auto-generated"
    assert "à relire" in message.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
    assert smtp_sink.envelopes[0][1] == ("relecteur@depp.fr",)


def test_the_mailer_never_fails_the_action(fixture_settings: Settings) -> None:
    assert not Mailer(fixture_settings).send(Mail(("a@b.fr",), "s", "b"))  # no SMTP host
    down = fixture_settings.replace(smtp_host="127.0.0.1", smtp_port=free_port())
    assert not Mailer(down).send(Mail(("a@b.fr",), "s", "b"))  # nobody listening
    assert not Mailer(fixture_settings).send(Mail((), "s", "b"))  # no recipient


def test_the_session_key_is_kept_for_every_process(fixture_settings: Settings) -> None:
    from ardoise.controlplane.session import Sessions

    Sessions(fixture_settings)
    key = fixture_settings.var_dir / "session.key"
    assert key.stat().st_mode & 0o777 == 0o600
    first = key.read_text()
    Sessions(fixture_settings)
    assert key.read_text() == first
