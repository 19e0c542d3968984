"""The ``ardoise`` command: ingest, check, releases, rollback, serve, mcp, and the
``scolarite`` group (registry, tokens, audit, certificates, statistics)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ardoise.errors import ArdoiseError, ConfigError, MissingExtra
from ardoise.extras import require
from ardoise.ingest.report import Report
from ardoise.release.build import BuildResult, build_release
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings, load_settings

app = typer.Typer(
    help="Ardoise : données ouvertes de l'éducation, vérifiées et versionnées.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)

MirrorOpt = Annotated[
    Path | None,
    typer.Option("--mirror", help="Dossier miroir des sources (défaut : ARDOISE_MIRROR)."),
]
OnlyOpt = Annotated[
    list[str] | None,
    typer.Option("--only", help="Ne traiter que ce jeu de données (répétable)."),
]


def _settings(mirror: Path | None = None) -> Settings:
    return load_settings(mirror=mirror)


@app.callback()
def _check_settings() -> None:
    """A bad ``ARDOISE_*`` value stops every command with its French message."""
    try:
        load_settings()
    except ConfigError as exc:
        raise _fail(str(exc)) from None


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]Erreur :[/] {message}")
    return typer.Exit(code)


def _run_build(settings: Settings, only: list[str] | None, publish: bool) -> BuildResult:
    if not settings.mirror.is_dir():
        raise _fail(
            f"Le dossier miroir {settings.mirror} n'existe pas (réglez ARDOISE_MIRROR ou --mirror)."
        )
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=not sys.stderr.isatty(),
    ) as bar:
        task = bar.add_task("Ingestion", total=None)

        def tick(label: str, done: int, total: int) -> None:
            bar.update(task, description=label, completed=done, total=total)

        try:
            services = _service_sources(settings)
            return build_release(settings, only, publish=publish, progress=tick, services=services)
        except ArdoiseError as exc:
            raise _fail(str(exc)) from None
        except OSError as exc:  # read-only or full var/: a clear message, not a traceback
            raise _unwritable(settings, exc) from None


def _service_sources(settings: Settings) -> list[Any]:
    """The service datasets another layer writes: the habilitation register (issue #16),
    when the control plane is installed and its database exists."""
    try:
        require("producteurs")
    except MissingExtra:
        return []
    from ardoise.controlplane.database import database_url, is_migrated, make_engine
    from ardoise.controlplane.register import service_source

    url = database_url(settings)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        return []
    try:
        engine = make_engine(url)
        return [service_source(engine)] if is_migrated(engine) else []
    except Exception:  # an unreachable control plane never stops an ingest
        err.print("Registre des habilitations : base du plan de contrôle injoignable.")
        return []


UNWRITABLE = 3  # exit code: var/ cannot be written (1 means "a dataset was blocked")


def _unwritable(settings: Settings, exc: OSError) -> typer.Exit:
    return _fail(
        f"Impossible d'écrire dans le dossier des releases {settings.var_dir} "
        f"({exc.strerror or exc}) : vérifiez ses droits et l'espace libre (ARDOISE_VAR_DIR). "
        "Rien de ce qui était publié n'a changé.",
        code=UNWRITABLE,
    )


def _print_outcomes(result: BuildResult) -> None:
    table = Table(title="Rapport de qualité", show_lines=False)
    for col in ("Jeu de données", "État", "Lignes", "Bloquants", "Avertissements"):
        table.add_column(
            col, justify="right" if col in ("Lignes", "Bloquants", "Avertissements") else "left"
        )
    labels = {
        "publie": "[green]publié[/]",
        "inchange": "inchangé",
        "conserve": "[yellow]version précédente conservée[/]",
        "bloque": "[red]bloqué[/]",
    }
    for o in result.outcomes:
        table.add_row(
            o.id,
            labels[o.status],
            f"{o.rows:,}".replace(",", " "),
            str(len(o.report.blocking)),
            str(len(o.report.warnings)),
        )
    console.print(table)
    for o in result.outcomes:
        _print_problems(o.report)


def _print_problems(report: Report) -> None:
    for issue in report.blocking:
        console.print(f"[red]✗ {report.dataset_id}[/] : {issue.message}")
    for issue in report.warnings:
        console.print(f"[yellow]! {report.dataset_id}[/] : {issue.message}")


@app.command()
def ingest(only: OnlyOpt = None, mirror: MirrorOpt = None) -> None:
    """Construire une release à partir des sources et la publier."""
    result = _run_build(_settings(mirror), only, publish=True)
    _print_outcomes(result)
    console.print(("[green]" if result.ok else "[yellow]") + result.message + "[/]")
    if not result.ok:
        err.print("[red]Des jeux de données n'ont pas pu être publiés (voir le rapport).[/]")
        raise typer.Exit(1)


@app.command()
def check(only: OnlyOpt = None, mirror: MirrorOpt = None) -> None:
    """Valider les sources et afficher le rapport de qualité, sans rien publier."""
    result = _run_build(_settings(mirror), only, publish=False)
    _print_outcomes(result)
    if not result.ok:
        raise typer.Exit(1)


releases_app = typer.Typer(
    help="Lister les releases publiées ; les envoyer au stockage objet ou les en tirer.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(releases_app, name="releases")


@releases_app.callback()
def releases(ctx: typer.Context) -> None:
    """Lister les releases publiées (la release servie est marquée)."""
    if ctx.invoked_subcommand is not None:
        return
    store = ReleaseStore(_settings().var_dir)
    items = store.list()
    if not items:
        console.print("Aucune release publiée. Lancez `ardoise ingest`.")
        return
    table = Table(title="Releases")
    for col in ("", "Identifiant", "Date", "Jeux", "Lignes"):
        table.add_column(col)
    for r in items:
        table.add_row(
            "●" if r.current else "",
            r.id,
            r.created_at,
            str(r.datasets),
            f"{r.rows:,}".replace(",", " "),
        )
    console.print(table)


@releases_app.command("pousser")
def releases_push(release_id: Annotated[str, typer.Argument(help="Release à envoyer.")]) -> None:
    """Envoyer une release publiée au bucket de stockage objet (ARDOISE_RELEASE_BUCKET)."""
    from ardoise.release.distribution import push

    try:
        sent = push(_settings(), release_id)
    except ArdoiseError as exc:
        raise _fail(escape(str(exc))) from None
    console.print(f"[green]Release {release_id} envoyée au stockage objet ({sent} fichiers).[/]")


@releases_app.command("tirer")
def releases_pull(
    release_id: Annotated[str, typer.Argument(help="Release à télécharger.")],
    servir: Annotated[bool, typer.Option(help="La rendre courante ensuite.")] = True,
) -> None:
    """Télécharger une release du stockage objet, vérifier chaque empreinte, la servir."""
    from ardoise.release.distribution import pull

    settings = _settings()
    store = ReleaseStore(settings.var_dir)
    try:
        pull(settings, release_id)
        if servir:
            with store.lock():
                store.switch(release_id)
    except ArdoiseError as exc:
        raise _fail(escape(str(exc))) from None
    except OSError as exc:
        raise _unwritable(settings, exc) from None
    done = "vérifiée et servie" if servir else "vérifiée"
    console.print(f"[green]Release {release_id} téléchargée, {done}.[/]")


@app.command()
def rollback(release_id: Annotated[str, typer.Argument(help="Release à rendre courante.")]) -> None:
    """Rendre courante une release plus ancienne (bascule atomique)."""
    settings = _settings()
    store = ReleaseStore(settings.var_dir)
    try:
        with store.lock():
            store.switch(release_id)
    except ArdoiseError as exc:
        known = ", ".join(r.id for r in store.list()) or "aucune"
        raise _fail(f"{exc} Releases disponibles : {known}.") from None
    except OSError as exc:
        raise _unwritable(settings, exc) from None
    from ardoise.release.distribution import distributed_note

    note = distributed_note(settings, release_id, "rollback")
    console.print(f"[green]La release {release_id} est maintenant servie.[/]{escape(note)}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Adresse d'écoute.")] = None,
    port: Annotated[int | None, typer.Option(help="Port d'écoute.")] = None,
    workers: Annotated[int | None, typer.Option(help="Processus (un par cœur).")] = None,
) -> None:
    """Servir la release courante en HTTP."""
    import uvicorn

    from ardoise.web import serving
    from ardoise.web.app import create_app

    settings = load_settings(host=host, port=port, workers=workers)
    for line in serving.resolved_paths(settings):
        err.print(escape(line))
    options: dict[str, Any] = serving.options(settings)
    if settings.workers > 1:  # each worker process builds its app from the same environment
        _metrics_dir(settings.var_dir)
        uvicorn.run(
            "ardoise.web.app:app_from_environment",
            factory=True,
            workers=settings.workers,
            **options,
        )
    else:
        uvicorn.run(create_app(settings), **options)


def _metrics_dir(var_dir: Path) -> None:
    """A fresh folder where every worker writes its Prometheus metrics (``/metrics`` sums
    them); prometheus-client reads its place from the environment, set here for the
    workers before they start."""
    import os
    import shutil

    folder = var_dir / "metrics" / str(os.getpid())
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


@app.command("mcp")
def mcp_server() -> None:
    """Servir les outils MCP (assistants d'IA) sur l'entrée et la sortie standard."""
    from ardoise.mcp import run_stdio
    from ardoise.web.reader import ControlPlaneAccess

    settings = load_settings()
    run_stdio(settings, ControlPlaneAccess(settings).restrictions)  # never restricted data


@app.command("has-release", hidden=True)
def has_release() -> None:
    """Code 0 si une release est servie (utilisé par `make run`)."""
    raise typer.Exit(0 if ReleaseStore(_settings().var_dir).current_id() else 1)


def _add_scolarite_commands() -> None:
    """``ardoise scolarite …``; without the ``scolarite`` extra, a command that says so."""
    try:
        require("scolarite")
    except MissingExtra as exc:
        error = exc

        @app.command(
            "scolarite",
            help=f"Registre scolarité : non installé ({exc.module} absent).",
            context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        )
        def missing() -> None:
            raise _fail(escape(str(error)))  # "[scolarite]" is not markup

        return
    # Commands of the certificates and statistics modules register on the same group.
    from ardoise.scolarite import certificates_cli, statistics_cli  # noqa: F401
    from ardoise.scolarite.commands import app as scolarite_app

    app.add_typer(scolarite_app, name="scolarite")


_add_scolarite_commands()


def _add_controlplane_commands() -> None:
    """``ardoise organisations …`` and ``ardoise comptes …``; without the ``producteurs``
    extra, commands that say so."""
    try:
        require("producteurs")
    except MissingExtra as exc:
        error = exc

        def missing() -> None:
            raise _fail(escape(str(error)))  # "[producteurs]" is not markup

        for name in (
            "organisations",
            "comptes",
            "soumettre",
            "soumissions",
            "travailleur",
            "moissonner",
        ):
            app.command(
                name,
                help=f"Espace des producteurs : non installé ({exc.module} absent).",
                context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
            )(missing)
        return
    from ardoise.controlplane.commands import accounts_app, orgs_app
    from ardoise.controlplane.restrictions_cli import access_app
    from ardoise.controlplane.submissions_cli import soumettre, submissions_app, travailleur

    app.add_typer(orgs_app, name="organisations")
    app.add_typer(accounts_app, name="comptes")
    app.command("soumettre")(soumettre)
    app.add_typer(submissions_app, name="soumissions")
    app.command("travailleur")(travailleur)  # the validation queue's worker (issue #15)
    app.add_typer(access_app, name="acces")  # restricted datasets (issue #16)
    from ardoise.controlplane.harvests_cli import declarer, harvests_app, moissonner

    app.add_typer(harvests_app, name="moissons")  # scheduled harvests (issue #15)
    app.command("moissonner")(moissonner)
    app.command("declarer")(declarer)
    _wire_habilitations()


def _wire_habilitations() -> None:
    """``ardoise habilitations …`` and the token command's ``--habilitation`` (issue #16)."""
    from ardoise.controlplane.habilitation_tokens import operator_issuer
    from ardoise.controlplane.habilitations_cli import habilitations_app

    app.add_typer(habilitations_app, name="habilitations")
    try:
        from ardoise.scolarite import commands as scolarite_commands
    except ImportError:  # without the scolarite extra: no token command to wire
        return
    scolarite_commands.HABILITATION_ISSUER["issue"] = lambda *a: operator_issuer(_settings())(*a)


_add_controlplane_commands()

if __name__ == "__main__":
    app()
