"""The descriptors of the schools-over-time datasets (issue #18), written into each release
(``catalog/<id>.yaml``) like those of the official datasets, so that Explore, SQL, the Data
Package and the dashboard serve them as datasets.

The panel's columns depend on the years the release holds: its descriptor is made from the
table's schema (``<measure>_<AAAA>_<AAAA>``).
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any

import pyarrow as pa

from ardoise.catalog.model import Dataset

SCHOOL_YEARS_ID = "ardoise-etablissements-annees"
CROSSWALK_ID = "ardoise-correspondance-uai"
PANEL_ID = "ardoise-etablissements-panel"
DERIVED_IDS = (SCHOOL_YEARS_ID, CROSSWALK_ID, PANEL_ID)

PUBLISHER = "Ardoise (table dérivée des jeux officiels de la même version des données)"
LICENCE = "Licence Ouverte v2.0 (Etalab)"

# column → (label, description, unit)
LABELS: dict[str, tuple[str, str, str | None]] = {
    "uai": ("UAI", "Code UAI normalisé (majuscules) et validé (lettre clé).", None),
    "annee_scolaire": ("Année scolaire", "Année scolaire, AAAA-AAAA.", None),
    "nom": ("Nom", "Nom de l'établissement cette année-là (première source qui le donne).", None),
    "secteur": ("Secteur", "public ou privé, cette année-là.", None),
    "type": ("Type", "école, collège, lycée… (selon le jeu, ou la colonne de type).", None),
    "commune": ("Commune", "Code INSEE de la commune cette année-là (la plus citée).", None),
    "departement": ("Département", "Code du département cette année-là.", None),
    "academie": ("Académie", "Code de l'académie cette année-là.", None),
    "region": ("Région", "Code de la région cette année-là.", None),
    "sources": (
        "Sources",
        "Jeux de la version des données où l'établissement figure cette année-là.",
        None,
    ),
    "nb_sources": ("Nombre de sources", "Nombre de ces jeux.", None),
    "ips": (
        "IPS",
        "Indice de position sociale (indicateur ips_moyen_* de la même version des données).",
        "indice",
    ),
    "taux_reussite_dnb": ("Taux de réussite au DNB", "Indicateur taux_reussite_dnb_colleges.", "%"),
    "va_taux_reussite_dnb": (
        "Valeur ajoutée du taux de réussite",
        "Indicateur va_taux_reussite_colleges.",
        "points",
    ),
    "note_ecrit_dnb": ("Note à l'écrit du DNB", "Indicateur note_ecrit_dnb_colleges.", "points"),
    "effectifs": ("Effectifs", "Élèves, là où un jeu de la même version les donne.", "élèves"),
    "evenement": (
        "Événement",
        "ouverture (annuaire), ancien_code, nouveau_code, fermeture_presumee (voir la méthode).",
        None,
    ),
    "uai_successeur": ("UAI successeur", "Nouveau code (table de correspondance).", None),
    "uai_predecesseur": ("UAI prédécesseur", "Ancien code (table de correspondance).", None),
    "uai_ancien": ("UAI ancien", "Code de départ de la correspondance.", None),
    "uai_nouveau": ("UAI nouveau", "Code d'arrivée (nouveau code, ou établissement mère).", None),
    "relation": ("Relation", "changement_de_code ou rattachement (établissement mère).", None),
    "derniere_annee_ancien": ("Dernière année de l'ancien code", "Année scolaire.", None),
    "premiere_annee_nouveau": ("Première année du nouveau code", "Année scolaire.", None),
    "preuve": ("Preuve", "Ce qui, dans les données, fonde la correspondance.", None),
    "premiere_annee": (
        "Première année",
        "Première année scolaire où l'établissement figure.",
        None,
    ),
    "derniere_annee": ("Dernière année", "Dernière année scolaire où il figure.", None),
    "nb_annees": ("Nombre d'années", "Années scolaires où il figure.", None),
}

_TYPES = {
    "string": "text",
    "large_string": "text",
    "int64": "int",
    "int32": "int",
    "double": "double",
    "bool": "boolean",
}

METHOD = (
    "Construite à la publication depuis les colonnes de lien de chaque jeu (UAI, année "
    "scolaire, commune) et les valeurs d'indicateurs de la même version des données. UAI normalisés et validés "
    "(lettre clé) ; une ligne dont l'UAI est invalide est écartée et comptée dans le rapport "
    "de qualité. Changement de code : dans une série qui tient les années N et N+1, un UAI "
    "absent de toute source en N+1 et un UAI absent de toute source en N, même commune, même "
    "nom (ou presque), chacun seul candidat de l'autre. Fermeture présumée : absent de toute "
    "source en N+1 alors qu'une série qui le tenait en N tient N+1."
)


def _field(name: str, arrow_type: pa.DataType) -> dict[str, Any]:
    label, description, unit = LABELS.get(name) or _measure_label(name)
    out: dict[str, Any] = {
        "name": name,
        "label": label,
        "type": _TYPES.get(str(arrow_type), "text"),
        "description": description,
        "official_name_differs": True,
    }
    if unit:
        out["unit"] = unit
    if name in ("secteur", "type", "relation", "annee_scolaire", "evenement"):
        out["facet"] = True
    return out


def _measure_label(name: str) -> tuple[str, str, str | None]:
    """``ips_2022_2023`` → ("IPS 2022-2023", …)."""
    measure, y0, y1 = name.rsplit("_", 2)
    label, description, unit = LABELS[measure]
    return f"{label} {y0}-{y1}", f"{description} Année scolaire {y0}-{y1}.", unit


def descriptor(
    dataset_id: str, schema: pa.Schema, years: list[str], sources: list[str]
) -> dict[str, Any]:
    """The YAML mapping of one derived dataset, from its table's visible columns."""
    title, description, key = _ABOUT[dataset_id]
    fields = [_field(f.name, f.type) for f in schema if not f.name.startswith("_")]
    raw: dict[str, Any] = {
        "id": dataset_id,
        "title": title,
        "description": description + "\n\n" + METHOD,
        "publisher": PUBLISHER,
        "licence": LICENCE,
        "source_url": "",
        "themes": ["Etablissements (dont IPS)"],
        "keywords": ["établissements", "séries temporelles", "recherche"],
        "frequency": "à chaque version des données",
        "temporal_coverage": {"kind": "annee_scolaire", "years": years},
        "spatial_coverage": {
            "national": True,
            "description": "Celle des jeux sources de la même version des données.",
        },
        "sources": [
            {
                "path": f"release:data/{s}.parquet",
                "description": "Jeu de la même version des données.",
            }
            for s in sources
        ]
        or [{"path": "release:data", "description": "Jeux de la même version des données."}],
        "key": list(key),
        "territories": {
            "uai": key[0],
            **({"commune": "commune"} if "commune" in schema.names else {}),
        },
        "caveats": [
            "Table dérivée : elle ne dit rien que les jeux sources ne disent ; leurs précautions valent ici.",
            "Les extraits partiels du miroir (territoires ou années manquants) font apparaître de fausses fermetures et ouvertures.",
        ],
        "fields": fields,
    }
    if dataset_id == SCHOOL_YEARS_ID:
        raw["school_year"] = {"field": "annee_scolaire", "kind": "annee_scolaire"}
    return raw


_ABOUT: dict[str, tuple[str, str, tuple[str, ...]]] = {
    SCHOOL_YEARS_ID: (
        "Établissements suivis dans le temps (un établissement × une année scolaire)",
        "Une ligne par établissement (UAI) et par année scolaire : les jeux où il figure, son "
        "secteur, son type et sa commune cette année-là, son IPS, son taux de réussite et sa "
        "valeur ajoutée au DNB, ses effectifs là où un jeu les donne, et les événements "
        "détectés (ouverture, changement de code, fermeture présumée).",
        ("uai", "annee_scolaire"),
    ),
    CROSSWALK_ID: (
        "Table de correspondance des UAI (ancien code → nouveau code)",
        "Les changements de code détectés dans les données de cette version et les rattachements "
        "à un établissement mère de l'annuaire, chacun avec sa preuve.",
        ("uai_ancien", "uai_nouveau", "relation"),
    ),
    PANEL_ID: (
        "Panel des établissements (une ligne par établissement, une colonne par indicateur et année)",
        "Le format large de ardoise-etablissements-annees : une ligne par UAI, une colonne par "
        "mesure (IPS, DNB, valeur ajoutée, note à l'écrit, effectifs) et par année scolaire.",
        ("uai",),
    ),
}


def derived_sources(dataset: Dataset, ids: Set[str]) -> frozenset[str]:
    """The datasets of the release (``ids``) a derived table was built from, as its
    descriptor names them (:func:`descriptor`: ``release:data/<id>.parquet``, or
    ``release:data`` for all of them); empty for a dataset read from the mirror.

    >>> from ardoise.catalog.model import Source
    >>> d = Dataset.__new__(Dataset)
    >>> object.__setattr__(d, "id", "derivee")
    >>> object.__setattr__(d, "sources", (Source("release:data/a.parquet"),))
    >>> sorted(derived_sources(d, {"a", "b"}))
    ['a']
    >>> object.__setattr__(d, "sources", (Source("release:data"),))
    >>> sorted(derived_sources(d, {"a", "b"}))
    ['a', 'b']
    >>> object.__setattr__(d, "sources", (Source("ips/ecoles.csv"),))
    >>> derived_sources(d, {"a"})
    frozenset()
    """
    found: set[str] = set()
    for source in dataset.sources:
        if source.path == "release:data":
            found |= set(ids)
        elif source.path.startswith("release:data/") and source.path.endswith(".parquet"):
            found.add(source.path.removeprefix("release:data/").removesuffix(".parquet"))
    return frozenset(found & set(ids)) - {dataset.id}
