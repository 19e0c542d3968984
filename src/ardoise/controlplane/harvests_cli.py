"""``ardoise moissonner --dues`` (a systemd timer runs it: ``deploy/ardoise-moisson.timer``)
and ``ardoise moissons …``: scheduled harvests, acting as the operator (journaled ``cli``).
Also ``ardoise declarer ORG DESCRIPTEUR.yaml``: declare a new dataset from the shell.

    ardoise moissons programmer JEU URL [--frequence hebdomadaire] [--identifiant ID_DCAT]
    ardoise moissons lister | arreter JEU
    ardoise moissonner --dues
    ardoise declarer region-84 repas.yaml
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine

from ardoise.controlplane import declarations, harvests
from ardoise.controlplane.harvests import Frequency
from ardoise.controlplane.permissions import OPERATOR
from ardoise.controlplane.submissions import load
from ardoise.controlplane.submissions_cli import _run, console, wait_for
from ardoise.settings import Settings

harvests_app = typer.Typer(help="Moissons programmées d'autres catalogues.", no_args_is_help=True)
JeuArg = Annotated[str, typer.Argument(help="Identifiant du jeu.")]


@harvests_app.command("programmer")
def schedule(
    jeu: JeuArg,
    url: Annotated[str, typer.Argument(help="URL du fichier, ou du catalogue DCAT.")],
    frequence: Annotated[Frequency, typer.Option(help="Périodicité.")] = Frequency.QUOTIDIENNE,
    identifiant: Annotated[
        str, typer.Option(help="Identifiant du jeu dans le catalogue DCAT (URL : un catalogue).")
    ] = "",
) -> None:
    """Programmer (ou remplacer) la moisson d'un jeu ; la première a lieu au prochain passage."""

    def run(engine: Engine, _settings: Settings) -> harvests.Harvest:
        with engine.begin() as conn:
            return harvests.schedule(conn, OPERATOR, jeu, url, frequence, identifiant or None)

    h = _run(run)
    console.print(f"[green]Moisson {h.frequency.value} du jeu « {h.dataset_id} » programmée.[/]")


@harvests_app.command("arreter")
def unschedule(jeu: JeuArg) -> None:
    """Arrêter la moisson d'un jeu."""

    def run(engine: Engine, _settings: Settings) -> None:
        with engine.begin() as conn:
            harvests.unschedule(conn, OPERATOR, jeu)

    _run(run)
    console.print(f"[green]Moisson du jeu « {jeu} » arrêtée.[/]")


@harvests_app.command("lister")
def list_all() -> None:
    """Lister les moissons, leur prochaine date et leur dernier résultat."""

    def run(engine: Engine, _settings: Settings) -> list[harvests.Harvest]:
        with engine.connect() as conn:
            return harvests.list_harvests(conn)

    table = Table(title="Moissons")
    for col in ("Jeu", "Source", "Fréquence", "Prochaine (UTC)", "Dernier résultat"):
        table.add_column(col)
    for h in _run(run):
        source = h.source + (f" ({h.identifier})" if h.identifier else "")
        table.add_row(
            h.dataset_id, escape(source), h.frequency.value,
            h.due.strftime("%d/%m/%Y %H:%M"), escape(h.last_state or "—"),
        )  # fmt: skip
    console.print(table)


def moissonner(
    dues: Annotated[
        bool, typer.Option("--dues", help="Exécuter les moissons arrivées à échéance.")
    ] = False,
    attendre: Annotated[
        bool,
        typer.Option(
            "--attendre/--sans-attendre",
            help="Valider ici les versions soumises, ou laisser la file à un travailleur.",
        ),
    ] = True,
) -> None:
    """Exécuter les moissons dues : une nouvelle version n'est soumise que si la source a changé."""
    if not dues:
        console.print("Rien à faire : précisez --dues (les moissons arrivées à échéance).")
        raise typer.Exit(2)

    def run(engine: Engine, settings: Settings) -> list[tuple[harvests.Run, str | None]]:
        done: list[tuple[harvests.Run, str | None]] = []
        for r in harvests.run_due(engine, settings):
            if r.submission_id and attendre:  # the same wait as ``ardoise soumettre``
                wait_for(engine, settings, r.submission_id)
                done.append((r, load(engine, r.submission_id).state.value))
            else:
                done.append((r, None))
        return done

    runs = _run(run)
    for r, validated in runs:
        after = f" ; validation terminée : {validated}" if validated else ""
        console.print(f"« {r.dataset_id} » : {escape(r.state)}{after}")
    console.print(f"{len(runs)} moisson(s) exécutée(s).")


def declarer(
    organisation: Annotated[str, typer.Argument(help="Organisation qui déclare le jeu.")],
    descripteur: Annotated[Path, typer.Argument(help="Descripteur YAML du nouveau jeu.")],
) -> None:
    """Déclarer un nouveau jeu (descripteur YAML vérifié comme ceux du catalogue)."""
    if not descripteur.is_file():
        console.print(f"[bold red]Erreur :[/] fichier « {descripteur} » introuvable.")
        raise typer.Exit(2)
    content = descripteur.read_bytes()[: declarations.MAX_BYTES + 1]
    ds = _run(
        lambda engine, settings: declarations.declare(
            engine, settings, OPERATOR, organisation, content, descripteur.name
        )
    )
    console.print(f"[green]Jeu « {ds.id} » déclaré pour « {organisation} ».[/]")
