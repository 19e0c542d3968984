"""The emails of a habilitation's life (issue #16).

* The **data protection officer** named in the request is written to when it is first
  submitted, and on each decision: validée, refusée, suspendue, suspension levée, révoquée,
  expirée. A resubmission after requested changes is not a new submission for the DPO (the
  decision that follows will be).
* The **technical contact** is written to when the instructors ask for changes (the
  partner must act), and before expiry (:mod:`ardoise.controlplane.habilitation_reminders`,
  with the DPO).

Bodies carry the organisation, purpose, legal basis, scopes, dates and a link; never a
token secret. Sent after the action's transaction committed (``notices.send_later``).
"""

from __future__ import annotations

from ardoise.controlplane.habilitations import LABELS, Event, Habilitation
from ardoise.controlplane.mail import Mail
from ardoise.urls import Urls

# the events of which the DPO is told (with the first submission)
DPO_EVENTS = frozenset(
    {Event.VALIDER, Event.REFUSER, Event.SUSPENDRE, Event.LEVER, Event.REVOQUER, Event.EXPIRER}
)


def _facts(h: Habilitation, organisation: str) -> list[str]:
    lines = [
        f"Organisation : {organisation}",
        f"Finalité : {h.request.finalite}",
        f"Base légale : {h.request.base_legale} ({h.request.reference})",
        f"Scopes demandés : {', '.join(h.request.scopes)}",
    ]
    if h.granted:
        lines.append(f"Scopes accordés : {', '.join(h.granted)}")
    if h.expires_at is not None:
        lines.append(f"Échéance : {h.expires_at:%d/%m/%Y}")
    lines.append(f"État : {LABELS[h.state]}")
    return lines


def mails_for(
    h: Habilitation,
    event: Event,
    organisation: str,
    urls: Urls,
    first_submission: bool,
    message: str = "",
) -> list[Mail]:
    """The mails ``event`` sends (to the DPO, or to the technical contact), with the
    message that came with it (the instruction's reasons)."""
    link = urls.habilitation_page(h.id)
    facts = "\n".join(_facts(h, organisation))
    if message.strip():
        facts += f"\n\nMessage : {message.strip()}"
    if event is Event.SOUMETTRE:
        if not first_submission:
            return []
        subject = f"[Ardoise] Demande d'habilitation soumise par {organisation}"
        intro = (
            "Vous êtes désigné(e) délégué(e) à la protection des données de la demande "
            "d'habilitation ci-dessous, soumise à l'instruction du ministère."
        )
        return [Mail((h.request.dpd_email,), subject, _body(h.request.dpd_nom, intro, facts, link))]
    if event is Event.DEMANDER_MODIFICATIONS:
        subject = "[Ardoise] Modifications demandées sur votre demande d'habilitation"
        intro = "L'instruction demande des modifications : lisez les messages, puis resoumettez."
        who = h.request.technique_nom
        return [Mail((h.request.technique_email,), subject, _body(who, intro, facts, link))]
    if event not in DPO_EVENTS:
        return []
    verdict = LABELS[h.state] if event is not Event.LEVER else "rétablie (suspension levée)"
    subject = f"[Ardoise] Habilitation {verdict} : {organisation}"
    intro = f"L'habilitation ci-dessous, dont vous êtes le ou la DPD, est {verdict}."
    return [Mail((h.request.dpd_email,), subject, _body(h.request.dpd_nom, intro, facts, link))]


def reminder(h: Habilitation, organisation: str, days: int, urls: Urls) -> Mail:
    """J-``days``: to the technical contact and the DPO."""
    facts = "\n".join(_facts(h, organisation))
    intro = (
        f"L'habilitation ci-dessous arrive à échéance dans {days} jours. Sans renouvellement, "
        "ses jetons cesseront de fonctionner à cette date : déposez une nouvelle demande."
    )
    names = f"{h.request.technique_nom}, {h.request.dpd_nom}"
    return Mail(
        (h.request.technique_email, h.request.dpd_email),
        f"[Ardoise] Habilitation à échéance dans {days} jours : {organisation}",
        _body(names, intro, facts, urls.habilitation_page(h.id)),
    )


def _body(name: str, intro: str, facts: str, link: str) -> str:
    return f"Bonjour {name},\n\n{intro}\n\n{facts}\n\nL'habilitation : {link}\n"
