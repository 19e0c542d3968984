"""``ardoise soumettre DATASET FICHIER`` and ``ardoise soumissions …``: the operator's
path to submit and review a version (acting as :data:`~.permissions.OPERATOR`, journaled
``cli``; the four-eyes rule binds people and keys, not the shell).

    ardoise soumettre test-ips-ecoles ecoles.csv [--note "Rentrée 2024"]
    ardoise soumissions lister ORG | voir ID
    ardoise soumissions approuver ID [--commentaire …] | refuser ID --commentaire …
    ardoise travailleur [--jusqu-au-vide]

``soumettre`` queues the validation and, unless ``--sans-attendre``, runs the queue's jobs
in its own process until this one is done (``controlplane.worker``: the same job a worker
of ``ardoise serve`` or ``ardoise travailleur`` runs).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine

from ardoise.controlplane import queue, submissions
from ardoise.controlplane.database import open_control_plane
from ardoise.controlplane.mail import Mailer
from ardoise.controlplane.permissions import OPERATOR
from ardoise.controlplane.worker import Worker
from ardoise.errors import ArdoiseError
from ardoise.settings import Settings, load_settings

submissions_app = typer.Typer(
    help="Versions soumises : rapport, relecture, publication.", no_args_is_help=True
)
console = Console()
err = Console(stderr=True)
T = TypeVar("T")
_STATES = {
    "en_attente": "[cyan]en attente de validation[/]",
    "echouee": "[red]validation échouée[/]",
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


def _show(s: submissions.Submission, task: queue.Task | None = None) -> None:
    console.print(
        f"Soumission {s.id} — jeu « {s.dataset_id} » ({s.organisation_id}) : {_STATES[s.state]}"
    )
    console.print(f"Fichier {escape(s.filename)}, {s.bytes} octets, sha256 {s.sha256[:16]}…")
    if task is not None and task.running:
        where = f"{task.percent} %, {task.stage.label}" if task.stage else "pas commencée"
        console.print(f"Validation {task.state.value.replace('_', ' ')} ({where}).")
        return
    if s.report.get("erreur"):
        console.print(f"[red]✗[/] {escape(str(s.report['erreur']))}")
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
    attendre: Annotated[
        bool,
        typer.Option(
            "--attendre/--sans-attendre",
            help="Valider tout de suite ici, ou laisser la file à un travailleur.",
        ),
    ] = True,
) -> None:
    """Soumettre une nouvelle version d'un jeu : vérifiée, puis à relire."""
    if not fichier.is_file():
        err.print(f"[bold red]Erreur :[/] le fichier {escape(str(fichier))} n'existe pas.")
        raise typer.Exit(2)

    def run(engine: Engine, settings: Settings) -> submissions.Submission:
        with open(fichier, "rb") as stream:
            found = submissions.submit(
                engine, settings, OPERATOR, dataset, stream, fichier.name, note
            )
        if attendre:
            wait_for(engine, settings, found.id)
        return submissions.load(engine, found.id)

    found = _run(run)
    _show(found)
    if found.state in (submissions.SubmissionState.BLOQUEE, submissions.SubmissionState.ECHOUEE):
        raise typer.Exit(1)


def wait_for(engine: Engine, settings: Settings, submission_id: str) -> None:
    """Run the queue's jobs here until ``submission_id``'s is done (another worker may
    hold it: then wait for that one)."""
    worker = Worker(engine, settings, mailer=Mailer(settings))
    while (task := queue.task_of(engine, submission_id)) is not None and task.running:
        if not worker.run_once():
            time.sleep(settings.queue_poll_ms / 1000)


def travailleur(
    jusqu_au_vide: Annotated[
        bool, typer.Option("--jusqu-au-vide", help="S'arrêter quand la file est vide.")
    ] = False,
) -> None:
    """Valider les soumissions de la file (déploiement PostgreSQL : un ou plusieurs
    travailleurs à côté d'ardoise serve). SIGTERM : fin après la tâche en cours."""

    def run(engine: Engine, settings: Settings) -> None:
        worker = Worker(engine, settings, mailer=Mailer(settings))
        if jusqu_au_vide:
            console.print(f"{worker.run_until_idle()} tâche(s) exécutée(s).")
            return
        signal.signal(signal.SIGTERM, lambda _sig, _frame: worker.stop(timeout=0))
        console.print(f"Travailleur {worker.name} : en attente de tâches (Ctrl-C pour arrêter).")
        try:
            worker.loop()
        except KeyboardInterrupt:
            console.print("Arrêt du travailleur.")

    _run(run)


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
    """Afficher une soumission, l'avancement de sa validation et son rapport de qualité."""

    def run(engine: Engine, _s: Settings) -> tuple[submissions.Submission, queue.Task | None]:
        found = submissions.get_submission(engine, OPERATOR, submission_id)
        return found, queue.task_of(engine, found.id)

    _show(*_run(run))


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
