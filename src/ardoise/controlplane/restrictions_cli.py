"""``ardoise acces …``: restricted datasets and their grants, from the shell (issue #16).

    ardoise acces restreindre JEU            # invisible to whoever holds no grant
    ardoise acces publier JEU                # public again
    ardoise acces accorder JEU ORG [--role relecteur] [--filtre 'code_academie = "10"']
                                   [--masquer ips,secteur]
    ardoise acces lister JEU
    ardoise acces retirer ID

The operator acts as :data:`~.permissions.OPERATOR`; every change is journaled. Messages
in French; exit code 2 on a refused or invalid action (nothing written).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ardoise.controlplane import restrictions
from ardoise.controlplane.commands import _run, console
from ardoise.controlplane.permissions import OPERATOR

access_app = typer.Typer(
    help="Jeux restreints et accès accordés (lignes et champs).", no_args_is_help=True
)
DatasetArg = Annotated[str, typer.Argument(help="Identifiant du jeu.")]


@access_app.command("restreindre")
def restrict(dataset_id: DatasetArg) -> None:
    """Rendre un jeu restreint : invisible partout sans accès accordé."""
    _run(lambda conn: restrictions.restrict(conn, OPERATOR, dataset_id))
    console.print(f"Jeu « {escape(dataset_id)} » restreint.")


@access_app.command("publier")
def make_public(dataset_id: DatasetArg) -> None:
    """Rendre un jeu restreint de nouveau public."""
    _run(lambda conn: restrictions.make_public(conn, OPERATOR, dataset_id))
    console.print(f"Jeu « {escape(dataset_id)} » public.")


@access_app.command("accorder")
def grant(
    dataset_id: DatasetArg,
    organisation_id: Annotated[str, typer.Argument(help="Organisation bénéficiaire.")],
    role: Annotated[str | None, typer.Option(help="Seuls ses membres de ce rôle.")] = None,
    filtre: Annotated[str | None, typer.Option(help="Lignes visibles (ODSQL).")] = None,
    masquer: Annotated[str, typer.Option(help="Champs masqués (séparés par des virgules).")] = "",
) -> None:
    """Accorder à une organisation l'accès à un jeu restreint."""
    found = _run(
        lambda conn: restrictions.grant_access(
            conn,
            OPERATOR,
            dataset_id,
            organisation_id,
            role=role,
            row_filter=filtre,
            hidden=restrictions.hidden_fields(masquer),
        )
    )
    console.print(f"Accès {found.id} accordé à « {escape(organisation_id)} ».")


@access_app.command("lister")
def list_grants(dataset_id: DatasetArg) -> None:
    """Les accès actifs à un jeu."""
    found = _run(lambda conn: restrictions.grants_on(conn, OPERATOR, dataset_id))
    table = Table("accès", "organisation", "rôle", "filtre", "champs masqués", "depuis")
    for g in found:
        table.add_row(
            g.id,
            g.organisation_id,
            g.role or "tous",
            escape(g.row_filter or "toutes les lignes"),
            ", ".join(g.hidden) or "aucun",
            g.granted_at.date().isoformat(),
        )
    console.print(table)


@access_app.command("retirer")
def withdraw(grant_id: Annotated[str, typer.Argument(help="Identifiant de l'accès.")]) -> None:
    """Retirer un accès (effet en une seconde sur chaque processus)."""
    _run(lambda conn: restrictions.withdraw_access(conn, OPERATOR, grant_id))
    console.print(f"Accès {grant_id} retiré.")
