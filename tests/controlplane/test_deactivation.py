"""Deactivating an account (issue #15): it can no longer sign in through OpenID Connect,
and the sessions it holds stop working on their next request, with a clear French page;
a reactivated account signs in again, but its old cookies stay refused (session epoch)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from ardoise.cli import app
from ardoise.controlplane import accounts, organisations
from ardoise.controlplane.database import make_engine
from ardoise.controlplane.errors import AccountDisabled, Forbidden
from ardoise.controlplane.permissions import OPERATOR
from ardoise.controlplane.session import COOKIE, Sessions
from ardoise.settings import Settings
from tests.controlplane.test_signin import BASE, _client, _sign_in, settings
from tests.identity import OidcProvider

__all__ = ["settings"]
SUB, EMAIL = "agent-9", "agent.neuf@education.gouv.fr"


def _set_active(settings: Settings, active: bool) -> None:
    engine = make_engine(settings.controlplane_database_url.reveal())
    with engine.begin() as conn:
        accounts.set_active(conn, OPERATOR, accounts.find_account(conn, EMAIL).id, active)
    engine.dispose()


def test_a_deactivated_account_loses_its_sessions_and_cannot_sign_in(
    settings: Settings, oidc_provider: OidcProvider
) -> None:
    oidc_provider.user(SUB, EMAIL, "Agent", "Neuf")
    with _client(settings) as client:
        _sign_in(client, oidc_provider, SUB)
        engine = make_engine(settings.controlplane_database_url.reveal())
        with engine.begin() as conn:
            organisations.create_organisation(
                conn, OPERATOR, id="depp", name="DEPP", siret="13002526500013", type="direction"
            )
            account = accounts.find_account(conn, EMAIL)
            organisations.add_member(conn, OPERATOR, "depp", account.id, "administrateur")
        engine.dispose()
        assert client.get("/producteurs/organisations/depp").status_code == 200
        _set_active(settings, False)
        refused = client.get("/producteurs/organisations/depp")  # the very next request
        assert refused.status_code == 403 and "Ce compte a été désactivé" in refused.text
        page = client.get("/compte")
        assert page.status_code == 403 and "ses sessions sont fermées" in page.text
        start = client.get("/compte/connexion/oidc", params={"suite": "/compte"})
        back = oidc_provider.consent(start.headers["location"], SUB)
        again = client.get(back.removeprefix(BASE))
        assert again.status_code == 403 and "Ce compte a été désactivé" in again.text
        _set_active(settings, True)
        # the cookie from before the deactivation still names the account, in epoch 0 …
        held = Sessions(settings)._signer.loads(client.cookies[COOKIE])
        assert held["account_id"] == account.id and held["epoch"] == 0
        answer = client.get("/producteurs/organisations/depp")  # … and is refused
        assert answer.status_code == 303 and "/compte/connexion" in answer.headers["location"]
    with _client(settings) as fresh:  # reactivated: a new sign-in works
        _sign_in(fresh, oidc_provider, SUB)
        assert fresh.get("/producteurs/organisations/depp").status_code == 200


def test_only_the_platform_deactivates(settings: Settings, oidc_provider: OidcProvider) -> None:
    engine = make_engine(settings.controlplane_database_url.reveal())
    with engine.begin() as conn:
        a = accounts.create_local_account(conn, OPERATOR, email=EMAIL, name="A", password="x" * 12)
        b = accounts.create_local_account(
            conn, OPERATOR, email="b@exemple.fr", name="B", password="x" * 12
        )
        with pytest.raises(Forbidden):
            accounts.set_active(conn, accounts.principal_of(conn, b.id), a.id, False)
        done = accounts.set_active(conn, OPERATOR, a.id, False)
        assert not done.active and done.epoch == 1
        assert accounts.verify_password(conn, EMAIL, "x" * 12) is None
    engine.dispose()
    assert issubclass(AccountDisabled, Forbidden)


def test_the_cli_deactivates(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    url = settings.controlplane_database_url.reveal()
    monkeypatch.setenv("ARDOISE_CONTROLPLANE_DATABASE_URL", url)
    monkeypatch.setenv("ARDOISE_VAR_DIR", str(settings.var_dir))
    engine = make_engine(url)
    with engine.begin() as conn:
        accounts.create_local_account(conn, OPERATOR, email=EMAIL, name="A", password="x" * 12)
    runner = CliRunner()
    done = runner.invoke(app, ["comptes", "desactiver", EMAIL])
    assert done.exit_code == 0, done.output
    assert "désactivé" in runner.invoke(app, ["comptes", "lister"]).output
    with engine.connect() as conn:
        assert not accounts.find_account(conn, EMAIL).active
    assert runner.invoke(app, ["comptes", "reactiver", EMAIL]).exit_code == 0
    engine.dispose()
