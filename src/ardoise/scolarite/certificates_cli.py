"""``ardoise scolarite certificat …``: issue a school certificate, check one.

ardoise scolarite certificat --identifiant 0000000001A --sortie certificat.pdf
                             [--annee 2025-2026] [--uai 0750001A]
ardoise scolarite certificat-verifier certificat.pdf   (or the signed document text)
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select

from ardoise.query.release import ReleaseHolder
from ardoise.scolarite import certificates
from ardoise.scolarite.certificates_pdf import render, verify_url
from ardoise.scolarite.certificates_signing import load_or_create
from ardoise.scolarite.commands import SYNTHETIC, open_registry
from ardoise.scolarite.commands import app as scolarite_app
from ardoise.scolarite.schema import eleves
from ardoise.scolarite.school_names import school_name
from ardoise.settings import load_settings

console = Console(stderr=True)
_KEYWORDS = re.compile(rb"/Keywords \(([A-Za-z0-9_.-]{1,8192})\)")


def _fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[bold red]Erreur :[/] {message}")
    return typer.Exit(code)


@scolarite_app.command("certificat")
def certificat(
    identifiant: Annotated[str, typer.Option(help="Identifiant de l'élève dans le registre.")],
    sortie: Annotated[Path, typer.Option("--sortie", help="Fichier PDF à écrire.")],
    annee: Annotated[str | None, typer.Option(help="Année scolaire AAAA-AAAA.")] = None,
    uai: Annotated[str | None, typer.Option(help="Établissement (UAI).")] = None,
) -> None:
    """Délivrer un certificat de scolarité signé (PDF avec code QR de vérification)."""
    settings = load_settings()
    engine = open_registry(settings)
    today = datetime.now(UTC).date()
    try:
        query = select(eleves).where(eleves.c.identifiant == identifiant.strip())
        if annee:
            query = query.where(eleves.c.annee_scolaire == annee)
        if uai:
            query = query.where(eleves.c.uai == uai.strip().upper())
        with engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query.limit(50))]
        current = [r for r in rows if certificates.enrolled(r, today)]
        if not rows:
            raise _fail("Aucune inscription ne correspond à cet élève.", 1)
        if not current:
            raise _fail("L'élève n'est plus inscrit : aucun certificat ne peut être délivré.", 1)
        if len(current) > 1:
            choices = ", ".join(f"{r['uai']} ({r['annee_scolaire']})" for r in current)
            raise _fail(f"Plusieurs inscriptions en cours : {choices}. Précisez --uai/--annee.")
        record = current[0]
        signed = certificates.issue(
            engine,
            load_or_create(settings.var_dir),
            record,
            today=today,
            school_name=school_name(ReleaseHolder(settings), str(record["uai"])),
        )
    finally:
        engine.dispose()
    sortie.parent.mkdir(parents=True, exist_ok=True)
    sortie.write_bytes(render(signed, settings.public_url))
    if signed.certificate.synthetique:
        console.print(SYNTHETIC)
    console.print(f"[green]Certificat {signed.certificate.id} écrit dans {sortie}.[/]")
    console.print(f"Vérification : {verify_url(settings.public_url, signed.certificate.id)}")


@scolarite_app.command("certificat-verifier")
def certificat_verifier(
    source: Annotated[
        str,
        typer.Argument(
            help="Fichier PDF du certificat, ou son document signé (texte « charge.signature »)."
        ),
    ],
) -> None:
    """Vérifier un certificat : signature, émission, et inscription toujours en cours."""
    settings = load_settings()
    path = Path(source)
    if path.is_file():
        found = _KEYWORDS.search(path.read_bytes())
        if found is None:
            raise _fail(f"{path} n'est pas un certificat de scolarité d'Ardoise.")
        document = found.group(1).decode("ascii")
    else:
        document = source.strip()
    engine = open_registry(settings)
    try:
        v = certificates.check_document(engine, load_or_create(settings.var_dir).public, document)
    finally:
        engine.dispose()
    ok = v.verdict is certificates.Verdict.VALID
    console.print(("[green]" if ok else "[red]") + v.message + "[/]")
    if v.certificate is not None:
        c = v.certificate
        console.print(
            f"{c.nom} {' '.join(c.prenoms)}, né(e) le {c.date_naissance} — "
            f"UAI {c.uai}, {c.annee_scolaire}, {c.niveau} (délivré le {c.date})"
        )
    raise typer.Exit(0 if ok else 1)
