"""``/qualite`` (quality reports and coverage gaps), ``/a-propos`` (what Ardoise is,
licences, method, release history) and ``/recherche`` (territories and schools by name)."""

from __future__ import annotations

from pathlib import Path

from ardoise.dashboard.contexts import (
    AboutPage,
    GapRow,
    Link,
    QualityPage,
    QualityRow,
    ReleaseItem,
    SearchPage,
)
from ardoise.dashboard.figures import LEVEL_LABELS
from ardoise.dashboard.pages import page
from ardoise.french import plural
from ardoise.query import indicators as q
from ardoise.query import territories as T
from ardoise.query.release import ServedRelease
from ardoise.release.store import ReleaseStore
from ardoise.urls import ROOT


def quality_page(release: ServedRelease, query: str) -> QualityPage:
    rows = []
    for v in release.datasets.values():
        rows.append(
            QualityRow(
                v.id,
                v.dataset.title,
                v.entry.status,
                v.rows,
                v.entry.quality.blocking,
                v.entry.quality.warnings,
                ROOT.dataset_page(v.id),
            )
        )
    titles = {i.definition.id: i.definition.title for i in q.list_indicators(release)}
    gaps = []
    for entry in q.coverage(release).indicateurs:
        ind = str(entry.get("indicateur"))
        holes = [str(y) for y in entry.get("annees_manquantes") or []]
        absent = [s for s in entry.get("sources") or [] if not s.get("present", True)]
        parts = []
        if holes:
            parts.append(f"années sans donnée : {', '.join(holes)}")
        if absent:
            parts.append(
                "sources absentes de cette version : "
                + ", ".join(str(s.get("jeu")) for s in absent)
            )
        n_anom = len(entry.get("anomalies") or [])
        if n_anom:
            parts.append(plural(n_anom, "anomalie signalée"))
        gaps.append(
            GapRow(
                ind,
                titles.get(ind, ind),
                tuple(str(y) for y in entry.get("annees") or []),
                " ; ".join(parts) or "aucune lacune signalée",
            )
        )
    return QualityPage(
        page(
            release,
            "Qualité des données",
            "Rapports de qualité de chaque jeu de la version servie et lacunes de couverture "
            "des indicateurs.",
            ROOT.quality_page(),
            query,
        ),
        tuple(rows),
        tuple(gaps),
    )


def about_page(release: ServedRelease, query: str) -> AboutPage:
    store = ReleaseStore(Path(release.path).parent.parent)
    items = tuple(
        ReleaseItem(r.id, r.created_at, r.datasets, r.rows, r.current)
        for r in reversed(store.list())
    )
    licences = tuple(sorted({v.dataset.licence for v in release.datasets.values()}))
    return AboutPage(
        page(
            release,
            "À propos d'Ardoise",
            "Ce qu'est Ardoise, les licences des données, la fabrication des chiffres et "
            "l'historique des versions.",
            ROOT.about_page(),
            query,
        ),
        items,
        licences,
    )


def search_page(release: ServedRelease, text: str, query: str) -> SearchPage:
    text = text.strip()[:200]
    found = T.search_territories(release, text, None, 20) if text else []
    results = tuple(
        Link(
            f"{r.libelle} ({LEVEL_LABELS.get(r.niveau, r.niveau)})",
            ROOT.place_page(r.niveau, r.code),
        )
        for r in found
    )
    if text:
        results += tuple(
            Link(f"Indicateur : {i.definition.title}", ROOT.indicator_page(i.definition.id))
            for i in q.list_indicators(release)
            if text.lower() in i.definition.title.lower()
        )
    return SearchPage(
        page(
            release,
            "Recherche",
            "Territoires, établissements et indicateurs.",
            ROOT.search_page(),
            query,
        ),
        text,
        results,
    )
