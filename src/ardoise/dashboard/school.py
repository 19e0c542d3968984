"""``/etablissements/{uai}``: a school, its indicators beside its commune, département,
académie and France over the years, and every dataset's rows for it; what is missing is said."""

from __future__ import annotations

from collections.abc import Mapping

from ardoise.dashboard.contexts import FairComparison, SchoolPage, SeriesTable, Table
from ardoise.dashboard.figures import number
from ardoise.dashboard.pages import breadcrumb, page, parent_links
from ardoise.dashboard.territory import indicator_panel
from ardoise.errors import NotFound
from ardoise.french import accented
from ardoise.query import indicators as q
from ardoise.query import territories as T
from ardoise.query.comparison import MIN_GROUP, fair_comparison
from ardoise.query.release import ServedRelease
from ardoise.query.school_timeline import school_timeline
from ardoise.query.territories.schools import KINDS
from ardoise.urls import ROOT

MAX_ROWS = 30


def school_page(
    release: ServedRelease, uai: str, params: Mapping[str, str], path: str, query: str
) -> SchoolPage:
    e = T.etablissement(release, uai)
    nom = e.nom or e.uai
    annee = q.school_year(params.get("annee"))
    try:
        result: q.TerritoryIndicators | None = q.territory_indicators(
            release, "etablissement", e.uai, annee
        )
    except NotFound:
        result = None
    comps, _chosen, filtres, chart_list = indicator_panel(
        release, result, nom, params, path=path, query=query
    )
    return SchoolPage(
        page(
            release,
            nom,
            f"{nom} ({e.uai}) : identité, indicateurs comparés à la commune, "
            "au département, à l'académie et à la France, et données par source.",
            path,
            query,
            breadcrumb(e.parents),
        ),
        e.uai,
        nom,
        _identity(e),
        e.localisation,
        parent_links(e.parents),
        tuple(filtres),
        comps,
        tuple(chart_list),
        _series(e),
        _missing(e),
        _peers(release, e.uai),
        _timeline(release, e.uai),
    )


def _timeline(release: ServedRelease, uai: str) -> Table | None:
    """The school year by year (``ardoise-etablissements-annees``), oldest first."""
    years = school_timeline(release, uai)
    if not years:
        return None
    rows = tuple(
        {
            "annee": y.annee_scolaire,
            "sources": ", ".join(y.sources),
            "secteur": y.secteur or "—",
            "type": y.type or "—",
            "commune": y.commune or "—",
            "ips": _rounded(y.ips),
            "dnb": _rounded(y.taux_reussite_dnb),
            "va": _rounded(y.va_taux_reussite_dnb),
            "effectifs": y.effectifs,
            "evenement": _event(y.evenement, y.uai_predecesseur, y.uai_successeur),
        }
        for y in years
    )
    return Table(
        "Chronologie : l'établissement année par année, dans les jeux de cette version des données",
        (
            "annee",
            "sources",
            "secteur",
            "type",
            "commune",
            "ips",
            "dnb",
            "va",
            "effectifs",
            "evenement",
        ),
        (
            "Année scolaire",
            "Sources",
            "Secteur",
            "Type",
            "Commune",
            "IPS",
            "Réussite au DNB (%)",
            "Valeur ajoutée",
            "Effectifs",
            "Événement",
        ),
        rows,
    )


_EVENTS = {
    "ouverture": "ouverture (annuaire)",
    "fermeture_presumee": "absent l'année suivante (fermeture présumée)",
}


def _event(codes: str | None, before: str | None, after: str | None) -> str:
    out = []
    for code in (codes or "").split(", "):
        if code == "nouveau_code" and before:
            out.append(f"nouveau code (ancien : {before})")
        elif code == "ancien_code" and after:
            out.append(f"ancien code (nouveau : {after})")
        elif code:
            out.append(_EVENTS.get(code, code))
    return " ; ".join(out)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _peers(release: ServedRelease, uai: str) -> FairComparison | None:
    """The school against schools of the same type and sector with a similar IPS."""
    peers = fair_comparison(release, uai)
    if peers is None:
        return None
    kind = KINDS.get(peers.kind, peers.kind)
    sector = f", secteur {peers.secteur}" if peers.secteur else ""
    groupe = (
        f"{number(peers.taille, 0)} établissements de même type ({kind}{sector}) dont l'IPS "
        f"{peers.annee} est à {number(peers.bande, 0)} points ou moins de celui-ci "
        f"({number(peers.ips, 1)})."
    )
    rows = tuple(
        {
            "indicateur": f.titre,
            "annee_scolaire": f.annee,
            "etablissement": _rounded(f.valeur),
            "groupe": _rounded(f.groupe),
            "membres": f.membres,
            "ecart": _rounded(f.ecart),
        }
        for f in peers.figures
    )
    return FairComparison(
        groupe,
        "Un classement brut compare des établissements dont les élèves ne partent pas du "
        "même point : les résultats suivent beaucoup l'origine sociale des familles. "
        "Comparer avec des établissements qui accueillent des élèves semblables (même "
        f"type, même secteur, IPS voisin) dit mieux ce que l'établissement apporte. La "
        f"moyenne du groupe n'est donnée qu'à partir de {MIN_GROUP} établissements ayant "
        "une valeur ; un écart de quelques points peut tenir au hasard.",
        Table(
            "Résultats comparés aux établissements semblables",
            ("indicateur", "annee_scolaire", "etablissement", "groupe", "membres", "ecart"),
            (
                "Indicateur",
                "Année scolaire",
                "Cet établissement",
                "Moyenne du groupe",
                "Établissements du groupe ayant une valeur",
                "Écart",
            ),
            rows,
        ),
    )


def _identity(e: T.Etablissement) -> tuple[tuple[str, str], ...]:
    """(label, value) of what identifies the school; a value missing is said."""
    identite = [("UAI", e.uai)]
    for label, value in (
        ("Nature", e.nature),
        ("Type", e.type_libelle),
        ("Secteur", e.secteur),
        ("Commune", e.commune.nom if e.commune else None),
    ):
        identite.append((label, value or "non renseigné"))
    if e.localisation:
        identite.append(
            (
                "Coordonnées",
                f"{number(e.localisation['lat'], 5)}, {number(e.localisation['lon'], 5)}",
            )
        )
    return tuple(identite)


def _series(e: T.Etablissement) -> tuple[SeriesTable, ...]:
    """Every dataset's rows for the school, by school year."""
    return tuple(
        SeriesTable(
            s.dataset_id,
            s.titre,
            Table(
                s.titre,
                ("annee_scolaire", *(f.name for f in s.champs)),
                (
                    "Année scolaire",
                    *(accented(f.label) + (f" ({f.unit})" if f.unit else "") for f in s.champs),
                ),
                tuple(
                    {k: r.get(k) for k in ("annee_scolaire", *(f.name for f in s.champs))}
                    for r in s.lignes[:MAX_ROWS]
                ),
            ),
            s.annees_sans_ligne,
            ROOT.dataset_page(s.dataset_id, territoire=f"etablissement:{e.uai}"),
        )
        for s in e.series
    )


def _missing(e: T.Etablissement) -> tuple[str, ...]:
    """What is missing for the school, and why (never silently)."""
    manquants = [f"{m.titre} : {m.raison}" for m in e.series_absentes]
    manquants += [
        f"{s.titre} : pas de ligne pour les années {', '.join(s.annees_sans_ligne)}."
        for s in e.series
        if s.annees_sans_ligne
    ]
    if not e.localisation:
        manquants.append("Localisation : aucune source ne donne les coordonnées.")
    return tuple(manquants)
