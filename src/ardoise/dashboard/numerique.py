"""``/numerique``: the numérique éducatif board (issue #19). One section per theme
(equipment, digital labels, territoires numériques éducatifs, teachers' training), each with
a map of where the release holds data, what it holds, and the portal's datasets on the theme
that Ardoise does not hold, named, with an invitation to their producers to publish them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ardoise.dashboard import charts
from ardoise.dashboard.citation import DOWNLOADS
from ardoise.dashboard.contexts import Chart, Link, Page, Table
from ardoise.dashboard.maps import geo_ref, overseas
from ardoise.dashboard.pages import page, sources
from ardoise.extras import installed
from ardoise.french import plural
from ardoise.query import indicators as q
from ardoise.query.presence import records_by_departement
from ardoise.query.release import ServedRelease
from ardoise.query.territories.context import territories_of
from ardoise.urls import ROOT, portal_dataset

PATH = "/numerique"
HELD = "Données détenues"


@dataclass(frozen=True)
class Theme:
    """A section of the board, as declared: the datasets that feed it, its indicators, and
    the id prefixes of the portal's datasets on the theme."""

    id: str
    titre: str
    texte: str
    datasets: tuple[str, ...]
    indicators: tuple[str, ...]
    portal_prefixes: tuple[str, ...]


THEMES = (
    Theme(
        "equipement",
        "Équipement numérique des établissements (enquête ETIC)",
        "Terminaux (ordinateurs, tablettes), réseau et usages déclarés par les collèges et "
        "lycées publics à l'enquête ETIC, arrêtée en 2020.",
        ("fr-en-etic_2d",),
        ("terminaux_pour_100_eleves",),
        ("fr-en-etic_",),
    ),
    Theme(
        "labels",
        "Labels numériques des établissements",
        "Écoles, collèges et lycées labellisés pour leur projet numérique, et niveau du label.",
        (
            "fr-en-occitanie-label-numerique-college",
            "fr-en-occitanie-label-numerique-lycee",
            "fr-en-occitanie-ac-montpellier-label-numerique-ecoles",
        ),
        (),
        (),
    ),
    Theme(
        "tne",
        "Territoires numériques éducatifs (TNE)",
        "Établissements des territoires numériques éducatifs, leur équipement et leur label ; "
        "suivi national du déploiement et des audiences.",
        ("od-indicateurs-2d-colleges-tne",),
        (),
        ("fr-en-tne_suivi", "gestionnaire-dacces-aux-ressources-gar"),
    ),
    Theme(
        "formation",
        "Formation des enseignants au numérique",
        "Heures de formation au numérique par enseignant, personnels formés, satisfaction.",
        ("od-indicateurs-2d-colleges-tne",),
        (),
        (
            "fr-en-tne_personnels_formes",
            "fr-en-tne_duree_formations",
            "fr-en-tne_indicateurs_satisfaction",
        ),
    ),
    Theme(
        "usages",
        "Usages : compétences numériques (Pix) et espaces numériques de travail",
        "Résultats et certifications Pix des élèves, audience des ENT.",
        (),
        (),
        ("fr-en-pix_", "fr-en-dnma-"),
    ),
)


@dataclass(frozen=True)
class HeldDataset:
    id: str
    titre: str
    lignes: int
    couverture: str  # the descriptor's spatial coverage, in its words
    url: str


@dataclass(frozen=True)
class MissingDataset:
    """A dataset the portal publishes on the theme that this release does not hold."""

    id: str
    titre: str
    producteur: str
    enregistrements: int | None
    url: str  # its page on the official portal


@dataclass(frozen=True)
class Section:
    id: str
    titre: str
    texte: str
    couverture: str  # where data exists, said plainly
    detenus: tuple[HeldDataset, ...]
    indicateurs: tuple[Link, ...]
    manquants: tuple[MissingDataset, ...]
    carte: str | None  # id of its coverage map among the page's charts
    carte_ici: bool  # the map is drawn in this section (False: in an earlier one)


@dataclass(frozen=True)
class NumeriquePage:
    page: Page
    sections: tuple[Section, ...]
    charts: tuple[Chart, ...]
    producteurs: Link  # where a producer learns how to publish
    avertissement: str  # where the data held comes from, said first


def producers_link() -> Link:
    """The producers' space (``/producteurs``, issue #15) where it is installed; otherwise the
    API documentation."""
    if installed("producteurs"):
        return Link("l'espace des producteurs", ROOT.producers_space())
    return Link("l'espace des producteurs (documentation de l'API de publication)", ROOT.api_docs())


def numerique_page(release: ServedRelease, query: str) -> NumeriquePage:
    portal = release.portal_catalog()
    indicators = {i.definition.id: i for i in q.list_indicators(release)}
    sections: list[Section] = []
    maps: dict[tuple[str, ...], Chart] = {}
    for theme in THEMES:
        held = tuple(_held(release, ds) for ds in theme.datasets if ds in release.datasets)
        chart, first = None, False
        if held:  # one map per set of datasets: two themes of one file share theirs
            key = tuple(h.id for h in held)
            first = key not in maps
            chart = maps[key] = maps.get(key) or coverage_map(release, theme, query)
        sections.append(
            Section(
                theme.id,
                theme.titre,
                theme.texte,
                _coverage_text(release, theme, held),
                held,
                tuple(
                    Link(indicators[i].definition.title, ROOT.indicator_page(i))
                    for i in theme.indicators
                    if i in indicators
                ),
                _missing(portal, theme),
                chart.id if chart is not None else None,
                first,
            )
        )
    return NumeriquePage(
        page(
            release,
            "Numérique éducatif",
            "Équipement, labels, territoires numériques éducatifs et formation des "
            "enseignants : ce que les données ouvertes disent, où elles existent, et ce qui "
            "manque au niveau national.",
            PATH,
            query,
        ),
        tuple(sections),
        tuple(maps.values()),
        producers_link(),
        _warning(release),
    )


def _warning(release: ServedRelease) -> str:
    """« Les données … sont régionales (Occitanie) … », from the datasets actually held."""
    held = {ds for t in THEMES for ds in t.datasets if ds in release.datasets}
    if not held:
        return "Aucune donnée du numérique éducatif n'est détenue dans cette version."
    if any(release.datasets[ds].dataset.spatial_coverage.national for ds in held):
        return "Une partie des données du numérique éducatif détenues ici est nationale."
    ref = territories_of(release).referential
    regions = set()
    for ds in held:
        for code in records_by_departement(release, ds):
            d = ref.departements.get(code)
            r = ref.regions.get(d.region) if d is not None else None
            if r is not None:
                regions.add(r.nom)
    where = ", ".join(sorted(regions)) or "territoires non rattachés"
    return (
        f"Les données du numérique éducatif détenues ici sont régionales ({where}) : aucun "
        "chiffre national n'en est tiré. Les jeux nationaux publiés sur le portail officiel "
        "mais non détenus sont nommés dans chaque section."
    )


def _held(release: ServedRelease, dataset_id: str) -> HeldDataset:
    view = release.datasets[dataset_id]
    return HeldDataset(
        dataset_id,
        view.dataset.title,
        view.rows,
        view.dataset.spatial_coverage.description,
        ROOT.dataset_page(dataset_id),
    )


def _coverage_text(release: ServedRelease, theme: Theme, held: tuple[HeldDataset, ...]) -> str:
    if not held:
        return "Aucune donnée détenue sur ce thème, nulle part en France."
    national = [h for h in held if release.datasets[h.id].dataset.spatial_coverage.national]
    if national:
        return "Données nationales."
    places = _places(release, theme)
    return (
        "Données régionales seulement, pas de chiffre national : "
        + (" ; ".join(places) if places else "territoires non rattachés")
        + "."
    )


def _places(release: ServedRelease, theme: Theme) -> list[str]:
    """« Occitanie : Ariège (09), Aude (11)… », région by région."""
    ref = territories_of(release).referential
    codes = sorted({c for ds in theme.datasets for c in records_by_departement(release, ds)})
    by_region: dict[str, list[str]] = {}
    for c in codes:
        d = ref.departements.get(c)
        region = ref.regions.get(d.region) if d is not None else None
        name = region.nom if region is not None else "hors référentiel"
        by_region.setdefault(name, []).append(f"{d.nom} ({c})" if d is not None else c)
    return [f"{r} ({', '.join(deps)})" for r, deps in sorted(by_region.items())]


def _missing(portal: list[dict[str, object]], theme: Theme) -> tuple[MissingDataset, ...]:
    out = []
    for entry in portal:
        ident = str(entry.get("id"))
        if entry.get("held") or not ident.startswith(theme.portal_prefixes or ("\0",)):
            continue
        count = entry.get("records_count")
        out.append(
            MissingDataset(
                ident,
                str(entry.get("title") or ident),
                str(entry.get("publisher") or ""),
                int(count) if isinstance(count, int | float) else None,
                portal_dataset(ident),
            )
        )
    return tuple(sorted(out, key=lambda m: m.id))


def coverage_map(release: ServedRelease, theme: Theme, query: str) -> Chart:
    """France by département: where the theme's datasets have records (grey: none)."""
    ref = territories_of(release).referential
    counts: dict[str, int] = {}
    for ds in theme.datasets:
        for code, n in records_by_departement(release, ds).items():
            counts[code] = counts.get(code, 0) + n
    rows: list[dict[str, Any]] = [
        {
            "code": code,
            "nom": d.nom,
            "valeur": counts.get(code),
            "texte": plural(counts[code], "enregistrement") if code in counts else "aucune donnée",
            "statut": "ok" if code in counts else "absent",
            "classe": HELD if code in counts else None,
        }
        for code, d in sorted(ref.departements.items())
    ]
    geo = geo_ref("departement", None)
    far = overseas(release, "departement", [r["code"] for r in rows])
    title = f"Où les données existent : {theme.titre.split(' (')[0].lower()}"
    spec = charts.choropleth(
        title,
        "Par département ; en gris : aucune donnée détenue",
        geo,
        rows,
        (HELD,),
        legend="Couverture",
        overseas=far,
    )
    shown = [r for r in rows if r["valeur"] is not None]
    table = Table(
        f"Départements où les données existent ({theme.titre})",
        ("code", "nom", "valeur", "texte"),
        ("Code", "Département", "Enregistrements", "Couverture"),
        tuple({k: r[k] for k in ("code", "nom", "valeur", "texte")} for r in shown),
    )
    chart_id = f"couverture-{theme.id}"
    resume = (
        f"Carte de France par département : {plural(len(shown), 'département')} avec des "
        f"données ({', '.join(r['nom'] for r in shown) or 'aucun'}), "
        f"{len(rows) - len(shown)} sans donnée, en gris."
    )
    return Chart(
        chart_id,
        "choropleth",
        title,
        resume,
        sources(release, theme.datasets),
        release.id,
        release.created_at,
        table,
        spec,
        {fmt: ROOT.page_chart(PATH, chart_id, fmt, query) for fmt in DOWNLOADS},
        len(rows) - len(shown),
        geo,
    )
