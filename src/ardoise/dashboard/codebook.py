"""``/donnees/{id}/dictionnaire``: the codebook of a dataset (issue #18) as a page, from
``ardoise.query.codebook.codebook`` (the same as ``/api/v1/codebooks/{id}.json`` and
``.md``): fields, value domains, coded missing values per year, methodology."""

from __future__ import annotations

from dataclasses import dataclass

from ardoise.dashboard.contexts import Link, Page, Table
from ardoise.dashboard.pages import page
from ardoise.query.codebook import Codebook, codebook
from ardoise.query.release import ServedRelease

_REASONS = {
    "non_significatif": "non significatif (NS)",
    "non_disponible": "non disponible (ND)",
    "secret_statistique": "secret statistique",
    "absent": "absent (cellule vide)",
}


@dataclass(frozen=True)
class CodebookPage:
    page: Page
    dataset_id: str
    lignes: int
    description: str
    couverture_temporelle: str
    couverture_spatiale: str
    precautions: tuple[str, ...]
    champs: Table
    domaines: tuple[Table, ...]
    manquants: Table
    telechargements: tuple[Link, ...]


def codebook_page(release: ServedRelease, dataset_id: str, query: str) -> CodebookPage:
    book = codebook(release, dataset_id)
    path = f"/donnees/{book.dataset_id}/dictionnaire"
    return CodebookPage(
        page(
            release,
            f"Dictionnaire des données : {book.title}",
            f"Champs, types, unités, valeurs et valeurs manquantes codées du jeu {book.dataset_id}.",
            path,
            query,
            (Link(book.title, f"/donnees/{book.dataset_id}"),),
        ),
        book.dataset_id,
        book.rows,
        book.description,
        book.temporal_coverage,
        book.spatial_coverage,
        book.caveats,
        _fields(book),
        _domains(book),
        _missing(book),
        (
            Link("JSON", f"/api/v1/codebooks/{book.dataset_id}.json"),
            Link("Markdown", f"/api/v1/codebooks/{book.dataset_id}.md"),
        ),
    )


def _fields(book: Codebook) -> Table:
    return Table(
        "Champs du jeu",
        ("nom", "libelle", "type", "unite", "description"),
        ("Champ", "Libellé", "Type", "Unité", "Description"),
        tuple(
            {
                "nom": f.name,
                "libelle": f.label,
                "type": f.type,
                "unite": f.unit or "—",
                "description": f.description,
            }
            for f in book.fields
        ),
    )


def _domains(book: Codebook) -> tuple[Table, ...]:
    return tuple(
        Table(
            f"Valeurs de {f.name} ({f.label})",
            ("valeur", "lignes"),
            ("Valeur", "Lignes"),
            tuple({"valeur": v, "lignes": n} for v, n in f.domain),
        )
        for f in book.fields
        if f.domain
    )


def _missing(book: Codebook) -> Table:
    return Table(
        "Valeurs manquantes codées, par champ et par année scolaire",
        ("champ", "annee", "raison", "lignes"),
        ("Champ", "Année scolaire", "Valeur manquante", "Lignes"),
        tuple(
            {"champ": f.name, "annee": y or "—", "raison": _REASONS.get(r, r), "lignes": n}
            for f in book.fields
            for y, r, n in f.missing
        ),
    )
