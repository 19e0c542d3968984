"""``ardoise habilitations …``: the operator's commands on habilitations (issue #16).

    ardoise habilitations lister                      # every habilitation, its state
    ardoise habilitations rappels [--maintenant ISO]  # the daily timer: J-30 / J-7, expiry
    ardoise habilitations revoquer ID --motif …       # an emergency revocation

``rappels`` first moves every habilitation past its expiry to « expirée » (tokens revoked,
DPO told), then sends the reminders due (each once). ``--maintenant`` sets the clock (tests,
a catch-up run). The token of a habilitation: ``ardoise scolarite jeton creer
--habilitation ID``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ardoise.controlplane.database import open_control_plane
from ardoise.controlplane.habilitation_reminders import send_reminders
from ardoise.controlplane.habilitation_tokens import Registry
from ardoise.controlplane.habilitations import LABELS, Event, list_for
from ardoise.controlplane.instruction import Instruction
from ardoise.controlplane.mail import Mailer
from ardoise.controlplane.permissions import OPERATOR
from ardoise.errors import ArdoiseError
from ardoise.settings import load_settings

habilitations_app = typer.Typer(
    help="Habilitations à l'API de vérification d'inscription (rappels, révocation).",
    no_args_is_help=True,
)
console = Console()
err = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]Erreur :[/] {escape(message)}")
    return typer.Exit(2)


def _clock(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _fail(f"--maintenant {value!r} : date ISO attendue (2027-01-31T06:00).") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@habilitations_app.command("lister")
def lister() -> None:
    """Lister les habilitations (sans contact ni DPD)."""
    engine = open_control_plane(load_settings())
    with engine.connect() as conn:
        found = list_for(conn, OPERATOR, None)
    if not found:
        console.print("Aucune habilitation.")
        return
    table = Table(title="Habilitations")
    for col in ("Identifiant", "Organisation", "Finalité", "État", "Scopes accordés", "Échéance"):
        table.add_column(col)
    for h in found:
        table.add_row(
            h.id,
            h.organisation_id,
            h.request.finalite[:60],
            LABELS[h.state],
            " ".join(h.granted),
            f"{h.expires_at:%Y-%m-%d}" if h.expires_at else "",
        )
    console.print(table)


@habilitations_app.command("rappels")
def rappels(
    maintenant: Annotated[
        str | None, typer.Option(help="L'heure de référence (ISO) ; maintenant par défaut.")
    ] = None,
) -> None:
    """Faire expirer les habilitations échues, puis envoyer les rappels J-30 et J-7."""
    settings = load_settings()
    now = _clock(maintenant)
    engine = open_control_plane(settings)
    mailer = Mailer(settings)
    flow = Instruction(engine, Registry(settings).get, mailer, sent=[])
    try:
        expired = flow.expire_due(OPERATOR, now)
        sent = send_reminders(engine, mailer, now)
    except ArdoiseError as exc:
        raise _fail(str(exc)) from None
    for thread in flow.sent or []:
        thread.join(60)
    for habilitation_id in expired:
        console.print(f"Habilitation {habilitation_id} expirée (jetons révoqués).")
    for s in sent:
        how = "envoyé" if s.mailed else "noté (aucun serveur SMTP configuré)"
        console.print(f"Rappel J-{s.days} de l'habilitation {s.habilitation_id} : {how}.")
    if not expired and not sent:
        console.print("Aucun rappel ni aucune expiration à traiter.")


@habilitations_app.command("revoquer")
def revoquer(
    identifiant: Annotated[str, typer.Argument(help="Identifiant de l'habilitation.")],
    motif: Annotated[str, typer.Option(help="Le motif (inscrit au fil de l'habilitation).")],
) -> None:
    """Révoquer une habilitation : ses jetons cessent de fonctionner à la requête suivante."""
    settings = load_settings()
    engine = open_control_plane(settings)
    flow = Instruction(engine, Registry(settings).get, Mailer(settings), sent=[])
    try:
        flow.apply(OPERATOR, identifiant, Event.REVOQUER, motif)
    except ArdoiseError as exc:
        raise _fail(str(exc)) from None
    for thread in flow.sent or []:
        thread.join(60)
    console.print(f"[green]Habilitation {identifiant} révoquée.[/]")
