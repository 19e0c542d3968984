"""The families' view (issue #16): a parent signs in through OIDC (the local provider
standing for FranceConnect) and sees the checks of their own children only, built from the
audit journal; no link gives a clear message; unknown child references and repeated
sign-ins are throttled and journaled; sign-out needs the CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from ardoise.scolarite import audit, representatives, scopes, tokens
from ardoise.scolarite.checks import CheckContext
from ardoise.scolarite.database import make_engine, migrate
from ardoise.scolarite.extract import import_extract
from ardoise.scolarite.representatives import Representative
from ardoise.scolarite.router import install
from ardoise.scolarite.schema import audit as audit_table
from ardoise.scolarite.service import ScolariteService
from ardoise.settings import Settings
from ardoise.transparence.contexts import with_habilitations
from ardoise.transparence.families import Families, build_router, reference
from ardoise.web.errors import status_of
from tests.identity import CLIENT_ID, CLIENT_SECRET, OidcProvider
from tests.scolarite.conftest import new_registry_url
from tests.scolarite.sample import NOW, PUPILS, SIRET, identity_params, write_extract

BASE = "https://testserver"
URL = "/v3/men/scolarites/identite"
THRESHOLD = 3

# Invented parents of the sample pupils (0000000001A Zoé, 0000000007G Côme; 0000000002B Jean).
PARENT_A = Representative(
    "0000000001A", 1, "mere", "Lefèvre-d’Œillardière", "Maëlle Anne", date(1981, 2, 3),
    lieu_naissance="35238", courriel="famille@exemple.invalid",
)  # fmt: skip
PARENT_A_AGAIN = Representative(
    "0000000007G", 1, "mere", "Lefèvre-d’Œillardière", "Maëlle Anne", date(1981, 2, 3),
    lieu_naissance="35238",
)  # fmt: skip
PARENT_A_LEFT = Representative(  # Noëlie left her school on 1 October
    "0000000004D", 2, "mere", "Lefèvre-d’Œillardière", "Maëlle Anne", date(1981, 2, 3),
)  # fmt: skip
PARENT_B = Representative(
    "0000000002B", 1, "pere", "Quéménezoù", "Yannig", date(1979, 9, 9),
    courriel="famille@exemple.invalid",  # the same address as A: it never links anybody
)  # fmt: skip

CLAIMS = {
    "a": {"given_name": "Maelle Anne", "family_name": "LEFEVRE D'OEILLARDIERE",
          "birthdate": "1981-02-03", "birthplace": "35238", "email": "a@exemple.invalid"},
    "b": {"given_name": "Yannig", "family_name": "Quéménezoù", "birthdate": "1979-09-09",
          "email": "famille@exemple.invalid"},
    "c": {"given_name": "Nobody", "family_name": "Personne", "birthdate": "1990-01-01",
          "email": "famille@exemple.invalid"},
}  # fmt: skip


@dataclass
class World:
    service: ScolariteService
    client: TestClient
    provider: OidcProvider
    caf: str  # token secrets
    mairie: str
    settings: Settings


def _app(settings: Settings, service: ScolariteService) -> FastAPI:
    return _wrap(Families(settings, service, status_of), service)


@pytest.fixture(params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    fixture_settings: Settings,
    oidc_provider: OidcProvider,
) -> Iterator[World]:
    url = new_registry_url(request.param, tmp_path, request)
    engine = make_engine(url, pool_size=4)
    migrate(engine)
    assert import_extract(engine, write_extract(tmp_path / "x.csv", PUPILS), today=NOW.date()).ok
    with engine.begin() as conn:
        representatives.load(conn, [PARENT_A, PARENT_A_AGAIN, PARENT_A_LEFT, PARENT_B])
    caf = tokens.create(
        engine, siret=SIRET, intitule="CAF d'Ille-et-Vilaine — rattachement des enfants",
        scopes=[scopes.IDENTITE, scopes.SCOLARITE], expire_le=NOW.replace(year=2027),
        limite_par_seconde=1000, now=NOW.replace(year=2024),
    )[1]  # fmt: skip
    mairie = tokens.create(
        engine, siret=SIRET, intitule="Mairie de Rennes", scopes=[scopes.BOURSIER],
        expire_le=NOW.replace(year=2027), limite_par_seconde=1000, now=NOW.replace(year=2024),
    )[1]  # fmt: skip
    for sub, claims in CLAIMS.items():
        put = httpx.put(f"{oidc_provider.issuer}/users/{sub}", json=claims, timeout=10)
        assert put.status_code == 204
    settings = fixture_settings.replace(
        franceconnect_issuer=oidc_provider.issuer,
        franceconnect_client_id=CLIENT_ID,
        franceconnect_client_secret=CLIENT_SECRET,
        franceconnect_scopes="openid profile email",
        famille_seuil=THRESHOLD,
    )
    service = ScolariteService(url, clock=lambda: NOW, sleep=lambda s: None, pool_size=4)
    with TestClient(_app(settings, service), base_url=BASE, follow_redirects=False) as client:
        yield World(service, client, oidc_provider, caf, mairie, settings)
    service.close()
    engine.dispose()


def _check(w: World, secret: str, pupil: dict[str, str], **over: str) -> int:
    res = w.client.get(
        URL, params=identity_params(pupil, **over), headers={"Authorization": f"Bearer {secret}"}
    )
    return res.status_code


def _sign_in(client: TestClient, provider: OidcProvider, sub: str) -> httpx.Response:
    start = client.get("/mes-enfants/connexion")
    assert start.status_code == 303, start.text
    back = provider.consent(start.headers["location"], sub)
    assert back.startswith(f"{BASE}/mes-enfants/retour?"), back
    return client.get(back.removeprefix(BASE))


def _links(page: str) -> list[str]:
    return re.findall(r'href="(/mes-enfants/enfant/[^"]+)"', page)


def _family_entries(w: World) -> list[dict[str, object]]:
    assert w.service.engine is not None
    with w.service.engine.connect() as conn:
        rows = conn.execute(select(audit_table).where(audit_table.c.genre == "famille")).all()
    return [dict(r._mapping) for r in rows]


def test_a_parent_sees_the_checks_of_their_children_only(world: World) -> None:
    w = world
    assert _check(w, w.caf, PUPILS[0]) == 200  # Zoé, by the CAF
    assert _check(w, w.mairie, PUPILS[0], nomNaissance="Kerbrazélec") == 200  # by usage name
    assert _check(w, w.caf, PUPILS[1]) == 200  # Jean: another family's child
    assert _check(w, w.caf, PUPILS[0], nomNaissance="Inexistant") == 404  # nobody
    anonymous = w.client.get("/mes-enfants")
    assert anonymous.status_code == 200 and "S'identifier avec FranceConnect" in anonymous.text

    done = _sign_in(w.client, w.provider, "a")
    assert done.status_code == 303 and done.headers["location"] == "/mes-enfants"
    home = w.client.get("/mes-enfants")
    assert home.status_code == 200, home.text
    assert "Zoé" in home.text and "Côme" in home.text and "Jean" not in home.text
    assert "2 vérifications" in home.text and "0 vérification " in home.text
    assert home.headers["cache-control"] == "no-store"
    zoe = w.client.get(f"/mes-enfants/enfant/{reference(w.service.salt, '0000000001A')}")
    assert zoe.url.path in _links(home.text)
    assert zoe.status_code == 200, zoe.text
    text = zoe.text
    assert text.count('class="fr-callout ') == 2  # the CAF's and the town hall's, not the miss
    assert "CAF d&#39;Ille-et-Vilaine" in text and "rattachement des enfants" in text
    assert "Mairie de Rennes" in text
    assert text.count("non renseignée") == 3  # the town's purpose, both legal bases
    assert "Inscription confirmée" in text
    assert "identité, statut scolaire et année" in text and "boursier ou non" in text
    assert "Quéménezoù" not in text and "Jean" not in text
    # the consultation is journaled, with the child's hash and no name; the chain holds
    assert w.service.engine is not None
    entries = _family_entries(w)
    assert [e["resultat"] for e in entries] == ["connexion", "liste", "consultation"]
    # the consultation keeps the person's digest, as the sign-in did: not which child
    assert entries[2]["empreinte_parametres"] == entries[0]["empreinte_parametres"]
    assert all(e["empreinte_eleve"] is None for e in entries)
    assert audit.verify(w.service.engine).ok


def _call_entries(w: World) -> list[dict[str, object]]:
    assert w.service.engine is not None
    with w.service.engine.connect() as conn:
        rows = conn.execute(
            select(audit_table).where(audit_table.c.genre == "appel").order_by(audit_table.c.seq)
        ).all()
    return [dict(r._mapping) for r in rows]


def test_a_call_keeps_one_hash_the_pupils_when_it_identified_one(world: World) -> None:
    """« Without storing anything new about the pupil »: a call that identified a child keeps
    the same fields as one that found nobody, its one hash being the child's instead of its
    parameters'; two calls with different parameters for one child keep the same hash."""
    w = world
    assert _check(w, w.caf, PUPILS[0]) == 200  # Zoé
    assert _check(w, w.mairie, PUPILS[0], nomNaissance="Kerbrazélec") == 200  # Zoé again
    assert _check(w, w.caf, PUPILS[0], nomNaissance="Inexistant") == 404  # nobody
    assert _check(w, w.caf, PUPILS[0], nomNaissance="Autre") == 404  # nobody either
    zoe, again, nobody, other = _call_entries(w)
    salt = w.service.salt
    assert [e["resultat"] for e in (zoe, again, nobody, other)] == ["trouve"] * 2 + ["inconnu"] * 2
    assert zoe["empreinte_parametres"] == again["empreinte_parametres"]
    assert zoe["empreinte_parametres"] == audit.pupil_hash(salt, "0000000001A")
    assert nobody["empreinte_parametres"] != other["empreinte_parametres"]  # their parameters
    assert audit.pupil_hash(salt, "0000000001A") not in (nobody["empreinte_parametres"],)

    def kept(entry: dict[str, object]) -> set[str]:
        return {k for k, v in entry.items() if v is not None}

    assert kept(zoe) == kept(nobody)  # not one field more when a pupil was identified
    assert all(e["empreinte_eleve"] is None for e in (zoe, again, nobody, other))


def test_entries_that_kept_the_pupil_in_a_second_column_still_count(world: World) -> None:
    """Entries written between migrations 0006 and 0008 kept the pupil's hash in
    ``empreinte_eleve``: they still verify, and the families' view still shows them."""
    w = world
    engine = w.service.engine
    assert engine is not None
    assert _check(w, w.caf, PUPILS[0]) == 200  # one of today's
    entry = audit.AuditEntry("ancienne", URL, 200, "trouve", "f" * 64, jeton_id=None)
    with engine.begin() as conn:  # as the code of 0006 wrote it
        (row,) = audit.chain([entry], *audit._lock_head(conn), NOW)
        row["empreinte_eleve"] = audit.pupil_hash(w.service.salt, "0000000001A")
        row["empreinte"] = audit.entry_hash(row)
        conn.execute(audit.INSERT, [row])
        conn.execute(audit.SET_HEAD, audit.head_value(int(str(row["seq"])), str(row["empreinte"])))
    assert audit.verify(engine).ok
    _sign_in(w.client, w.provider, "a")
    zoe = w.client.get(f"/mes-enfants/enfant/{reference(w.service.salt, '0000000001A')}")
    assert zoe.status_code == 200, zoe.text
    assert zoe.text.count('class="fr-callout ') == 2  # the old entry and today's


def test_a_check_that_found_the_child_gone_is_shown_as_such(world: World) -> None:
    w = world
    assert _check(w, w.caf, PUPILS[3]) == 404  # Noëlie: identified, no longer enrolled
    _sign_in(w.client, w.provider, "a")
    page = w.client.get(f"/mes-enfants/enfant/{reference(w.service.salt, '0000000004D')}")
    assert page.status_code == 200 and "Noëlie" in page.text
    assert "N&#39;est plus inscrit dans l&#39;établissement" in page.text
    assert "Inscription confirmée" not in page.text


def test_another_family_and_no_family(world: World) -> None:
    w = world
    assert _check(w, w.caf, PUPILS[0]) == 200
    assert _check(w, w.caf, PUPILS[1]) == 200
    _sign_in(w.client, w.provider, "b")  # B shares A's e-mail address: no link by it
    home = w.client.get("/mes-enfants")
    assert "Jean" in home.text and "Zoé" not in home.text and "Côme" not in home.text
    # A's child's page, asked by its very reference: not B's child, so not shown
    ref = reference(w.service.salt, "0000000001A")
    other = w.client.get(f"/mes-enfants/enfant/{ref}")
    assert other.status_code == 404 and "Aucun de vos enfants" in other.text
    assert "Zoé" not in other.text and "CAF" not in other.text
    w.client.cookies.clear()
    _sign_in(w.client, w.provider, "c")
    none = w.client.get("/mes-enfants")
    assert none.status_code == 200
    assert "Aucun enfant rattaché à votre identité" in none.text
    assert [e["resultat"] for e in _family_entries(w)][-1] == "sans_lien"


def test_unknown_references_are_throttled_and_journaled(world: World) -> None:
    w = world
    _sign_in(w.client, w.provider, "a")
    codes = [
        w.client.get(f"/mes-enfants/enfant/{i:024x}").status_code for i in range(2 * THRESHOLD + 2)
    ]
    assert codes[: 2 * THRESHOLD] == [404] * (2 * THRESHOLD)
    assert codes[2 * THRESHOLD :] == [429, 429], codes
    refused = w.client.get(f"/mes-enfants/enfant/{0:024x}")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "Trop d&#39;adresses d&#39;enfants inconnues" in refused.text
    entries = _family_entries(w)
    flags = [(e["resultat"], e["drapeau"]) for e in entries]
    assert ("reference_inconnue", None) in flags
    assert ("reference_inconnue", "enumeration") in flags  # past the threshold: flagged
    assert ("enumeration", "enumeration") in flags  # past twice the threshold: refused
    assert all(e["jeton_id"] is None and e["empreinte_eleve"] is None for e in entries[1:])
    assert w.service.engine is not None and audit.verify(w.service.engine).ok
    # even a real child of hers is refused while the window lasts
    assert (
        w.client.get(f"/mes-enfants/enfant/{reference(w.service.salt, '0000000001A')}").status_code
        == 429
    )


def test_repeated_sign_ins_are_throttled(world: World) -> None:
    w = world
    codes = [_sign_in(w.client, w.provider, "c").status_code for _ in range(2 * THRESHOLD + 1)]
    assert codes[: 2 * THRESHOLD] == [303] * (2 * THRESHOLD) and codes[-1] == 429, codes
    results = [(e["resultat"], e["drapeau"]) for e in _family_entries(w)]
    assert ("connexion", "connexions_repetees") in results
    assert results[-1] == ("connexion_refusee", "connexions_repetees")


def test_sign_out_needs_the_csrf_token(world: World) -> None:
    w = world
    _sign_in(w.client, w.provider, "a")
    page = w.client.get("/mes-enfants").text
    token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert w.client.post("/mes-enfants/deconnexion", data={"csrf": "faux"}).status_code == 403
    assert "Zoé" in w.client.get("/mes-enfants").text  # still signed in
    out = w.client.post("/mes-enfants/deconnexion", data={"csrf": token})
    assert out.status_code == 303
    assert "S'identifier avec FranceConnect" in w.client.get("/mes-enfants").text


def test_a_cancelled_or_replayed_sign_in_is_a_clear_page(world: World) -> None:
    w = world
    cancelled = w.client.get("/mes-enfants/retour")
    assert cancelled.status_code == 401 and "Connexion annulée" in cancelled.text
    replay = w.client.get("/mes-enfants/retour", params={"code": "x", "state": "y"})
    assert replay.status_code == 401 and "recommencez" in replay.text


def test_the_habilitation_seam_gives_purpose_and_legal_basis(world: World) -> None:
    """With a ``describe`` (the habilitations'), the purpose and legal basis shown are the
    habilitation's; a token without one keeps its own, and « non renseignée »."""
    w = world
    assert _check(w, w.caf, PUPILS[0]) == 200
    assert _check(w, w.mairie, PUPILS[0]) == 200
    assert w.service.engine is not None
    with w.service.engine.connect() as conn:
        caf_id = (
            conn.execute(select(audit_table.c.jeton_id).where(audit_table.c.resultat == "trouve"))
            .scalars()
            .first()
        )
    described = CheckContext("CAF 35", "Rattachement", "Code de la sécurité sociale, art. L. 512-3")

    def contexts(engine):  # type: ignore[no-untyped-def]
        return with_habilitations(
            engine,
            lambda h: described if h == "hab-1" else None,
            lambda token_id: "hab-1" if token_id == caf_id else None,
        )

    families = Families(w.settings, w.service, status_of, contexts=contexts)
    with TestClient(_wrap(families, w.service), base_url=BASE, follow_redirects=False) as other:
        _sign_in(other, w.provider, "a")
        page = other.get(f"/mes-enfants/enfant/{reference(w.service.salt, '0000000001A')}").text
    assert "Code de la sécurité sociale, art. L. 512-3" in page and "Rattachement" in page
    assert page.count("non renseignée") == 2  # the town hall's token has no habilitation


def _wrap(families: Families, service: ScolariteService) -> FastAPI:
    app = FastAPI()
    install(app, service)
    app.include_router(build_router(families))
    return app
