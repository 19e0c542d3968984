"""Data problems are data: a Report of typed Issues, not exceptions (see STYLE.md L6).

Each issue type is declared once in ``ISSUE_TYPES`` with its French title, its severity
and a message template; ``blocking`` issues stop a dataset from being published.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["bloquant", "avertissement", "info"]


@dataclass(frozen=True)
class IssueType:
    type: str
    title: str
    severity: Severity
    description: str


ISSUE_TYPES: dict[str, IssueType] = {
    t.type: t
    for t in (
        IssueType(
            "source-absente",
            "Source absente",
            "bloquant",
            "Le fichier source n'est ni dans le miroir ni téléchargeable.",
        ),
        IssueType(
            "fichier-vide", "Fichier vide", "bloquant", "Le fichier ne contient aucune donnée."
        ),
        IssueType(
            "fichier-binaire",
            "Fichier binaire",
            "bloquant",
            "Le fichier n'est pas un texte CSV (octets nuls, contenu binaire).",
        ),
        IssueType(
            "encodage-invalide",
            "Encodage inattendu",
            "bloquant",
            "Le fichier n'est pas dans l'encodage déclaré par le descripteur.",
        ),
        IssueType(
            "fichier-illisible",
            "Fichier illisible",
            "bloquant",
            "Le fichier ne peut pas être lu dans le format attendu.",
        ),
        IssueType(
            "ligne-malformee",
            "Ligne malformée",
            "bloquant",
            "Une ligne n'a pas le nombre de colonnes de l'en-tête (fichier tronqué ?).",
        ),
        IssueType(
            "entete-en-double",
            "En-tête en double",
            "bloquant",
            "Deux colonnes du fichier portent le même nom (ou désignent le même champ).",
        ),
        IssueType(
            "colonne-manquante",
            "Colonne déclarée absente",
            "bloquant",
            "Une colonne déclarée dans le descripteur manque dans la source.",
        ),
        IssueType(
            "aucune-ligne",
            "Aucune ligne de données",
            "bloquant",
            "La source n'a qu'un en-tête : publier écraserait les données par du vide.",
        ),
        IssueType(
            "colonne-inconnue",
            "Colonne non déclarée",
            "avertissement",
            "Une colonne de la source n'est pas décrite ; elle est ignorée.",
        ),
        IssueType(
            "erreur-de-type",
            "Valeur du mauvais type",
            "avertissement",
            "Une valeur ne peut pas être lue dans le type déclaré ; elle est publiée vide.",
        ),
        IssueType(
            "doublon-de-cle",
            "Doublon sur la clé déclarée",
            "avertissement",
            "Plusieurs lignes partagent la même clé.",
        ),
        IssueType(
            "code-territoire-inconnu",
            "Code territorial inconnu",
            "avertissement",
            "Un code ou un nom de territoire ne figure pas dans le référentiel.",
        ),
        IssueType(
            "uai-invalide",
            "UAI invalide",
            "avertissement",
            "Un code UAI n'a pas la forme 7 chiffres + lettre, ou sa lettre de contrôle est fausse.",
        ),
        IssueType(
            "annee-invalide",
            "Année scolaire illisible",
            "avertissement",
            "Une année scolaire n'a pas pu être ramenée au format AAAA-AAAA.",
        ),
        IssueType(
            "encodage-latin1",
            "Encodage latin-1",
            "info",
            "La source est en latin-1 (déclaré) ; elle est convertie en UTF-8.",
        ),
        IssueType(
            "recouvrement-sources",
            "Sources qui se recouvrent",
            "info",
            "Deux extraits du jeu portent les mêmes clés : chaque année vient de la source "
            "déclarée pour elle ; les écarts entre les deux sont comptés.",
        ),
        IssueType(
            "derive",
            "Dérive par rapport à la release précédente",
            "avertissement",
            "Le volume ou la structure a changé nettement depuis la release précédente.",
        ),
    )
}


@dataclass(frozen=True)
class Issue:
    type: str
    message: str
    field: str | None = None
    row: int | None = None  # line number in the source file (header = line 1)
    source: str | None = None
    count: int = 1
    examples: tuple[str, ...] = ()

    @property
    def severity(self) -> Severity:
        return ISSUE_TYPES[self.type].severity

    @property
    def blocking(self) -> bool:
        return self.severity == "bloquant"

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["examples"] = list(self.examples)
        out["severity"] = self.severity
        out["title"] = ISSUE_TYPES[self.type].title
        return {k: v for k, v in out.items() if v not in (None, [], ())}


@dataclass(frozen=True)
class Report:
    dataset_id: str
    issues: tuple[Issue, ...] = ()
    rows: int = 0
    columns: int = 0
    completeness: dict[str, float] = field(default_factory=dict)
    years: dict[str, int] = field(default_factory=dict)
    drift: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not any(i.blocking for i in self.issues)

    @property
    def blocking(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.blocking)

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "avertissement")

    def flatten(self, keys: Sequence[str]) -> list[list[Any]]:
        """``report.flatten(["row", "field", "type"])`` → one list per issue (frictionless)."""
        return [[getattr(i, k) for k in keys] for i in self.issues]

    def summary(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "rows": self.rows,
            "columns": self.columns,
            "blocking": len(self.blocking),
            "warnings": len(self.warnings),
            "issues_by_type": _count_by_type(self.issues),
            "years": self.years,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset_id": self.dataset_id,
            "valid": self.valid,
            "rows": self.rows,
            "columns": self.columns,
            "issues": [i.to_json() for i in self.issues],
            "completeness": self.completeness,
            "years": self.years,
            "drift": self.drift,
        }


def _count_by_type(issues: Iterable[Issue]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for i in issues:
        counts[i.type] = counts.get(i.type, 0) + i.count
    return dict(sorted(counts.items()))
