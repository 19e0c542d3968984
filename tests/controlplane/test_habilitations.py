"""Habilitations (issue #16): the request, the instruction thread, the declared
transitions, grants of fewer scopes, tokens issued from them, rotation, throttle, the
control-plane journal and the tamper-evident chain, the DPO's emails (SMTP sink)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from ardoise.controlplane import habilitation_tokens as hab_tokens
from ardoise.controlplane import habilitations as hab
from ardoise.controlplane.database import LazyEngine
from ardoise.controlplane.errors import (
    Conflict,
    ControlPlaneError,
    Forbidden,
    HabilitationNotFound,
    Throttled,
)
from ardoise.controlplane.habilitations import Event, HabilitationState
from ardoise.controlplane.instruction import Instruction
from ardoise.controlplane.mail import Mailer
from ardoise.controlplane.schema import journal
from ardoise.scolarite import audit, scopes, tokens
from ardoise.scolarite.checks import CheckContext
from ardoise.scolarite.database import make_engine as registry_engine
from ardoise.scolarite.database import migrate as migrate_registry
from ardoise.scolarite.schema import audit as audit_table
from ardoise.settings import load_settings
from ardoise.transparence.contexts import describer, of_habilitations
from tests.controlplane.habilitation_world import DPO, PARTNER, TECH, World, request, seed
from tests.identity import SmtpSink, signin_settings


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Engine]:
    eng = registry_engine(f"sqlite:///{tmp_path / 'scolarite.db'}", pool_size=2)
    migrate_registry(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def world(engine: Engine) -> World:
    return seed(engine)


def _instruction(world: World, registry: Engine, mailer: Mailer | None = None) -> Instruction:
    return Instruction(world.engine, lambda: registry, mailer, sent=[])


def _submitted(world: World, flow: Instruction) -> str:
    with world.engine.begin() as conn:
        created = hab.create(conn, world.principal(conn, "partenaire"), PARTNER, request())
    with world.engine.connect() as conn:
        who = world.principal(conn, "partenaire")
    flow.submit(who, created.id)
    return created.id


def _who(world: World, kind: str):  # type: ignore[no-untyped-def]
    with world.engine.connect() as conn:
        return world.principal(conn, kind)


def test_the_whole_path_with_the_dpo_emailed(
    world: World, registry: Engine, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    settings = signin_settings(load_settings(var_dir=tmp_path), sink=smtp_sink)
    flow = _instruction(world, registry, Mailer(settings))
    hid = _submitted(world, flow)
    instructor, partner = _who(world, "instructeur"), _who(world, "partenaire")
    flow.ask_changes(instructor, hid, "Précisez la délibération (date et numéro).")
    with world.engine.begin() as conn:
        hab.amend(conn, partner, hid, request(reference="Délibération n° 2026-114 du 3 mars"))
        hab.add_message(conn, partner, hid, "Référence précisée.")
    flow.submit(partner, hid)
    expires = datetime.now(UTC) + timedelta(days=365)
    granted = flow.grant(instructor, hid, [scopes.SCOLARITE, scopes.ETABLISSEMENT], expires)
    assert granted.state is HabilitationState.VALIDEE
    assert granted.granted == (scopes.SCOLARITE, scopes.ETABLISSEMENT)  # fewer than asked
    for t in flow.sent or []:
        t.join(10)
    dpo_mails = smtp_sink.wait(3)
    assert sorted(m["Subject"] for m in smtp_sink.to(DPO)) == [
        "[Ardoise] Demande d'habilitation soumise par CAF du Rhône",
        "[Ardoise] Habilitation validée : CAF du Rhône",
    ]  # the first submission and the decision; not the resubmission
    assert len(smtp_sink.to(TECH)) == 1  # the request for changes
    validated = next(m for m in smtp_sink.to(DPO) if "validée" in str(m["Subject"]))
    assert "Délibération n° 2026-114" in validated.get_content()
    assert len(dpo_mails) == 3
    with world.engine.connect() as conn:
        messages = hab.thread(conn, partner, hid)
    assert [(m.side, m.event) for m in messages] == [
        ("instruction", "demander_modifications"),
        ("partenaire", None),
    ]

    token, secret = hab_tokens.issue(world.engine, registry, partner, hid, rate_limit=20)
    assert token.habilitation_id == hid
    assert token.scopes == {scopes.SCOLARITE, scopes.ETABLISSEMENT}
    assert token.expire_le == granted.expires_at
    assert tokens.well_formed(secret)
    assert token.siret == "23690001900019"

    flow.apply(instructor, hid, Event.REVOQUER, "Convention dénoncée.")
    [stored] = tokens.list_all(registry, hid)
    assert stored.state(datetime.now(UTC)) is tokens.TokenState.REVOKED
    for t in flow.sent or []:
        t.join(10)
    smtp_sink.wait(4)
    assert smtp_sink.to(DPO)[-1]["Subject"] == "[Ardoise] Habilitation révoquée : CAF du Rhône"

    with world.engine.connect() as conn:
        events = [
            (r.action, r.objet) for r in conn.execute(select(journal).where(journal.c.objet == hid))
        ]
    assert ("habilitation.decider", hid) in events and ("jeton.emettre", hid) in events
    assert ("habilitation.suspendre", hid) in events  # the revocation
    with registry.connect() as conn:
        chained = [
            (r.genre, r.resultat, r.jeton_id)
            for r in conn.execute(select(audit_table).order_by(audit_table.c.seq))
        ]
    assert chained == [
        ("habilitation", "valider", None),
        ("habilitation", "jeton_emis", token.id),
        ("habilitation", "revoquer", None),
    ]
    assert audit.verify(registry).ok


def test_every_illegal_transition_is_refused_in_french() -> None:
    for state in HabilitationState:
        for event, move in hab.TRANSITIONS.items():
            if state in move.sources:
                assert hab.target(state, event) is move.to
                continue
            with pytest.raises(Conflict, match=r"^Impossible de .* l'état « "):
                hab.target(state, event)


def test_a_refused_move_changes_nothing(world: World, registry: Engine) -> None:
    flow = _instruction(world, registry)
    with world.engine.begin() as conn:
        created = hab.create(conn, world.principal(conn, "partenaire"), PARTNER, request())
    instructor = _who(world, "instructeur")
    with pytest.raises(Conflict, match="brouillon"):
        flow.grant(instructor, created.id, [scopes.SCOLARITE], datetime.now(UTC) + timedelta(1))
    with world.engine.connect() as conn:
        assert hab.load(conn, created.id).state is HabilitationState.BROUILLON


def test_grants_never_exceed_the_request(world: World, registry: Engine) -> None:
    flow = _instruction(world, registry)
    hid = _submitted(world, flow)
    instructor = _who(world, "instructeur")
    later = datetime.now(UTC) + timedelta(days=30)
    with pytest.raises(ControlPlaneError, match="non demandé"):
        flow.grant(instructor, hid, [scopes.SCOLARITE, scopes.REGIME], later)
    with pytest.raises(ControlPlaneError, match="au moins un scope"):
        flow.grant(instructor, hid, [], later)
    with pytest.raises(ControlPlaneError, match="futur"):
        flow.grant(instructor, hid, [scopes.SCOLARITE], datetime.now(UTC) - timedelta(1))


def test_bad_requests_are_refused_field_by_field(world: World) -> None:
    cases = {
        "scopes": ((), "au moins un scope"),
        "dpd_email": ("pas-une-adresse", "délégué à la protection"),
        "volume_annuel": (0, "volume annuel"),
        "base_legale": ("  ", "base légale"),
    }
    for field, (value, message) in cases.items():
        with world.engine.begin() as conn, pytest.raises(ControlPlaneError, match=message):
            hab.create(
                conn, world.principal(conn, "partenaire"), PARTNER, request(**{field: value})
            )
    with world.engine.begin() as conn, pytest.raises(ControlPlaneError, match="inconnu"):
        hab.create(
            conn, world.principal(conn, "partenaire"), PARTNER, request(scopes=("men_tout",))
        )


def test_who_may_see_and_decide(world: World, registry: Engine) -> None:
    flow = _instruction(world, registry)
    hid = _submitted(world, flow)
    with world.engine.connect() as conn:
        with pytest.raises(HabilitationNotFound):  # no hint the id exists
            hab.get(conn, world.principal(conn, "etranger"), hid)
        assert hab.get(conn, world.principal(conn, "instructeur"), hid).id == hid
        assert hab.get(conn, world.principal(conn, "contributeur"), hid).id == hid
    with pytest.raises(Forbidden):  # a partner never validates its own request
        flow.grant(
            _who(world, "partenaire"), hid, [scopes.SCOLARITE], datetime.now(UTC) + timedelta(9)
        )
    later = datetime.now(UTC) + timedelta(days=9)
    flow.grant(_who(world, "instructeur"), hid, [scopes.SCOLARITE], later)
    with pytest.raises(Forbidden):  # a contributor does not hold the tokens
        hab_tokens.issue(world.engine, registry, _who(world, "contributeur"), hid, rate_limit=5)


def test_rotation_overlaps_then_the_throttle_holds(world: World, registry: Engine) -> None:
    flow = _instruction(world, registry)
    hid = _submitted(world, flow)
    flow.grant(
        _who(world, "instructeur"), hid, [scopes.SCOLARITE], datetime.now(UTC) + timedelta(90)
    )
    partner = _who(world, "partenaire")
    now = datetime.now(UTC)
    first, _ = hab_tokens.issue(world.engine, registry, partner, hid, rate_limit=5, now=now)
    second, _ = hab_tokens.issue(world.engine, registry, partner, hid, rate_limit=5, now=now)
    old = next(t for t in tokens.list_all(registry, hid) if t.id == first.id)
    assert old.expire_le == now + hab_tokens.ROTATION_OVERLAP  # the overlap of a rotation
    assert old.state(now + timedelta(minutes=16)) is tokens.TokenState.EXPIRED
    assert second.state(now + timedelta(minutes=16)) is tokens.TokenState.VALID
    for _ in range(hab_tokens.ISSUANCE_LIMIT - 2):
        hab_tokens.issue(world.engine, registry, partner, hid, rate_limit=5)
    with pytest.raises(Throttled, match="Trop d'émissions"):
        hab_tokens.issue(world.engine, registry, partner, hid, rate_limit=5)
    with world.engine.connect() as conn:
        refused = [
            r.details
            for r in conn.execute(select(journal).where(journal.c.action == "jeton.emettre"))
            if r.details and "limite" in r.details
        ]
    assert len(refused) == 1
    assert len(tokens.list_all(registry, hid)) == hab_tokens.ISSUANCE_LIMIT


def test_suspension_stops_the_tokens_and_a_lift_lets_a_new_one_be_issued(
    world: World, registry: Engine
) -> None:
    flow = _instruction(world, registry)
    hid = _submitted(world, flow)
    instructor, partner = _who(world, "instructeur"), _who(world, "partenaire")
    flow.grant(instructor, hid, [scopes.SCOLARITE], datetime.now(UTC) + timedelta(90))
    token, _ = hab_tokens.issue(world.engine, registry, partner, hid, rate_limit=5)
    flow.apply(instructor, hid, Event.SUSPENDRE, "Contrôle en cours.")
    with pytest.raises(Conflict, match="validée"):
        hab_tokens.issue(world.engine, registry, partner, hid, rate_limit=5)
    [revoked] = tokens.list_all(registry, hid)
    assert revoked.id == token.id and revoked.revoque_le is not None
    flow.apply(instructor, hid, Event.LEVER, "Contrôle terminé.")
    fresh, _ = hab_tokens.issue(world.engine, registry, partner, hid, rate_limit=5)
    assert fresh.state(datetime.now(UTC)) is tokens.TokenState.VALID


def test_describe_gives_the_public_facts_only(world: World, registry: Engine) -> None:
    flow = _instruction(world, registry)
    hid = _submitted(world, flow)
    flow.grant(_who(world, "instructeur"), hid, [scopes.BOURSIER], datetime.now(UTC) + timedelta(9))
    summary = hab.describe(world.engine, hid)
    assert summary.organisation == "CAF du Rhône" and summary.siret == "23690001900019"
    assert summary.purpose == "Tarification sociale des transports"
    assert summary.legal_reference.startswith("Code de l'action sociale")
    assert summary.scopes == (scopes.BOURSIER,)
    assert summary.state is HabilitationState.VALIDEE
    fields = {f.name for f in dataclasses.fields(summary)}
    assert not any(("dpd" in f or "technique" in f or "email" in f) for f in fields)
    with pytest.raises(HabilitationNotFound):
        hab.describe(world.engine, "inconnue")


def test_the_automation_api_reads_habilitations_and_the_register(
    world: World, registry: Engine, tmp_path: Path
) -> None:
    from fastapi import FastAPI
    from starlette.testclient import TestClient

    from ardoise.controlplane import keys
    from ardoise.controlplane.automation import PREFIX, build_router
    from ardoise.controlplane.database import LazyEngine
    from ardoise.controlplane.permissions import OPERATOR
    from ardoise.web.errors import install as install_errors

    flow = _instruction(world, registry)
    hid = _submitted(world, flow)
    with world.engine.begin() as conn:
        secret = keys.create_key(conn, OPERATOR, PARTNER, "lecture", ["lire"])[1]
        other = keys.create_key(conn, OPERATOR, "region-84", "lecture", ["lire"])[1]
    settings = load_settings(var_dir=tmp_path)
    lazy = LazyEngine(settings)
    lazy._engine = world.engine  # the test's database
    app = FastAPI()
    install_errors(app)  # the one error table, as in the assembled app
    app.include_router(build_router(settings, lazy))
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get(f"{PREFIX}/registre/habilitations").json() == []  # not granted yet
        flow.grant(
            _who(world, "instructeur"), hid, [scopes.SCOLARITE], datetime.now(UTC) + timedelta(9)
        )
        [entry] = client.get(f"{PREFIX}/registre/habilitations").json()
        assert entry["habilitation"] == hid and entry["etat"] == "validee"
        assert DPO not in str(entry) and TECH not in str(entry)
        auth = {"Authorization": f"Bearer {secret}"}
        mine = client.get(f"{PREFIX}/organisations/{PARTNER}/habilitations", headers=auth)
        assert [h["id"] for h in mine.json()] == [hid]
        one = client.get(f"{PREFIX}/habilitations/{hid}", headers=auth).json()
        assert one["state"] == "validee" and one["granted"] == [scopes.SCOLARITE]
        assert client.get(f"{PREFIX}/habilitations/{hid}").status_code == 401
        stranger = {"Authorization": f"Bearer {other}"}
        assert client.get(f"{PREFIX}/habilitations/{hid}", headers=stranger).status_code == 404


def test_a_refusal_and_a_suspension_reach_the_dpo(
    world: World, registry: Engine, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    settings = signin_settings(load_settings(var_dir=tmp_path), sink=smtp_sink)
    flow = _instruction(world, registry, Mailer(settings))
    instructor = _who(world, "instructeur")
    refused = _submitted(world, flow)
    with pytest.raises(ControlPlaneError, match="Motivez"):
        flow.refuse(instructor, refused, "  ")
    flow.refuse(instructor, refused, "Base légale insuffisante.")
    granted = _submitted(world, flow)
    flow.grant(instructor, granted, [scopes.SCOLARITE], datetime.now(UTC) + timedelta(30))
    flow.apply(instructor, granted, Event.SUSPENDRE, "Contrôle.")
    for t in flow.sent or []:
        t.join(10)
    smtp_sink.wait(5)
    subjects = [str(m["Subject"]) for m in smtp_sink.to(DPO)]
    assert subjects.count("[Ardoise] Demande d'habilitation soumise par CAF du Rhône") == 2
    assert sorted(subjects) == sorted(  # sent by threads: in any order
        [
            "[Ardoise] Demande d'habilitation soumise par CAF du Rhône",
            "[Ardoise] Habilitation refusée : CAF du Rhône",
            "[Ardoise] Demande d'habilitation soumise par CAF du Rhône",
            "[Ardoise] Habilitation validée : CAF du Rhône",
            "[Ardoise] Habilitation suspendue : CAF du Rhône",
        ]
    )
    refusal = next(m for m in smtp_sink.to(DPO) if "refusée" in str(m["Subject"])).get_content()
    assert "Message : Base légale insuffisante." in refusal and "sco_" not in refusal


def test_the_families_see_a_check_under_its_habilitation(
    world: World, registry: Engine, cp_url: str, tmp_path: Path
) -> None:
    """The web app's seam (``transparence.contexts.of_habilitations``, over the control
    plane's database): a token issued from a habilitation is described by it, purpose and
    legal basis with its reference; a token without one keeps its own title, no basis."""
    flow = _instruction(world, registry)
    hid = _submitted(world, flow)
    partner = _who(world, "partenaire")
    flow.grant(
        _who(world, "instructeur"), hid, [scopes.SCOLARITE], datetime.now(UTC) + timedelta(9)
    )
    issued, _ = hab_tokens.issue(world.engine, registry, partner, hid, rate_limit=5)
    own, _ = tokens.create(
        registry, siret="13002526500013", intitule="Mairie de Rennes — cantine",
        scopes=[scopes.SCOLARITE], expire_le=datetime.now(UTC) + timedelta(9),
        limite_par_seconde=5,
    )  # fmt: skip
    control_plane = LazyEngine(load_settings(var_dir=tmp_path, controlplane_database_url=cp_url))
    context_of = of_habilitations(control_plane)(registry)
    assert context_of(issued.id) == CheckContext(
        "CAF du Rhône",
        "Tarification sociale des transports",
        "Tarification sociale des transports scolaires, délibération du conseil "
        "(Code de l'action sociale et des familles, art. L. 262-40)",
        "23690001900019",
    )
    assert context_of(own.id) == CheckContext("Mairie de Rennes", "cantine", None, "13002526500013")
    assert describer(control_plane)("inconnue") is None
    stray, _ = tokens.create(  # a habilitation the control plane does not know: its own
        registry, siret="13002526500013", intitule="Mairie de Brest — cantine",
        scopes=[scopes.SCOLARITE], expire_le=datetime.now(UTC) + timedelta(9),
        limite_par_seconde=5, habilitation_id="inconnue",
    )  # fmt: skip
    assert context_of(stray.id) == CheckContext(
        "Mairie de Brest", "cantine", None, "13002526500013"
    )
    assert context_of("jeton-inconnu") is None
    control_plane.get().dispose()
