"""« Comment lire ces chiffres »: what an indicator's figures say and do not say, in plain
French for parents, drawn from its definition (unit, aggregation, base, levels, theme), so
that every indicator has one and none says something its definition does not hold.
"""

from __future__ import annotations

from ardoise.indicators.model import Definition

_IPS = (
    "L'indice de position sociale (IPS) résume les conditions sociales, économiques et "
    "culturelles des familles des élèves (professions et diplômes des parents…) : il vaut "
    "environ 100 en moyenne nationale ; plus il est élevé, plus les familles sont "
    "favorisées. Ce n'est ni une note de l'établissement ni une mesure de sa qualité."
)
_RESULTS = (
    "Un résultat brut dépend beaucoup des élèves accueillis : classer les établissements sur "
    "ce seul chiffre avantage ceux dont les familles sont favorisées. Comparez plutôt avec "
    "des établissements semblables (même type, même secteur, IPS voisin) et sur plusieurs "
    "années."
)
_VALUE_ADDED = (
    "Une valeur ajoutée compare le résultat observé à celui attendu compte tenu des élèves "
    "(âge, origine sociale…) : au-dessus de 0, l'établissement fait mieux qu'attendu ; "
    "elle a elle aussi une marge d'incertitude, grande pour les petits effectifs."
)
_SMALL = (
    "Pour un petit établissement, quelques élèves de plus ou de moins suffisent à faire "
    "varier le chiffre de plusieurs points d'une année à l'autre : une différence faible "
    "avec un voisin ou avec l'année précédente peut tenir au hasard."
)
_CLIMB = (
    "La valeur d'une commune, d'un département, d'une académie ou d'une région est calculée "
    "à partir de toutes les lignes de ses établissements (jamais comme une moyenne de "
    "moyennes) : elle pèse chaque élève ou chaque établissement comme la formule le dit."
)
_AGGREGATIONS = {
    "sum": "C'est un total : il grandit avec la taille du territoire ; pour comparer des "
    "territoires de tailles différentes, préférez un taux ou une moyenne.",
    "mean": "C'est une moyenne des établissements : chaque établissement compte pour un, "
    "quel que soit son nombre d'élèves.",
    "weighted_mean": "C'est une moyenne pondérée : chaque établissement compte selon son "
    "nombre d'élèves (ou de candidats).",
    "ratio_of_sums": "C'est un rapport de sommes : le total du numérateur divisé par le total "
    "du dénominateur sur tout le territoire, si bien que les grands établissements pèsent "
    "davantage que les petits.",
    "reference": "C'est la valeur publiée telle quelle par le ministère pour ce territoire "
    "(elle n'est pas recalculée ici).",
}


def how_to_read(d: Definition) -> tuple[str, ...]:
    """The paragraphs of the indicator's « Comment lire ces chiffres » block.

    >>> from ardoise.indicators.loader import load_definitions
    >>> ips = next(d for d in load_definitions() if d.id == "ips_moyen_colleges")
    >>> parts = how_to_read(ips)
    >>> parts[0].startswith("L'indice de position sociale")
    True
    """
    out: list[str] = []
    if "ips" in d.id.split("_") or d.unit == "indice":
        out.append(_IPS)
    if d.id.startswith("va_"):
        out.append(_VALUE_ADDED)
    elif d.theme == "resultats":
        out.append(_RESULTS)
    out.append(_AGGREGATIONS[d.formula.aggregation])
    if d.min_base > 1:
        out.append(
            f"Sous une base de {d.min_base}, la valeur n'est pas affichée (« non "
            "significatif ») : calculée sur si peu, elle dirait surtout le hasard."
        )
    if d.start_level == "etablissement":
        out.append(_SMALL)
    if d.formula.aggregation != "reference" and len(d.levels) > 1:
        out.append(_CLIMB)
    return tuple(out)
