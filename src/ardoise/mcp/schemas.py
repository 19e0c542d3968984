"""The structured outputs of the MCP tools: frozen pydantic models, so that each tool
publishes a documented JSON ``outputSchema`` (datagouv-mcp's "formalize tool response
schemas", reference §4.1). Field names are French, like the rest of the public API.

Every figure travels with a :class:`Citation`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Citation(_Model):
    """Where a figure comes from, and the URL that gives exactly the same figure."""

    jeux: list[str] = Field(description="Identifiants des jeux de données sources.")
    release: str = Field(description="Identifiant de la release (version immuable des données).")
    date_release: str = Field(description="Date de publication de la release (ISO 8601).")
    licence: str = Field(description="Licence des données.")
    version_definition: int | None = Field(
        None, description="Version de la définition de l'indicateur (indicateurs seulement)."
    )
    url: str | None = Field(
        None,
        description="URL de l'API (Explore ou indicateurs) qui redonne exactement ce "
        "chiffre ; None quand la valeur est absente.",
    )
    lecture: str | None = Field(None, description="Comment lire la réponse de cette URL.")


class DatasetHit(_Model):
    dataset_id: str
    titre: str
    description_courte: str
    lignes: int = Field(description="Nombre exact d'enregistrements dans la release.")
    annees_scolaires: list[str] = Field(
        description="Années scolaires présentes (vide : sans dimension annuelle)."
    )
    couverture: str = Field(description="« nationale » ou la couverture partielle décrite.")
    mots_trouves: list[str] = Field(description="Mots de la recherche trouvés dans ce jeu.")


class PortalOnly(_Model):
    """A dataset the official portal publishes but this release does not hold."""

    dataset_id: str
    titre: str
    url_portail: str


class DatasetSearch(_Model):
    requete: str
    mots: list[str] = Field(
        description="Mots significatifs retenus (accents et mots vides ignorés)."
    )
    total_count: int = Field(description="Nombre exact de jeux contenant TOUS les mots.")
    resultats: list[DatasetHit] = Field(
        description="Jeux contenant tous les mots (filtre, pas un classement)."
    )
    proches: list[DatasetHit] = Field(
        description="Sans résultat exact : jeux contenant une "
        "partie des mots, les plus proches d'abord."
    )
    non_detenus: list[PortalOnly] = Field(
        description="Jeux du portail data.education.gouv.fr correspondant à la recherche mais "
        "absents de cette release."
    )
    message: str = Field(description="Ce que le résultat veut dire et que faire ensuite.")
    citation: Citation


class FieldInfo(_Model):
    nom: str
    libelle: str
    type: str
    description: str
    unite: str | None = None


class DatasetDescription(_Model):
    dataset_id: str
    titre: str
    description: str
    producteur: str
    licence: str
    source: str = Field(description="URL de l'export officiel.")
    frequence: str
    champs: list[FieldInfo]
    cle: list[str] = Field(description="Champs qui identifient un enregistrement.")
    champ_annee_scolaire: str | None
    annees_scolaires: dict[str, int] = Field(description="Lignes par année scolaire.")
    couverture_temporelle: str
    nationale: bool
    couverture_spatiale: str
    territoires_couverts: list[str] = Field(description="Couverture partielle : territoires.")
    lignes: int
    qualite: dict[str, Any] = Field(description="Résumé du contrôle qualité de l'ingestion.")
    precautions: list[str]
    document: str = Field(description="URI de la ressource MCP qui documente ce jeu.")
    citation: Citation


class RecordsResult(_Model):
    dataset_id: str
    total_count: int = Field(
        description="Nombre exact d'enregistrements (ou de groupes) "
        "satisfaisant la requête, pas seulement ceux rendus."
    )
    rendus: int = Field(description="Nombre de lignes rendues ici.")
    tronque: bool = Field(description="Vrai si total_count dépasse les lignes rendues.")
    note: str = Field(description="Lecture du résultat (troncature, valeurs omises).")
    colonnes: list[str]
    lignes: list[dict[str, Any]]
    citation: Citation


class TerritoryCandidate(_Model):
    niveau: str
    code: str
    nom: str
    libelle: str
    correspondance: str = Field(
        description="code, nom, debut, mot, approchant ou mots (type, nom et lieu mêlés)."
    )
    argument: str = Field(
        description="Valeur à passer à l'argument territory des autres outils (niveau:code)."
    )
    url: str


class TerritoryResolution(_Model):
    requete: str
    statut: Literal["trouve", "homonymes", "aucun"] = Field(
        description="trouve : un seul territoire ; homonymes : plusieurs, à choisir ; aucun."
    )
    resultats: list[TerritoryCandidate]
    message: str


class IndicatorFigure(_Model):
    niveau: str
    code: str
    nom: str | None
    annee_scolaire: str
    valeur: float | None
    base: int | None = Field(
        description="Nombre d'unités (établissements, élèves…) sur lesquelles porte la valeur."
    )
    statut: str = Field(
        description="ok, non_significatif (base trop petite), absent, ou secret_statistique "
        "(comptage d'un jeu restreint sous le seuil, ou qui le laisserait recalculer)."
    )
    secret: str | None = Field(
        default=None, description="Le motif du secret statistique (sans valeur), sinon vide."
    )
    rang: int | None = None
    rang_sur: int | None = None
    citation: Citation


class IndicatorRef(_Model):
    id: str
    titre: str
    unite: str
    decimales: int
    version: int
    definition: str
    document: str = Field(description="URI de la ressource MCP de la méthodologie.")


class IndicatorResult(_Model):
    indicateur: IndicatorRef
    territoire: str = Field(description="niveau:code")
    valeur: IndicatorFigure
    parents: list[IndicatorFigure] = Field(
        description="Le même indicateur pour chaque niveau parent, jusqu'à la France."
    )
    serie: list[IndicatorFigure] = Field(description="Toutes les années scolaires.")
    message: str


class Comparison(_Model):
    indicateur: IndicatorRef
    annee_scolaire: str
    valeurs: list[IndicatorFigure]
    message: str


class IndicatorSummary(_Model):
    id: str
    titre: str
    description_courte: str
    unite: str
    version: int
    theme: str
    niveaux: list[str]
    annees_scolaires: list[str]
    sources: list[str]
    formule: str
    agregation: str
    base: str
    precautions: list[str]
    document: str


class IndicatorList(_Model):
    release: str
    total_count: int
    indicateurs: list[IndicatorSummary]
    citation: Citation
