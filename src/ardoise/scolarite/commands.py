"""``ardoise scolarite …``: the registry's commands (French messages, exit code 2 on
bad usage, 1 when a check fails).

    ardoise scolarite migrer
    ardoise scolarite generate --eleves 1000000 [--annee 2025-2026] [--graine 7]
    ardoise scolarite importer extrait.csv
    ardoise scolarite etat
    ardoise scolarite jeton creer --siret 13002526500013 --scopes men_statut_scolarite,…
                                  [--expire 2027-06-30 | --expire 90j] [--intitule …]
    ardoise scolarite jeton creer --habilitation ID [--scopes …] [--expire …]
    ardoise scolarite jeton revoquer ID
    ardoise scolarite jeton lister
    ardoise scolarite audit verifier
    ardoise scolarite audit purger [--jours 365]
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, func, select

from ardoise.errors import ArdoiseError
from ardoise.scolarite import audit, tokens
from ardoise.scolarite.database import database_url, is_migrated, make_engine, migrate
from ardoise.scolarite.extract import import_extract
from ardoise.scolarite.schema import audit as audit_table
from ardoise.scolarite.schema import eleves, jetons, meta
from ardoise.scolarite.synthetic import generate as generate_registry
from ardoise.settings import Settings, load_settings

app = typer.Typer(
    help="Registre des inscriptions et vérification de scolarité pour les administrations.",
    no_args_is_help=True,
)
jeton_app = typer.Typer(help="Jetons d'accès des administrations.", no_args_is_help=True)
audit_app = typer.Typer(help="Journal d'audit des appels.", no_args_is_help=True)
app.add_typer(jeton_app, name="jeton")
app.add_typer(audit_app, name="audit")
console = Console()
err = Console(stderr=True)
SYNTHETIC = "[bold magenta]REGISTRE SYNTHÉTIQUE — aucun élève réel[/]"
# ``jeton creer --habilitation ID``: the control plane's issuer (issue #16), wired by
# ``ardoise.cli`` when the control plane is installed (the registry does not import it):
# (habilitation id, scopes, expiry or None, rate limit) → (token, secret)
HABILITATION_ISSUER: dict[str, Callable[..., tuple[tokens.Token, str]]] = {}


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]Erreur :[/] {message}")
    return typer.Exit(code)


def _settings() -> Settings:
    return load_settings()


def open_registry(settings: Settings, create: bool = False) -> Engine:
    """The registry's engine; created and migrated when ``create``, else it must exist."""
    url = database_url(settings)
    sqlite_file = url.startswith("sqlite:///") and Path(url.removeprefix("sqlite:///"))
    if sqlite_file and not create and not sqlite_file.is_file():
        raise _fail(
            "Aucun registre : lancez `ardoise scolarite migrer` ou "
            "`ardoise scolarite generate --eleves N`."
        )
    try:
        engine = make_engine(url, pool_size=4)
        if create:
            migrate(engine)
        elif not is_migrated(engine):
            raise _fail("Le registre n'est pas initialisé : `ardoise scolarite migrer`.")
    except typer.Exit:
        raise
    except Exception as exc:  # unreachable server, bad URL
        raise _fail(f"Base du registre inaccessible ({type(exc).__name__}).") from None
    return engine


def _is_synthetic(engine: Engine) -> bool:
    with engine.connect() as conn:
        row = conn.execute(select(meta.c.valeur).where(meta.c.cle == "synthetique")).first()
    return row is not None and row[0] == "1"


@app.command()
def migrer() -> None:
    """Créer ou mettre à jour le schéma du registre (migrations alembic)."""
    settings = _settings()
    open_registry(settings, create=True)
    console.print("[green]Registre à jour.[/]")


@app.command("generate")
def generate_cmd(
    eleves_count: Annotated[int, typer.Option("--eleves", min=1, help="Nombre d'élèves.")],
    annee: Annotated[str, typer.Option(help="Année scolaire AAAA-AAAA.")] = "2025-2026",
    graine: Annotated[int, typer.Option(help="Graine (même graine, même registre).")] = 7,
) -> None:
    """Construire un registre SYNTHÉTIQUE (aucun élève réel), réparti sur de vrais
    établissements au prorata de leurs effectifs connus."""
    if not re.fullmatch(r"\d{4}-\d{4}", annee) or int(annee[5:]) != int(annee[:4]) + 1:
        raise _fail(f"Année scolaire invalide : {annee!r} (AAAA-AAAA).")
    settings = _settings()
    engine = open_registry(settings, create=True)
    data = settings.current_link / "data"
    start = time.perf_counter()

    def tick(done: int) -> None:
        err.print(f"  {done:,} élèves…".replace(",", " "))

    try:
        result = generate_registry(
            engine, eleves_count, annee, data if data.is_dir() else None, graine, tick
        )
    except Exception as exc:
        raise _fail(f"Génération impossible : {exc}", 1) from None
    took = time.perf_counter() - start
    source = (
        "effectifs de la release courante"
        if result.source == "release"
        else "liste intégrée d'établissements (aucune release)"
    )
    console.print(SYNTHETIC)
    console.print(
        f"{result.pupils:,} élèves synthétiques dans {result.schools:,} établissements "
        f"({source}) en {took:.1f} s, {result.representatives:,} représentants légaux "
        "synthétiques.".replace(",", " ")
    )


@app.command()
def importer(
    fichier: Annotated[
        Path, typer.Argument(help="Extrait CSV (format : ardoise.scolarite.extract).")
    ],
) -> None:
    """Importer un extrait CSV : tout ou rien ; les lignes fautives sont listées."""
    if not fichier.is_file():
        raise _fail(f"Fichier introuvable : {fichier}")
    engine = open_registry(_settings(), create=True)
    report = import_extract(engine, fichier)
    if not report.ok:
        err.print(f"[red]Import refusé : {len(report.problems)} problème(s), rien n'a changé.[/]")
        for problem in report.problems[:200]:
            err.print(f"  {problem}")
        if len(report.problems) > 200:
            err.print(f"  … et {len(report.problems) - 200} autres.")
        raise typer.Exit(1)
    console.print(
        f"[green]{report.rows} inscription(s) importée(s)[/] "
        f"({report.replaced} remplacée(s) pour les mêmes établissements et années)."
    )


@app.command()
def etat() -> None:
    """Résumé du registre : élèves, jetons, journal."""
    engine = open_registry(_settings())
    with engine.connect() as conn:
        pupils = conn.execute(select(func.count()).select_from(eleves)).scalar_one()
        synth = conn.execute(
            select(func.count()).select_from(eleves).where(eleves.c.synthetique.is_(True))
        ).scalar_one()
        n_tokens = conn.execute(select(func.count()).select_from(jetons)).scalar_one()
        entries = conn.execute(select(func.count()).select_from(audit_table)).scalar_one()
    if _is_synthetic(engine) or synth:
        console.print(SYNTHETIC)
    console.print(
        f"Élèves : {pupils} (dont synthétiques : {synth}) ; jetons : {n_tokens} ; "
        f"entrées du journal : {entries}."
    )


def _expiry(value: str | None, settings: Settings, now: datetime) -> datetime:
    if value is None:
        return tokens.default_expiry(settings.scolarite_token_expiry_days, now)
    m = re.fullmatch(r"(\d{1,4})\s*(j|m)", value.strip().lower())
    if m:
        days = int(m.group(1)) * (30 if m.group(2) == "m" else 1)
        return tokens.default_expiry(days, now)
    try:
        day = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _fail(f"--expire {value!r} : date AAAA-MM-JJ ou durée (90j, 18m).") from None
    return day if day.tzinfo else day.replace(tzinfo=UTC)


@jeton_app.command("creer")
def jeton_creer(
    siret: Annotated[str, typer.Option(help="SIRET de l'administration (14 chiffres).")] = "",
    scopes: Annotated[
        str, typer.Option(help="Scopes séparés par des virgules (men_statut_scolarite,…).")
    ] = "",
    expire: Annotated[
        str | None, typer.Option(help="Expiration : AAAA-MM-JJ ou durée (90j, 18m).")
    ] = None,
    intitule: Annotated[str, typer.Option(help="Administration et démarche.")] = "",
    limite: Annotated[int | None, typer.Option(help="Requêtes par seconde.")] = None,
    habilitation: Annotated[
        str | None,
        typer.Option(help="L'habilitation validée dont le jeton relève (scopes accordés)."),
    ] = None,
) -> None:
    """Créer un jeton ; le secret n'est affiché qu'une fois (seule son empreinte est gardée).
    Avec --habilitation : scopes et échéance de l'habilitation (au plus), SIRET de son
    organisation, émission journalisée et chaînée."""
    settings = _settings()
    now = datetime.now(UTC)
    wanted = [s.strip() for s in re.split(r"[,\s]+", scopes) if s.strip()]
    rate = limite or settings.scolarite_rate_limit_per_second
    try:
        if habilitation is not None:
            token, secret = _from_habilitation(
                habilitation,
                siret,
                wanted,
                _expiry(expire, settings, now) if expire else None,
                rate,
            )
        else:
            if not siret or not wanted:
                raise _fail("--siret et --scopes sont requis (ou --habilitation ID).")
            token, secret = tokens.create(
                open_registry(settings),
                siret=siret.strip(),
                intitule=intitule,
                scopes=wanted,
                expire_le=_expiry(expire, settings, now),
                limite_par_seconde=rate,
                now=now,
            )
    except (tokens.TokenError, ArdoiseError) as exc:
        raise _fail(str(exc)) from None
    console.print(
        f"Jeton [bold]{token.id}[/] pour {token.siret}, expire le {token.expire_le:%Y-%m-%d}."
    )
    console.print("Secret (à transmettre par un canal sûr, il ne sera plus affiché) :")
    print(secret)


def _from_habilitation(
    habilitation_id: str, siret: str, wanted: list[str], expires: datetime | None, rate: int
) -> tuple[tokens.Token, str]:
    issuer = HABILITATION_ISSUER.get("issue")
    if issuer is None:
        raise _fail("--habilitation demande l'espace des producteurs (extra `producteurs`).")
    token, secret = issuer(habilitation_id.strip(), wanted, expires, rate)
    if siret and siret.strip() != token.siret:  # after the fact: the token is revoked
        tokens.revoke(open_registry(_settings()), token.id)
        raise _fail(
            f"Le SIRET {siret} n'est pas celui de l'organisation habilitée ({token.siret})."
        )
    return token, secret


@jeton_app.command("revoquer")
def jeton_revoquer(
    identifiant: Annotated[str, typer.Argument(help="Identifiant du jeton.")],
) -> None:
    """Révoquer un jeton (effet immédiat)."""
    engine = open_registry(_settings())
    try:
        token = tokens.revoke(engine, identifiant)
    except tokens.TokenError as exc:
        raise _fail(str(exc)) from None
    console.print(f"[green]Jeton {token.id} révoqué.[/]")


@jeton_app.command("lister")
def jeton_lister() -> None:
    """Lister les jetons (jamais leur secret)."""
    engine = open_registry(_settings())
    items = tokens.list_all(engine)
    if not items:
        console.print("Aucun jeton.")
        return
    now = datetime.now(UTC)
    table = Table(title="Jetons")
    for col in ("Identifiant", "SIRET", "Intitulé", "Scopes", "Expire", "État", "Limite/s"):
        table.add_column(col)
    for t in items:
        table.add_row(
            t.id,
            t.siret,
            t.intitule,
            " ".join(sorted(t.scopes)),
            f"{t.expire_le:%Y-%m-%d}",
            t.state(now).value,
            str(t.limite_par_seconde),
        )
    console.print(table)


@audit_app.command("verifier")
def audit_verifier() -> None:
    """Vérifier la chaîne du journal : entrées modifiées, supprimées ou déplacées."""
    engine = open_registry(_settings())
    report = audit.verify(engine)
    if report.ok:
        console.print(f"[green]Journal intègre : {report.entries} entrée(s), chaîne vérifiée.[/]")
        return
    err.print(f"[red]Journal altéré ({len(report.problems)} problème(s)) :[/]")
    for problem in report.problems[:100]:
        err.print(f"  {problem}")
    raise typer.Exit(1)


@audit_app.command("purger")
def audit_purger(
    jours: Annotated[
        int | None, typer.Option(help="Conservation en jours (défaut : réglage).")
    ] = None,
) -> None:
    """Supprimer les entrées plus anciennes que la durée de conservation (une ancre garde
    la chaîne vérifiable)."""
    settings = _settings()
    engine = open_registry(settings)
    removed = audit.purge(engine, jours or settings.scolarite_audit_retention_days)
    console.print(f"{removed} entrée(s) supprimée(s).")
