"""``ardoise organisations …`` and ``ardoise comptes …``: the operator's commands (French
messages; exit code 2 on bad usage or a refused action). The operator acts as
:data:`~.permissions.OPERATOR` and every command is journaled with the origin ``cli``.

    ardoise organisations initialiser                  # the ministry, owner of the mirror
    ardoise organisations creer depp --nom … --siret … --type direction [--territoire FR]
    ardoise organisations lister | journal ORG
    ardoise organisations membres lister|ajouter|retirer ORG [EMAIL ROLE]
    ardoise organisations cles lister|creer|revoquer ORG [--scopes lire,soumettre] [ID]
    ardoise comptes creer EMAIL --nom … [--national]   # local account (development)
    ardoise comptes lister
    ardoise comptes desactiver EMAIL | reactiver EMAIL   # deactivation closes its sessions
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Connection

from ardoise.catalog.loader import load_catalog
from ardoise.controlplane import accounts, datasets, journal, keys, organisations
from ardoise.controlplane.database import open_control_plane
from ardoise.controlplane.permissions import OPERATOR
from ardoise.errors import ArdoiseError
from ardoise.settings import load_settings

orgs_app = typer.Typer(
    help="Organisations productrices, membres et clés d'API.", no_args_is_help=True
)
members_app = typer.Typer(help="Membres et rôles d'une organisation.", no_args_is_help=True)
keys_app = typer.Typer(help="Clés d'API d'une organisation (automatisation).", no_args_is_help=True)
accounts_app = typer.Typer(
    help="Comptes des personnes (comptes locaux : développement).", no_args_is_help=True
)
orgs_app.add_typer(members_app, name="membres")
orgs_app.add_typer(keys_app, name="cles")
console = Console()
err = Console(stderr=True)
T = TypeVar("T")
MINISTRY_SIRET = "11004301500012"  # ministère de l'Éducation nationale (SIREN 110 043 015)


@contextmanager
def _transaction() -> Iterator[Connection]:
    """One transaction on the control plane; a refused or invalid action exits with its
    French message and nothing is written."""
    engine = open_control_plane(load_settings())
    try:
        with engine.begin() as conn:
            yield conn
    except ArdoiseError as exc:
        err.print(f"[bold red]Erreur :[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()


def _run(action: Callable[[Connection], T]) -> T:
    with _transaction() as conn:
        return action(conn)


OrgArg = Annotated[str, typer.Argument(help="Identifiant de l'organisation.")]


@orgs_app.command("initialiser")
def initialise(
    siret: Annotated[str, typer.Option(help="SIRET du ministère.")] = MINISTRY_SIRET,
) -> None:
    """Créer l'organisation « Ministère », propriétaire des jeux du miroir (idempotent)."""
    settings = load_settings()
    ids = [d.id for d in load_catalog(settings.catalog_dir)]

    def run(conn: Connection) -> int:
        if not any(
            o.id == organisations.MINISTRY for o in organisations.list_organisations(conn, OPERATOR)
        ):
            organisations.create_organisation(
                conn,
                OPERATOR,
                id=organisations.MINISTRY,
                name="Ministère de l'Éducation nationale",
                siret=siret,
                type="ministere",
                territory="FR",
            )
        return datasets.claim_for_ministry(conn, OPERATOR, ids)

    claimed = _run(run)
    console.print(
        f"[green]Organisation « {organisations.MINISTRY} » prête ; {claimed} jeu(x) attribué(s).[/]"
    )


@orgs_app.command("creer")
def create(
    organisation_id: OrgArg,
    nom: Annotated[str, typer.Option(help="Nom de l'organisation.")],
    siret: Annotated[str, typer.Option(help="SIRET (14 chiffres).")],
    type: Annotated[
        str,
        typer.Option(
            help="ministere, direction, operateur, academie, region, departement, commune."
        ),
    ],
    territoire: Annotated[
        str | None, typer.Option(help="FR, REG:84, ACA:10, DEP:069, COM:69123.")
    ] = None,
) -> None:
    """Créer une organisation."""
    org = _run(
        lambda conn: organisations.create_organisation(
            conn,
            OPERATOR,
            id=organisation_id,
            name=nom,
            siret=siret,
            type=type,
            territory=territoire,
        )
    )
    console.print(f"[green]Organisation « {org.id} » créée.[/]")


@orgs_app.command("lister")
def list_all() -> None:
    """Lister les organisations."""
    orgs = _run(lambda conn: organisations.list_organisations(conn, OPERATOR))
    table = Table(title="Organisations")
    for col in ("Identifiant", "Nom", "SIRET", "Type", "Territoire"):
        table.add_column(col)
    for o in orgs:
        table.add_row(o.id, escape(o.name), o.siret, o.type.value, o.territory or "")
    console.print(table)


@orgs_app.command("journal")
def show_journal(
    organisation_id: OrgArg,
    limite: Annotated[int, typer.Option(help="Nombre d'entrées.")] = 50,
) -> None:
    """Lire le journal d'une organisation (les plus récentes d'abord)."""
    rows = _run(lambda conn: journal.entries(conn, OPERATOR, organisation_id, limite))
    table = Table(title=f"Journal de « {organisation_id} »")
    for col in ("N°", "Date", "Origine", "Action", "Objet", "Détails"):
        table.add_column(col)
    for e in rows:
        who = (
            e.origin
            + (f" {e.key_id[:8]}" if e.key_id else "")
            + (f" {e.account_id[:8]}" if e.account_id else "")
        )
        facts = ", ".join(f"{k}={v}" for k, v in e.details.items())
        table.add_row(
            str(e.seq),
            e.at.isoformat(timespec="seconds"),
            who,
            e.action,
            e.subject or "",
            escape(facts),
        )
    console.print(table)


@members_app.command("lister")
def list_members(organisation_id: OrgArg) -> None:
    """Lister les membres et leurs rôles."""
    rows = _run(lambda conn: organisations.members(conn, OPERATOR, organisation_id))
    table = Table(title=f"Membres de « {organisation_id} »")
    for col in ("Courriel", "Nom", "Rôle"):
        table.add_column(col)
    for m in rows:
        table.add_row(m.email, escape(m.name), m.role.value)
    console.print(table)


EmailArg = Annotated[str, typer.Argument(help="Courriel du compte.")]
RoleArg = Annotated[str, typer.Argument(help="contributeur, relecteur ou administrateur.")]


@members_app.command("ajouter")
def add_member(organisation_id: OrgArg, email: EmailArg, role: RoleArg) -> None:
    """Donner un rôle à un compte dans l'organisation."""

    def run(conn: Connection) -> None:
        account = accounts.find_account(conn, email)
        organisations.add_member(conn, OPERATOR, organisation_id, account.id, role)

    _run(run)
    console.print(f"[green]{email} est {role} de « {organisation_id} ».[/]")


@members_app.command("retirer")
def remove_member(organisation_id: OrgArg, email: EmailArg, role: RoleArg) -> None:
    """Retirer un rôle à un compte."""

    def run(conn: Connection) -> None:
        account = accounts.find_account(conn, email)
        organisations.remove_member(conn, OPERATOR, organisation_id, account.id, role)

    _run(run)
    console.print(f"[green]Rôle {role} retiré à {email} dans « {organisation_id} ».[/]")


@keys_app.command("creer")
def create_key(
    organisation_id: OrgArg,
    scopes: Annotated[
        str, typer.Option(help="Portées séparées par des virgules : lire, soumettre, relire.")
    ],
    intitule: Annotated[str, typer.Option(help="À quoi sert la clé.")] = "clé d'API",
) -> None:
    """Créer une clé d'API (affichée une seule fois)."""
    key, secret = _run(
        lambda conn: keys.create_key(conn, OPERATOR, organisation_id, intitule, scopes.split(","))
    )
    console.print(
        f"Clé {key.id} créée ({', '.join(sorted(key.scopes))}). Elle ne sera plus affichée :"
    )
    print(secret)


@keys_app.command("lister")
def list_keys(organisation_id: OrgArg) -> None:
    """Lister les clés d'API (jamais leur secret)."""
    rows = _run(lambda conn: keys.list_keys(conn, OPERATOR, organisation_id))
    table = Table(title=f"Clés d'API de « {organisation_id} »")
    for col in ("Identifiant", "Intitulé", "Portées", "Créée", "Dernier usage", "État"):
        table.add_column(col)
    for k in rows:
        used = k.last_used_at.isoformat(timespec="minutes") if k.last_used_at else "jamais"
        state = "révoquée" if k.revoked_at else "active"
        table.add_row(
            k.id,
            escape(k.label),
            " ".join(sorted(k.scopes)),
            k.created_at.date().isoformat(),
            used,
            state,
        )
    console.print(table)


@keys_app.command("revoquer")
def revoke_key(
    organisation_id: OrgArg, key_id: Annotated[str, typer.Argument(help="Identifiant de la clé.")]
) -> None:
    """Révoquer une clé d'API (effet immédiat)."""
    _run(lambda conn: keys.revoke_key(conn, OPERATOR, organisation_id, key_id))
    console.print(f"[green]Clé {key_id} révoquée.[/]")


@accounts_app.command("creer")
def create_account(
    email: EmailArg,
    nom: Annotated[str, typer.Option(help="Nom affiché.")] = "",
    national: Annotated[bool, typer.Option("--national", help="Administrateur national.")] = False,
    mot_de_passe: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="Mot de passe (12 caractères au moins).",
        ),
    ] = "",
) -> None:
    """Créer un compte local (développement ; en production, connexion OpenID Connect)."""
    account = _run(
        lambda conn: accounts.create_local_account(
            conn, OPERATOR, email=email, name=nom, password=mot_de_passe, national=national
        )
    )
    console.print(f"[green]Compte {account.email} créé ({account.id}).[/]")


def _set_active(email: str, active: bool) -> None:
    _run(
        lambda conn: accounts.set_active(
            conn, OPERATOR, accounts.find_account(conn, email).id, active
        )
    )


@accounts_app.command("desactiver")
def deactivate_account(email: EmailArg) -> None:
    """Désactiver un compte : plus de connexion, ses sessions ouvertes sont refusées."""
    _set_active(email, False)
    console.print(f"[green]Compte {email} désactivé ; ses sessions sont fermées.[/]")


@accounts_app.command("reactiver")
def reactivate_account(email: EmailArg) -> None:
    """Réactiver un compte (ses anciennes sessions restent refusées : il se reconnecte)."""
    _set_active(email, True)
    console.print(f"[green]Compte {email} réactivé.[/]")


@accounts_app.command("lister")
def list_accounts() -> None:
    """Lister les comptes."""
    rows = _run(accounts.list_accounts)
    table = Table(title="Comptes")
    for col in ("Identifiant", "Courriel", "Nom", "Type", "National", "État"):
        table.add_column(col)
    for a in rows:
        table.add_row(
            a.id,
            a.email,
            escape(a.name),
            "local" if a.local else "OpenID Connect",
            "oui" if a.national else "",
            "actif" if a.active else "désactivé",
        )
    console.print(table)
