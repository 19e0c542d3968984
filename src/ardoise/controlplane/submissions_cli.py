"""``ardoise soumettre DATASET FICHIER`` and ``ardoise soumissions …``: the operator's
path to submit and review a version (acting as :data:`~.permissions.OPERATOR`, journaled
``cli``; the four-eyes rule binds people and keys, not the shell).

    ardoise soumettre test-ips-ecoles ecoles.csv [--note "Rentrée 2024"]
    ardoise soumissions lister ORG | voir ID
    ardoise soumissions approuver ID [--commentaire …] | refuser ID --commentaire …
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine

from ardoise.controlplane import submissions
from ardoise.controlplane.database import open_control_plane
from ardoise.controlplane.mail import Mailer
from ardoise.controlplane.permissions import OPERATOR
from ardoise.errors import ArdoiseError
from ardoise.settings import Settings, load_settings

submissions_app = typer.Typer(
    help="Versions soumises : rapport, relecture, publication.", no_args_is_help=True
)
console = Console()
err = Console(stderr=True)
T = TypeVar("T")
_STATES = {
    "a_relire": "[yellow]à relire[/]",
    "bloquee": "[red]bloquée[/]",
    "refusee": "refusée",
    "publiee": "[green]publiée[/]",
}


@contextmanager
def _engine() -> Iterator[tuple[Engine, Settings]]:
    settings = load_settings()
    engine = open_control_plane(settings)
    try:
        yield engine, settings
    except ArdoiseError as exc:
        err.print(f"[bold red]Erreur :[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()


def _run(action: Callable[[Engine, Settings], T]) -> T:
    with _engine() as (engine, settings):
        return action(engine, settings)


def _show(s: submissions.Submission) -> None:
    console.print(
        f"Soumission {s.id} — jeu « {s.dataset_id} » ({s.organisation_id}) : {_STATES[s.state]}"
    )
    console.print(f"Fichier {escape(s.filename)}, {s.bytes} octets, sha256 {s.sha256[:16]}…")
    issues = s.report.get("issues", [])
    blocking = [i for i in issues if i.get("severity") == "bloquant"]
    console.print(
        f"Rapport : {s.report.get('rows', 0)} lignes, {len(blocking)} problème(s) bloquant(s), "
        f"{len(issues) - len(blocking)} autre(s)."
    )
    for issue in issues[:20]:
        mark = "[red]✗[/]" if issue.get("severity") == "bloquant" else "[yellow]![/]"
        console.print(f"{mark} {escape(str(issue.get('message', '')))}")
    if s.release_id:
        console.print(f"Publiée dans la release {s.release_id}.")
    if s.comment:
        console.print(f"Commentaire : {escape(s.comment)}")


def soumettre(
    dataset: Annotated[str, typer.Argument(help="Identifiant du jeu de données.")],
    fichier: Annotated[Path, typer.Argument(help="Fichier de la nouvelle version.")],
    note: Annotated[
        str | None, typer.Option(help="Note du producteur (journal des changements).")
    ] = None,
) -> None:
    """Soumettre une nouvelle version d'un jeu : vérifiée, puis à relire."""
    if not fichier.is_file():
        err.print(f"[bold red]Erreur :[/] le fichier {escape(str(fichier))} n'existe pas.")
        raise typer.Exit(2)

    def run(engine: Engine, settings: Settings) -> submissions.Submission:
        with open(fichier, "rb") as stream:
            return submissions.submit(
                engine, settings, OPERATOR, dataset, stream, fichier.name, note
            )

    found = _run(run)
    _show(found)
    if found.state is submissions.SubmissionState.BLOQUEE:
        raise typer.Exit(1)


IdArg = Annotated[str, typer.Argument(help="Identifiant de la soumission.")]


@submissions_app.command("lister")
def list_all(organisation: Annotated[str, typer.Argument(help="Organisation.")]) -> None:
    """Lister les soumissions d'une organisation (les plus récentes d'abord)."""
    rows = _run(lambda engine, _s: submissions.list_submissions(engine, OPERATOR, organisation))
    table = Table(title=f"Soumissions de « {organisation} »")
    for col in ("Identifiant", "Jeu", "Fichier", "État", "Release"):
        table.add_column(col)
    for s in rows:
        table.add_row(s.id, s.dataset_id, escape(s.filename), _STATES[s.state], s.release_id or "")
    console.print(table)


@submissions_app.command("voir")
def show(submission_id: IdArg) -> None:
    """Afficher une soumission et son rapport de qualité."""
    _show(_run(lambda engine, _s: submissions.get_submission(engine, OPERATOR, submission_id)))


@submissions_app.command("approuver")
def approve(
    submission_id: IdArg,
    commentaire: Annotated[str | None, typer.Option(help="Commentaire de relecture.")] = None,
) -> None:
    """Approuver et publier (nouvelle release où seul ce jeu change)."""
    found = _run(
        lambda engine, s: submissions.approve(engine, s, OPERATOR, submission_id, commentaire)
    )
    console.print(f"[green]Publiée : la release {found.release_id} est servie.[/]")


@submissions_app.command("refuser")
def reject(
    submission_id: IdArg,
    commentaire: Annotated[str, typer.Option(help="Motif du refus.")],
) -> None:
    """Refuser une version (motif obligatoire)."""
    _run(
        lambda engine, s: submissions.reject(
            engine, OPERATOR, submission_id, commentaire, Mailer(s)
        )
    )
    console.print("Soumission refusée.")
