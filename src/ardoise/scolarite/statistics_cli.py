"""``ardoise scolarite statistiques``: protected pupil counts from the registry.

    ardoise scolarite statistiques --sortie effectifs.csv [--annee 2025-2026]
                                   [--date 2025-11-20] [--seuil 5] [--petit-groupe 11]

Writes CSV (``;``) or Parquet (by the file's suffix): one row per cell, the count empty
(null) when the cell is under statistical secret, and its status (V, A, Z, D). Schools
are placed in communes, départements and académies through the current release; schools
it does not know are counted under "inconnu".
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ardoise.disclosure import STATUS_LABELS, Rules, Status
from ardoise.errors import ArdoiseError
from ardoise.query.release import ReleaseHolder, ServedRelease
from ardoise.scolarite.commands import SYNTHETIC, open_registry
from ardoise.scolarite.commands import app as scolarite_app
from ardoise.scolarite.statistics import (
    registry_counts,
    release_places,
    statistics,
    write_csv,
    write_parquet,
)
from ardoise.settings import load_settings

console = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    console.print(f"[bold red]Erreur :[/] {message}")
    return typer.Exit(2)


def _current_year(today: date) -> str:
    start = today.year if today.month >= 9 else today.year - 1
    return f"{start}-{start + 1}"


@scolarite_app.command("statistiques")
def statistiques(
    sortie: Annotated[Path, typer.Option("--sortie", help="Fichier .csv ou .parquet.")],
    annee: Annotated[
        str | None, typer.Option(help="Année scolaire AAAA-AAAA (défaut : l'actuelle).")
    ] = None,
    le: Annotated[
        str | None, typer.Option("--date", help="Élèves inscrits à cette date (AAAA-MM-JJ).")
    ] = None,
    seuil: Annotated[
        int | None, typer.Option(min=1, help="Plus petit effectif publié (défaut : réglage).")
    ] = None,
    petit_groupe: Annotated[
        int | None,
        typer.Option(min=1, help="Taille sous laquelle un taux 0 %/100 % est caché."),
    ] = None,
) -> None:
    """Effectifs par établissement × niveau × sexe, commune, département et académie,
    sous secret statistique (cases cachées signalées, jamais mises à zéro)."""
    suffix = sortie.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise _fail(f"Format de sortie inconnu : {sortie.name} (attendu : .csv ou .parquet).")
    try:
        on = date.fromisoformat(le) if le else datetime.now(UTC).date()
    except ValueError:
        raise _fail(f"Date invalide : {le!r} (AAAA-MM-JJ).") from None
    year = annee or _current_year(on)
    if len(year) != 9 or not (year[:4].isdigit() and year[5:].isdigit()) or year[4] != "-":
        raise _fail(f"Année scolaire invalide : {year!r} (AAAA-AAAA).")
    settings = load_settings()
    rules = Rules(
        threshold=seuil or settings.scolarite_secret_seuil,
        small_group=petit_groupe or settings.scolarite_secret_petit_groupe,
    )
    engine = open_registry(settings)
    try:
        counts, synthetic = registry_counts(engine, year, on)
    finally:
        engine.dispose()
    if not counts:
        raise _fail(f"Aucun élève inscrit en {year} à la date du {on.isoformat()}.")
    release: ServedRelease | None
    try:
        release = ReleaseHolder(settings).get()
    except ArdoiseError:
        release = None
        console.print(
            "[yellow]Aucune release : communes, départements et académies « inconnu ».[/]"
        )
    try:
        stats = statistics(counts, release_places(release), rules, synthetic)
    except ArdoiseError as exc:
        raise _fail(str(exc)) from None
    sortie.parent.mkdir(parents=True, exist_ok=True)
    (write_csv if suffix == ".csv" else write_parquet)(stats, sortie)
    if synthetic:
        console.print(SYNTHETIC)
    by_status = Counter(c.statut for c in stats.cells)
    console.print(
        f"{len(stats.cells)} cases écrites dans {sortie} "
        f"(seuil {rules.threshold}, petit groupe {rules.small_group}) :"
    )
    for status in Status:
        console.print(f"  {status.value} {STATUS_LABELS[status]} : {by_status.get(status, 0)}")
