"""Habilitations to the enrolment API (issue #16): the DataPass path inside Ardoise.

An administration (a signed-in member of an organisation identified by its SIRET) requests
access under a legal basis, for a purpose, to scopes of the enrolment API; the ministry's
instructors (role ``instructeur`` in the organisation ``ministere``) review it with a
thread of messages, and may grant fewer scopes than asked. Its life is one declared table,
:data:`TRANSITIONS` (event → from states → to state, with the permission it needs); any
other move is refused in French:

>>> TRANSITIONS[Event.SOUMETTRE].to, sorted(s.value for s in TRANSITIONS[Event.SOUMETTRE].sources)
(<HabilitationState.SOUMISE: 'soumise'>, ['brouillon', 'modifications_demandees'])
>>> target(HabilitationState.BROUILLON, Event.VALIDER)
Traceback (most recent call last):
...
ardoise.controlplane.errors.Conflict: Impossible de valider une habilitation à l'état « brouillon » (possible depuis : soumise).

Every action is journaled (control-plane journal, in the action's transaction); grants,
suspensions, revocations, expiries and token issuance also enter the tamper-evident chain
of the enrolment API (:mod:`ardoise.controlplane.habilitation_tokens`). The DPO's emails
are :mod:`ardoise.controlplane.habilitation_mails`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from ardoise.controlplane.errors import Conflict, ControlPlaneError, HabilitationNotFound
from ardoise.controlplane.journal import record
from ardoise.controlplane.organisations import MINISTRY, find_organisation
from ardoise.controlplane.permissions import Action, Principal, allowed, authorize
from ardoise.controlplane.schema import habilitation_messages, habilitations, organisations
from ardoise.scolarite import scopes as scope_names
from ardoise.stored import as_utc

SCOPES = scope_names.ALL  # what a request may ask for (the enrolment API's scopes)


class HabilitationState(StrEnum):
    BROUILLON = "brouillon"
    SOUMISE = "soumise"
    MODIFICATIONS = "modifications_demandees"
    VALIDEE = "validee"
    REFUSEE = "refusee"
    SUSPENDUE = "suspendue"
    REVOQUEE = "revoquee"
    EXPIREE = "expiree"


LABELS: dict[HabilitationState, str] = {
    HabilitationState.BROUILLON: "brouillon",
    HabilitationState.SOUMISE: "soumise",
    HabilitationState.MODIFICATIONS: "modifications demandées",
    HabilitationState.VALIDEE: "validée",
    HabilitationState.REFUSEE: "refusée",
    HabilitationState.SUSPENDUE: "suspendue",
    HabilitationState.REVOQUEE: "révoquée",
    HabilitationState.EXPIREE: "expirée",
}
# the states in which the API may be called with the habilitation's tokens
LIVE = frozenset({HabilitationState.VALIDEE})
# the states shown in the public register (granted once)
GRANTED = frozenset(
    {
        HabilitationState.VALIDEE,
        HabilitationState.SUSPENDUE,
        HabilitationState.REVOQUEE,
        HabilitationState.EXPIREE,
    }
)


class Event(StrEnum):
    SOUMETTRE = "soumettre"
    DEMANDER_MODIFICATIONS = "demander_modifications"
    VALIDER = "valider"
    REFUSER = "refuser"
    SUSPENDRE = "suspendre"
    LEVER = "lever_suspension"
    REVOQUER = "revoquer"
    EXPIRER = "expirer"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[HabilitationState]
    to: HabilitationState
    action: Action  # the permission it needs (on the requester, or on the ministry)
    verb: str  # French infinitive, for the refusal message


_S = HabilitationState
TRANSITIONS: dict[Event, Transition] = {
    Event.SOUMETTRE: Transition(
        frozenset({_S.BROUILLON, _S.MODIFICATIONS}), _S.SOUMISE,
        Action.HABILITATION_DEMANDER, "soumettre",
    ),
    Event.DEMANDER_MODIFICATIONS: Transition(
        frozenset({_S.SOUMISE}), _S.MODIFICATIONS,
        Action.HABILITATION_DECIDER, "demander des modifications sur",
    ),
    Event.VALIDER: Transition(
        frozenset({_S.SOUMISE}), _S.VALIDEE, Action.HABILITATION_DECIDER, "valider"
    ),
    Event.REFUSER: Transition(
        frozenset({_S.SOUMISE}), _S.REFUSEE, Action.HABILITATION_DECIDER, "refuser"
    ),
    Event.SUSPENDRE: Transition(
        frozenset({_S.VALIDEE}), _S.SUSPENDUE, Action.HABILITATION_SUSPENDRE, "suspendre"
    ),
    Event.LEVER: Transition(
        frozenset({_S.SUSPENDUE}), _S.VALIDEE,
        Action.HABILITATION_SUSPENDRE, "lever la suspension d'",
    ),
    Event.REVOQUER: Transition(
        frozenset({_S.VALIDEE, _S.SUSPENDUE}), _S.REVOQUEE,
        Action.HABILITATION_SUSPENDRE, "révoquer",
    ),
    Event.EXPIRER: Transition(
        frozenset({_S.VALIDEE, _S.SUSPENDUE}), _S.EXPIREE,
        Action.HABILITATION_SUSPENDRE, "faire expirer",
    ),
}  # fmt: skip
# the partner's events, authorised on the requesting organisation; the others on MINISTRY
PARTNER_EVENTS = frozenset({Event.SOUMETTRE})


def target(state: HabilitationState, event: Event) -> HabilitationState:
    """The state ``event`` leads to from ``state``, or :class:`Conflict` (in French)."""
    move = TRANSITIONS[event]
    if state not in move.sources:
        possible = ", ".join(sorted(LABELS[s] for s in move.sources))
        raise Conflict(
            f"Impossible de {move.verb} une habilitation à l'état « {LABELS[state]} » "
            f"(possible depuis : {possible})."
        )
    return move.to


@dataclass(frozen=True)
class Request:
    """What an administration fills in (checked by :func:`check_request`)."""

    base_legale: str
    reference: str
    finalite: str
    scopes: tuple[str, ...]
    volume_annuel: int
    conservation_mois: int
    technique_nom: str
    technique_email: str
    dpd_nom: str
    dpd_email: str


@dataclass(frozen=True)
class Habilitation:
    id: str
    organisation_id: str
    state: HabilitationState
    request: Request
    granted: tuple[str, ...]  # empty until validated
    created_by: str | None
    created_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    expires_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class Message:
    author: str | None
    side: str  # "partenaire" or "instruction"
    event: str | None
    text: str
    at: datetime


@dataclass(frozen=True)
class HabilitationSummary:
    """What a family (or the public register) may know of a habilitation: no contact."""

    id: str
    organisation: str
    siret: str
    purpose: str
    legal_basis: str
    legal_reference: str
    scopes: tuple[str, ...]  # those granted
    state: HabilitationState
    submitted_at: datetime | None
    decided_at: datetime | None
    expires_at: datetime | None


def _email(value: str, what: str) -> str:
    value = value.strip()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value or len(value) > 254:
        raise ControlPlaneError(f"Adresse électronique invalide pour {what} : « {value} ».")
    return value


def _text(value: str, what: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise ControlPlaneError(f"Renseignez {what}.")
    if len(value) > limit:
        raise ControlPlaneError(f"{what[0].upper()}{what[1:]} : {limit} caractères au plus.")
    return value


def check_request(r: Request) -> Request:
    """``r`` cleaned, or :class:`ControlPlaneError` naming the first bad field."""
    wanted = tuple(dict.fromkeys(s.strip() for s in r.scopes if s.strip()))
    if not wanted:
        raise ControlPlaneError("Demandez au moins un scope de l'API de vérification.")
    bad = scope_names.unknown(list(wanted))
    if bad:
        raise ControlPlaneError(
            f"Scope(s) inconnu(s) : {', '.join(bad)} (possibles : {', '.join(scope_names.ALL)})."
        )
    if not 1 <= r.volume_annuel <= 100_000_000:
        raise ControlPlaneError("Le volume annuel attendu va de 1 à 100 000 000 d'appels.")
    if not 1 <= r.conservation_mois <= 120:
        raise ControlPlaneError("La durée de conservation va de 1 à 120 mois.")
    return Request(
        base_legale=_text(r.base_legale, "la base légale", 4000),
        reference=_text(r.reference, "la référence de la base légale", 300),
        finalite=_text(r.finalite, "la finalité", 4000),
        scopes=tuple(s for s in scope_names.ALL if s in wanted),
        volume_annuel=r.volume_annuel,
        conservation_mois=r.conservation_mois,
        technique_nom=_text(r.technique_nom, "le nom du contact technique", 200),
        technique_email=_email(r.technique_email, "le contact technique"),
        dpd_nom=_text(r.dpd_nom, "le nom du délégué à la protection des données", 200),
        dpd_email=_email(r.dpd_email, "le délégué à la protection des données"),
    )


def _columns(r: Request) -> dict[str, Any]:
    return {
        "base_legale": r.base_legale,
        "reference": r.reference,
        "finalite": r.finalite,
        "scopes_demandes": " ".join(r.scopes),
        "volume_annuel": r.volume_annuel,
        "conservation_mois": r.conservation_mois,
        "technique_nom": r.technique_nom,
        "technique_email": r.technique_email,
        "dpd_nom": r.dpd_nom,
        "dpd_email": r.dpd_email,
    }


def _habilitation(m: Any) -> Habilitation:
    request = Request(
        base_legale=m["base_legale"],
        reference=m["reference"],
        finalite=m["finalite"],
        scopes=tuple(m["scopes_demandes"].split()),
        volume_annuel=int(m["volume_annuel"]),
        conservation_mois=int(m["conservation_mois"]),
        technique_nom=m["technique_nom"],
        technique_email=m["technique_email"],
        dpd_nom=m["dpd_nom"],
        dpd_email=m["dpd_email"],
    )
    return Habilitation(
        id=m["id"],
        organisation_id=m["organisation_id"],
        state=HabilitationState(m["etat"]),
        request=request,
        granted=tuple((m["scopes_accordes"] or "").split()),
        created_by=m["cree_par"],
        created_at=as_utc(m["cree_le"]),
        submitted_at=as_utc(m["soumise_le"]),
        decided_at=as_utc(m["decidee_le"]),
        expires_at=as_utc(m["expire_le"]),
        updated_at=as_utc(m["modifiee_le"]),
    )


def load(conn: Connection, habilitation_id: str) -> Habilitation:
    """The habilitation, whoever asks (callers authorise), or :class:`HabilitationNotFound`."""
    row = conn.execute(select(habilitations).where(habilitations.c.id == habilitation_id)).first()
    if row is None:
        raise HabilitationNotFound(f"Aucune habilitation n'a l'identifiant « {habilitation_id} ».")
    return _habilitation(row._mapping)


def may_instruct(principal: Principal) -> bool:
    return allowed(principal, Action.HABILITATION_INSTRUIRE, MINISTRY)


def get(conn: Connection, principal: Principal, habilitation_id: str) -> Habilitation:
    """The habilitation, for its organisation's members and the instructors. Anyone else
    gets :class:`HabilitationNotFound` (no hint that the id exists)."""
    found = load(conn, habilitation_id)
    if may_instruct(principal):
        return found
    if principal.anonymous:
        authorize(principal, Action.HABILITATION_LIRE, found.organisation_id)
    if not allowed(principal, Action.HABILITATION_LIRE, found.organisation_id):
        raise HabilitationNotFound(f"Aucune habilitation n'a l'identifiant « {habilitation_id} ».")
    return found


def list_for(
    conn: Connection, principal: Principal, organisation_id: str | None
) -> list[Habilitation]:
    """The habilitations of ``organisation_id`` (its readers), or all of them (None: the
    instructors), newest first."""
    query = select(habilitations).order_by(habilitations.c.modifiee_le.desc())
    if organisation_id is None:
        authorize(principal, Action.HABILITATION_INSTRUIRE, MINISTRY)
    else:
        authorize(principal, Action.HABILITATION_LIRE, organisation_id)
        query = query.where(habilitations.c.organisation_id == organisation_id)
    return [_habilitation(r._mapping) for r in conn.execute(query)]


def create(
    conn: Connection, principal: Principal, organisation_id: str, request: Request
) -> Habilitation:
    """A new request (brouillon) of ``organisation_id``."""
    find_organisation(conn, organisation_id)
    authorize(principal, Action.HABILITATION_DEMANDER, organisation_id)
    clean = check_request(request)
    now = datetime.now(UTC)
    new_id = str(uuid.uuid4())
    conn.execute(
        habilitations.insert().values(
            id=new_id,
            organisation_id=organisation_id,
            etat=HabilitationState.BROUILLON.value,
            cree_par=principal.account_id,
            cree_le=now,
            modifiee_le=now,
            **_columns(clean),
        )
    )
    record(conn, principal, Action.HABILITATION_DEMANDER, organisation_id, new_id,
           {"evenement": "creer", "scopes": " ".join(clean.scopes)})  # fmt: skip
    return load(conn, new_id)


def amend(
    conn: Connection, principal: Principal, habilitation_id: str, request: Request
) -> Habilitation:
    """Change a request still in the partner's hands (brouillon, modifications demandées)."""
    found = get(conn, principal, habilitation_id)
    authorize(principal, Action.HABILITATION_DEMANDER, found.organisation_id)
    editable = {HabilitationState.BROUILLON, HabilitationState.MODIFICATIONS}
    if found.state not in editable:
        raise Conflict(
            f"Une habilitation à l'état « {LABELS[found.state]} » ne se modifie plus "
            "(possible à l'état brouillon ou modifications demandées)."
        )
    clean = check_request(request)
    conn.execute(
        update(habilitations)
        .where(habilitations.c.id == habilitation_id)
        .values(modifiee_le=datetime.now(UTC), **_columns(clean))
    )
    record(conn, principal, Action.HABILITATION_DEMANDER, found.organisation_id,
           habilitation_id, {"evenement": "modifier"})  # fmt: skip
    return replace(found, request=clean)


def side_of(principal: Principal, found: Habilitation) -> tuple[str, Action, str]:
    """Which side ``principal`` writes from: (side, action, organisation authorised on)."""
    if allowed(principal, Action.HABILITATION_DEMANDER, found.organisation_id):
        return "partenaire", Action.HABILITATION_DEMANDER, found.organisation_id
    return "instruction", Action.HABILITATION_INSTRUIRE, MINISTRY


def add_message(
    conn: Connection,
    principal: Principal,
    habilitation_id: str,
    text: str,
    event: Event | None = None,
) -> None:
    """A message in the thread (from the partner, or from an instructor)."""
    found = get(conn, principal, habilitation_id)
    if event is None or event in PARTNER_EVENTS:
        side, action, org = side_of(principal, found)
    else:  # a decision's message is the instruction's
        side, action, org = "instruction", Action.HABILITATION_INSTRUIRE, MINISTRY
    authorize(principal, action, org)
    body = _text(text, "le message", 4000)
    conn.execute(
        habilitation_messages.insert().values(
            habilitation_id=habilitation_id,
            auteur=principal.account_id,
            cote=side,
            evenement=event.value if event else None,
            texte=body,
            cree_le=datetime.now(UTC),
        )
    )
    if event is None:
        record(conn, principal, action, found.organisation_id, habilitation_id,
               {"evenement": "message", "cote": side})  # fmt: skip


def thread(conn: Connection, principal: Principal, habilitation_id: str) -> list[Message]:
    get(conn, principal, habilitation_id)
    rows = conn.execute(
        select(habilitation_messages)
        .where(habilitation_messages.c.habilitation_id == habilitation_id)
        .order_by(habilitation_messages.c.seq)
    )
    return [Message(r.auteur, r.cote, r.evenement, r.texte, as_utc(r.cree_le)) for r in rows]


def move(
    conn: Connection,
    principal: Principal,
    habilitation_id: str,
    event: Event,
    *,
    now: datetime | None = None,
    message: str = "",
    values: dict[str, Any] | None = None,
) -> Habilitation:
    """Apply ``event`` (authorised, legal from the current state, journaled), with the
    extra column ``values`` of a decision; the habilitation after it."""
    now = now or datetime.now(UTC)
    found = load(conn, habilitation_id)
    transition = TRANSITIONS[event]
    org = found.organisation_id if event in PARTNER_EVENTS else MINISTRY
    if event in PARTNER_EVENTS:
        get(conn, principal, habilitation_id)  # an outsider learns nothing of it
    authorize(principal, transition.action, org)
    to = target(found.state, event)
    stamps: dict[str, Any] = {"soumise_le": now} if event is Event.SOUMETTRE else {}
    if event not in PARTNER_EVENTS:
        stamps["decidee_le"] = now
    done = conn.execute(
        update(habilitations)
        .where(habilitations.c.id == habilitation_id, habilitations.c.etat == found.state.value)
        .values(etat=to.value, modifiee_le=now, **stamps, **(values or {}))
    )
    if done.rowcount != 1:  # another instructor moved it meanwhile
        raise Conflict("L'habilitation vient de changer d'état : rechargez la page.")
    if message.strip():
        add_message(conn, principal, habilitation_id, message, event)
    record(conn, principal, transition.action, found.organisation_id, habilitation_id,
           {"evenement": event.value, "de": found.state.value, "vers": to.value})  # fmt: skip
    return load(conn, habilitation_id)


def summary_of(conn: Connection, found: Habilitation) -> HabilitationSummary:
    org = conn.execute(
        select(organisations.c.nom, organisations.c.siret).where(
            organisations.c.id == found.organisation_id
        )
    ).one()
    return HabilitationSummary(
        id=found.id,
        organisation=org.nom,
        siret=org.siret,
        purpose=found.request.finalite,
        legal_basis=found.request.base_legale,
        legal_reference=found.request.reference,
        scopes=found.granted,
        state=found.state,
        submitted_at=found.submitted_at,
        decided_at=found.decided_at,
        expires_at=found.expires_at,
    )


def describe(engine: Engine, habilitation_id: str) -> HabilitationSummary:
    """The public facts of one habilitation (organisation, purpose, legal basis, granted
    scopes, state, dates), for the families' view of each check; never a contact."""
    with engine.connect() as conn:
        return summary_of(conn, load(conn, habilitation_id))
