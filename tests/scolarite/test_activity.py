"""Per-token (per-habilitation) usage of the enrolment API, from the audit journal (issue
#16): the classification of calls, the two declared anomaly rules, and who sees what on
``/partenaires/usage`` (a partner its own, instructors all, nobody else)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ardoise.controlplane import accounts, organisations
from ardoise.controlplane.database import make_engine as cp_engine
from ardoise.controlplane.database import migrate as cp_migrate
from ardoise.controlplane.organisations import MINISTRY
from ardoise.controlplane.permissions import OPERATOR
from ardoise.controlplane.signin import SignIn
from ardoise.espace import build_router as espace_router
from ardoise.scolarite import activity, audit, scopes, tokens
from ardoise.scolarite.database import make_engine, migrate
from ardoise.scolarite.service import ScolariteService
from ardoise.settings import Settings
from ardoise.transparence.usage_pages import build_router
from ardoise.web.errors import status_of

TODAY = datetime.now(UTC).date()  # the page counts up to today
SIRETS = {"caf": "13002526500013", "mairie": "11004301500012", "dept": "23690001900019",
          "odd": "21690123100011"}  # fmt: skip


def _entry(
    token: str | None, outcome: str, status: int, flag: str | None = None
) -> audit.AuditEntry:
    return audit.AuditEntry("r", "/v3/men/scolarites/identite", status, outcome, "0" * 64,
                            jeton_id=token, drapeau=flag)  # fmt: skip


def _calls(engine: Engine, day: date, entries: list[audit.AuditEntry]) -> None:
    with engine.begin() as conn:
        audit.append(conn, entries, datetime(day.year, day.month, day.day, 10, tzinfo=UTC))


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[tuple[Engine, dict[str, str]]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'registre.db'}")
    migrate(engine)
    ids = {
        name: tokens.create(
            engine, siret=siret, intitule=f"Partenaire {name}", scopes=[scopes.IDENTITE],
            expire_le=datetime(2028, 1, 1, tzinfo=UTC), limite_par_seconde=20,
            now=datetime(2026, 1, 1, tzinfo=UTC),
        )[0].id
        for name, siret in SIRETS.items()
    }  # fmt: skip
    caf, mairie, dept, odd = (ids[k] for k in ("caf", "mairie", "dept", "odd"))
    for back in range(1, 6):  # five ordinary days for the CAF: 10 calls each
        _calls(engine, TODAY - timedelta(days=back), [_entry(caf, "trouve", 200)] * 9
               + [_entry(caf, "inconnu", 404)])  # fmt: skip
    spike = (
        [_entry(caf, "trouve", 200)] * 50
        + [_entry(caf, "ambigu", 409)] * 5
        + [_entry(caf, "00103", 401)] * 2  # expired token: refused
        + [_entry(caf, "00429", 429)] * 2  # rate limit: refused and throttled
        + [_entry(caf, "trouve", 200, "enumeration")]  # slowed: throttled, still found
    )
    _calls(engine, TODAY, spike)
    for token in (mairie, dept):  # ordinary not-found shares (10 %)
        _calls(
            engine, TODAY, [_entry(token, "trouve", 200)] * 27 + [_entry(token, "sorti", 404)] * 3
        )
    _calls(engine, TODAY, [_entry(odd, "trouve", 200)] * 6 + [_entry(odd, "inconnu", 404)] * 24)
    _calls(engine, TODAY, [_entry(None, "00101", 401)] * 4)  # no token: nobody's usage
    with engine.begin() as conn:  # a families' entry is not a call
        audit.append(conn, [audit.AuditEntry("f", "/mes-enfants", 200, "liste", "1" * 64,
                                              genre="famille")], datetime.now(UTC))  # fmt: skip
    _calls(engine, TODAY - timedelta(days=40), [_entry(caf, "trouve", 200)] * 7)  # too old
    yield engine, ids
    engine.dispose()


def test_counts_and_anomalies(registry: tuple[Engine, dict[str, str]]) -> None:
    engine, ids = registry
    groups = {g.key: g for g in activity.usage(engine, TODAY, 30)}
    assert set(groups) == set(ids.values())
    caf = groups[ids["caf"]]
    assert caf.kind == "jeton" and caf.siret == SIRETS["caf"] and caf.title == "Partenaire caf"
    assert caf.calls == 50 + 60 and len(caf.days) == 6
    today = caf.days[-1]
    assert (today.calls, today.found, today.not_found, today.refused, today.throttled) == (
        60, 51, 5, 4, 3,
    )  # fmt: skip
    assert today.spike and not any(d.spike for d in caf.days[:-1])
    assert caf.anomalies == (f"pic d'appels le {TODAY.isoformat()}",)
    odd = groups[ids["odd"]]
    assert odd.not_found_share == pytest.approx(0.8) and odd.share_anomaly
    assert "part de recherches infructueuses anormale (80 %)" in odd.anomalies
    for name in ("mairie", "dept"):
        assert groups[ids[name]].anomalies == () and groups[ids[name]].total("not_found") == 3
    # a partner's view is filtered, with the flags computed over everybody
    mine = activity.usage(engine, TODAY, 30, {SIRETS["odd"]})
    assert [g.key for g in mine] == [ids["odd"]] and mine[0].share_anomaly
    # a shorter period drops the older days (and with them the spike's baseline)
    short = {g.key: g for g in activity.usage(engine, TODAY, 1)}
    assert short[ids["caf"]].calls == 60 and not short[ids["caf"]].days[0].spike


def test_tokens_of_one_habilitation_count_together(
    registry: tuple[Engine, dict[str, str]],
) -> None:
    engine, ids = registry
    habilitations = {ids["mairie"]: "hab-7", ids["dept"]: "hab-7"}
    groups = {g.key: g for g in activity.usage(engine, TODAY, 30, habilitations=habilitations)}
    together = groups["hab-7"]
    assert together.kind == "habilitation" and set(together.tokens) == {ids["mairie"], ids["dept"]}
    assert together.calls == 60 and together.total("not_found") == 6
    assert ids["mairie"] not in groups and ids["caf"] in groups


def test_no_spike_without_enough_history(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    migrate(engine)
    token = tokens.create(
        engine, siret=SIRETS["caf"], intitule="Jeune", scopes=[scopes.IDENTITE],
        expire_le=datetime(2028, 1, 1, tzinfo=UTC), limite_par_seconde=20,
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )[0].id  # fmt: skip
    _calls(engine, TODAY - timedelta(days=1), [_entry(token, "trouve", 200)])
    _calls(engine, TODAY, [_entry(token, "trouve", 200)] * 100)
    (group,) = activity.usage(engine, TODAY, 30)
    assert group.anomalies == ()  # two active days: below SPIKE_MIN_DAYS
    engine.dispose()


BASE = "https://testserver"


@pytest.fixture
def client(
    registry: tuple[Engine, dict[str, str]], fixture_settings: Settings, tmp_path: Path
) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path / 'cp.db'}"
    engine = cp_engine(url)
    cp_migrate(engine)
    with engine.begin() as conn:
        for org, siret in (("caf", SIRETS["caf"]), ("mairie", SIRETS["mairie"])):
            organisations.create_organisation(conn, OPERATOR, id=org, name=org, siret=siret,
                                              type="commune")  # fmt: skip
        organisations.create_organisation(conn, OPERATOR, id=MINISTRY, name="Ministère",
                                          siret="21690123100011", type="ministere")  # fmt: skip
        for who, national in (
            ("partenaire", False), ("instructeur", True), ("isole", False), ("instructrice", False)
        ):  # fmt: skip
            account = accounts.create_local_account(
                conn, OPERATOR, email=f"{who}@exemple.fr", name=who, password="x" * 12,
                national=national,
            )  # fmt: skip
            if who == "partenaire":
                organisations.add_member(conn, OPERATOR, "caf", account.id, "relecteur")
            if who == "instructrice":  # an instructor of habilitations, not a national admin
                organisations.add_member(conn, OPERATOR, MINISTRY, account.id, "instructeur")
    engine.dispose()
    settings = fixture_settings.replace(controlplane_database_url=url, local_sign_in=True)
    service = ScolariteService(str(registry[0].url))
    signin = SignIn(settings)
    app = FastAPI()
    app.include_router(espace_router(settings, signin, status_of))
    app.include_router(build_router(settings, service, signin, status_of))
    with TestClient(app, base_url=BASE, follow_redirects=False) as c:
        yield c
    service.close()


def _sign_in(client: TestClient, who: str) -> None:
    client.cookies.clear()
    page = client.get("/compte/connexion").text
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    done = client.post("/compte/connexion", data={"csrf": csrf, "email": f"{who}@exemple.fr",
                                                   "mot_de_passe": "x" * 12, "suite": "/"})  # fmt: skip
    assert done.status_code == 303, done.text


def test_who_sees_which_usage(client: TestClient, registry: tuple[Engine, dict[str, str]]) -> None:
    _engine, ids = registry
    anonymous = client.get("/partenaires/usage.json")
    assert anonymous.status_code == 401 and "Connexion requise" in anonymous.json()["message"]
    assert client.get("/partenaires/usage").status_code == 303  # → the sign-in page
    _sign_in(client, "partenaire")
    own = client.get("/partenaires/usage.json", params={"jours": "30"}).json()
    assert [g["cle"] for g in own["groupes"]] == [ids["caf"]]
    assert own["groupes"][0]["appels"] == 110 and own["groupes"][0]["limitations"] == 3
    assert own["groupes"][0]["anomalies"] == [f"pic d'appels le {TODAY.isoformat()}"]
    page = client.get("/partenaires/usage")
    assert page.status_code == 200 and "Partenaire caf" in page.text
    assert "Partenaire odd" not in page.text and page.headers["cache-control"] == "no-store"
    # the daily table scrolls sideways on a phone: in a focusable, named region (axe)
    assert 'tabindex="0" role="region" aria-label="Appels par jour — Partenaire caf' in page.text
    # the partner signs out from here too (the producers' sign-out, with their CSRF token)
    assert '<form method="post" action="/compte/deconnexion">' in page.text
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert client.post("/compte/deconnexion", data={"csrf": csrf}).status_code == 303
    assert client.get("/partenaires/usage").status_code == 303  # signed out: the sign-in
    _sign_in(client, "partenaire")
    _sign_in(client, "isole")
    assert client.get("/partenaires/usage.json").status_code == 403
    _sign_in(client, "instructeur")
    every = client.get("/partenaires/usage.json").json()
    assert {g["cle"] for g in every["groupes"]} == set(ids.values())
    _sign_in(client, "instructrice")
    instructed = client.get("/partenaires/usage.json").json()
    assert {g["cle"] for g in instructed["groupes"]} == set(ids.values())
    page = client.get("/partenaires/usage?jours=abc")  # a bad period is the default one
    assert page.status_code == 200 and "anormale (80 %)" in page.text
    # French agreement: plural past one, singular for 0 and 1 (the flow in Chromium has a 1)
    assert "110 appels : 96 trouvés, 10 non trouvés, 4 refusés, 3 limités" in page.text
    assert "30 appels : 6 trouvés, 24 non trouvés, 0 refusé, 0 limité" in page.text
