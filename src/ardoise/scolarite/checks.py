"""The checks of one pupil's enrolment, read from the audit journal (issue #16): what the
families' view shows a parent, with nothing stored about the pupil but what the journal
already keeps.

A call appears here when it identified that pupil: its entry's one hash,
``empreinte_parametres``, is then the salted hash of the pupil's identifier
(:func:`ardoise.scolarite.audit.pupil_hash`), instead of its parameters'. Entries of
migrations 0006 to 0008 kept it in ``empreinte_eleve``: they are read too.
A search that matched nobody, or several pupils, is about nobody in particular: it is
never attributed to a child (it could be another family's).

Who checked and why comes through :data:`ContextOf`, a lookup from a token id to a
:class:`CheckContext`. :func:`token_contexts` reads today's tokens (``intitule``: the
administration, then its purpose after `` — ``); the habilitations of issue #16 give the
purpose and the legal basis (``ardoise.transparence.contexts``). An unknown legal basis
stays None: the page says « non renseignée », never a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, or_, select

from ardoise.scolarite import scopes
from ardoise.scolarite.audit import pupil_hash
from ardoise.scolarite.schema import audit, jetons

SCOPE_LABELS: dict[str, str] = {
    scopes.IDENTITE: "identité",
    scopes.SCOLARITE: "statut scolaire et année",
    scopes.ETABLISSEMENT: "établissement",
    scopes.MEF: "niveau ou formation",
    scopes.BOURSIER: "boursier ou non",
    scopes.ECHELON: "échelon de bourse",
    scopes.REGIME: "régime (externat, demi-pension, internat)",
}

ANSWERS: dict[str, str] = {
    "trouve": "Inscription confirmée",
    "sorti": "N'est plus inscrit dans l'établissement",
    "certificat": "Certificat de scolarité délivré",
}


@dataclass(frozen=True)
class CheckContext:
    """Who checked, and under what: the administration, its purpose, its legal basis."""

    administration: str
    purpose: str | None = None
    legal_basis: str | None = None
    siret: str | None = None


ContextOf = Callable[[str], CheckContext | None]


@dataclass(frozen=True)
class Check:
    """One check of a pupil's enrolment, as a parent sees it."""

    at: datetime
    context: CheckContext
    answer: str  # French (ANSWERS)
    found: bool  # the enrolment was confirmed
    scopes: tuple[str, ...]  # French labels of what the answer could contain


def split_title(intitule: str) -> tuple[str, str | None]:
    """A token's ``intitule`` as (administration, purpose).

    >>> split_title("CAF du Rhône — rattachement des enfants")
    ('CAF du Rhône', 'rattachement des enfants')
    >>> split_title("Mairie de Lyon")
    ('Mairie de Lyon', None)
    """
    head, sep, tail = intitule.partition(" — ")
    return (head.strip(), tail.strip() or None) if sep else (intitule.strip(), None)


def token_contexts(engine: Engine) -> ContextOf:
    """The context of each token from its own row (no legal basis: tokens have none)."""

    def of(token_id: str) -> CheckContext | None:
        with engine.connect() as conn:
            row = conn.execute(
                select(jetons.c.intitule, jetons.c.siret).where(jetons.c.id == token_id)
            ).first()
        if row is None:
            return None
        administration, purpose = split_title(str(row.intitule))
        return CheckContext(administration, purpose, None, str(row.siret))

    return of


def token_scopes(engine: Engine, token_ids: set[str]) -> dict[str, frozenset[str]]:
    if not token_ids:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(jetons.c.id, jetons.c.scopes).where(jetons.c.id.in_(sorted(token_ids)))
        ).all()
    return {str(i): frozenset(str(s).split()) for i, s in rows}


UNKNOWN = CheckContext("Administration inconnue (jeton supprimé)")


def checks_of(engine: Engine, salt: str, identifiant: str, context_of: ContextOf) -> list[Check]:
    """The checks that identified pupil ``identifiant``, newest first."""
    digest = pupil_hash(salt, identifiant)
    with engine.connect() as conn:
        rows = conn.execute(
            select(audit.c.horodatage, audit.c.jeton_id, audit.c.resultat)
            .where(
                or_(audit.c.empreinte_parametres == digest, audit.c.empreinte_eleve == digest),
                audit.c.genre == "appel",
                audit.c.resultat.in_(list(ANSWERS)),
            )
            .order_by(audit.c.seq.desc())
        ).all()
    granted = token_scopes(engine, {str(r.jeton_id) for r in rows if r.jeton_id})
    contexts: dict[str, CheckContext] = {}
    found: list[Check] = []
    for stamp, token_id, outcome in rows:
        key = str(token_id or "")
        if key not in contexts:
            contexts[key] = (context_of(key) if key else None) or UNKNOWN
        labels = tuple(SCOPE_LABELS[s] for s in scopes.ALL if s in granted.get(key, ()))
        found.append(
            Check(
                at=parse_stamp(str(stamp)),
                context=contexts[key],
                answer=ANSWERS[str(outcome)],
                found=outcome != "sorti",
                scopes=labels,
            )
        )
    return found


def parse_stamp(stamp: str) -> datetime:
    """An audit ``horodatage`` as an aware datetime.

    >>> parse_stamp("2026-12-07T18:01:02.000003Z").isoformat()
    '2026-12-07T18:01:02.000003+00:00'
    """
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
