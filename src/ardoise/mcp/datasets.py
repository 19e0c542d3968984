"""``search_datasets`` and ``describe_dataset``.

Search is a FILTER, not a ranking (reference §4, datagouv-mcp #116): the results are the
datasets that the one catalogue search (``ardoise.query.catalog``, the same rule as the v1
API and the dashboard) finds, those holding every significant word of the query compared
as search keys (upper case, no accents, plural and prefix tolerant, brevet/DNB…). This tool
only ranks them. When nothing holds every word, it says so in words and lists the closest
datasets (the most words found) and, separately, the datasets the official portal
publishes that this release does not hold, so that a model never concludes "no data" from
a wording mismatch.
"""

from __future__ import annotations

import difflib

from mcp.server.mcpserver.exceptions import ToolError

from ardoise.mcp.citations import Citer
from ardoise.mcp.schemas import (
    DatasetDescription,
    DatasetHit,
    DatasetSearch,
    FieldInfo,
    PortalOnly,
)
from ardoise.query.catalog import (
    CatalogEntry,
    CatalogQuery,
    WordSet,
    catalog_index,
    search_catalog,
    words,
)
from ardoise.query.release import DatasetView, ServedRelease
from ardoise.urls import portal_dataset

MAX_RESULTS = 30
MAX_CLOSE = 5


def _hit(item: CatalogEntry, found: list[str]) -> DatasetHit:
    ds = item.view.dataset
    first = " ".join(ds.description.split()).split(". ")[0]
    cov = (
        "nationale"
        if ds.spatial_coverage.national
        else (ds.spatial_coverage.description or "partielle")
    )
    return DatasetHit(
        dataset_id=ds.id,
        titre=ds.title,
        description_courte=first[:300] + ("." if not first.endswith(".") else ""),
        lignes=item.view.rows,
        annees_scolaires=school_years(item.view),
        couverture=cov,
        mots_trouves=found,
    )


def school_years(view: DatasetView) -> list[str]:
    return sorted(view.entry.quality.years)


def search_datasets(release: ServedRelease, citer: Citer, query: str) -> DatasetSearch:
    """The datasets the catalogue search finds for ``query`` (ranked: most words in the
    title, then the most rows), or else the closest ones and the portal's."""
    found = search_catalog(release, CatalogQuery(text=query))
    tokens = list(found.words)
    index = catalog_index(release)
    catalog = citer.urls.catalog("limit=100")
    if not tokens:
        hits = [_hit(index[v.id], []) for v in found.datasets]
        return DatasetSearch(
            requete=query,
            mots=[],
            total_count=len(hits),
            resultats=hits,
            proches=[],
            non_detenus=[],
            citation=citer.cite([h.dataset_id for h in hits], catalog),
            message=f"La recherche ne contient aucun mot significatif : voici les {len(hits)} "
            "jeux de la release. Précisez un thème (ex. « IPS collèges », « résultats "
            "du brevet », « effectifs des écoles »).",
        )
    portal = _portal_matches(release, tokens)
    if found.datasets:
        full = sorted((index[v.id] for v in found.datasets), key=lambda i: _rank(i, tokens))
        hits = [_hit(i, tokens) for i in full[:MAX_RESULTS]]
        more = len(full) - len(hits)
        message = (
            f"{len(full)} jeu(x) contiennent tous les mots ({', '.join(tokens)})."
            + (f" Les {more} suivants sont omis : précisez." if more > 0 else "")
            + " Étape suivante : describe_dataset(dataset_id), puis query_records."
        )
        return DatasetSearch(
            requete=query,
            mots=tokens,
            total_count=len(full),
            resultats=hits,
            proches=[],
            non_detenus=portal,
            message=message,
            citation=citer.cite([h.dataset_id for h in hits], catalog),
        )
    return _near_misses(query, tokens, list(index.values()), portal, citer, catalog)


def _rank(item: CatalogEntry, tokens: list[str]) -> tuple[int, int, int, str]:
    """Most words found, then most words in the title, then most rows, then by id."""
    found = len(item.found(tokens))
    in_title = sum(item.title.holds(t) for t in tokens)
    return (-found, -in_title, -item.view.rows, item.view.id)


def _near_misses(
    query: str,
    tokens: list[str],
    index: list[CatalogEntry],
    portal: list[PortalOnly],
    citer: Citer,
    catalog: str,
) -> DatasetSearch:
    """No dataset holds every word: say so, with the datasets holding the most of them."""
    scored = sorted((i for i in index if i.found(tokens)), key=lambda i: _rank(i, tokens))
    close = [_hit(i, i.found(tokens)) for i in scored[:MAX_CLOSE]]
    unknown = [t for t in tokens if not any(i.text.holds(t) for i in index)]
    hints = _spelling(unknown, index)
    message = (
        f"Aucun jeu de la release ne contient tous les mots ({', '.join(tokens)}). "
        "Ce n'est pas la preuve que la donnée n'existe pas : "
    )
    if close:
        message += (
            "voir les jeux les plus proches (« proches »), qui contiennent une partie des mots"
        )
    else:
        message += "aucun jeu ne contient l'un de ces mots"
    if hints:
        message += " ; " + " ; ".join(hints)
    if portal:
        message += (
            " ; le portail officiel publie des jeux correspondants absents de cette "
            "release (« non_detenus »)"
        )
    message += ". Essayez des mots plus courts ou un synonyme (ex. brevet/DNB, bac)."
    return DatasetSearch(
        requete=query,
        mots=tokens,
        total_count=0,
        resultats=[],
        proches=close,
        non_detenus=portal,
        message=message,
        citation=citer.cite([h.dataset_id for h in close], catalog),
    )


def _spelling(unknown: list[str], index: list[CatalogEntry]) -> list[str]:
    vocabulary = sorted({w for i in index for w in i.text.words})
    out = []
    for t in unknown:
        near = difflib.get_close_matches(t, vocabulary, n=3, cutoff=0.75)
        if near:
            out.append(
                f"mot « {t.lower()} » inconnu, proches : {', '.join(n.lower() for n in near)}"
            )
    return out


def _portal_index(release: ServedRelease) -> tuple[tuple[PortalOnly, WordSet], ...]:
    """The portal datasets this release does not hold, with their search words (once per
    release)."""
    return release.memo(_portal_index, lambda: _portal_only(release))


def _portal_only(release: ServedRelease) -> tuple[tuple[PortalOnly, WordSet], ...]:
    out = []
    for d in release.portal_catalog():
        ds_id = str(d.get("id") or "")
        if not ds_id or d.get("held") or ds_id in release.datasets:
            continue
        text = " ".join(
            [ds_id.replace("-", " "), str(d.get("title", "")), " ".join(d.get("keywords") or ())]
        )
        item = PortalOnly(
            dataset_id=ds_id, titre=str(d.get("title", "")), url_portail=portal_dataset(ds_id)
        )
        out.append((item, WordSet.of(text)))
    return tuple(out)


def _portal_matches(release: ServedRelease, tokens: list[str]) -> list[PortalOnly]:
    found = [item for item, words in _portal_index(release) if all(words.holds(t) for t in tokens)]
    return found[:MAX_CLOSE]


def closest_ids(release: ServedRelease, dataset_id: str) -> list[str]:
    ids = list(release.datasets)
    near = difflib.get_close_matches(dataset_id, ids, n=5, cutoff=0.5)
    tokens = words(dataset_id.replace("-", " ").replace("_", " "))
    for item in catalog_index(release).values():
        if len(near) >= 5:
            break
        if (
            tokens
            and item.view.id not in near
            and len(item.found(tokens)) >= max(1, len(tokens) - 1)
        ):
            near.append(item.view.id)
    return near


def view_of(release: ServedRelease, dataset_id: str) -> DatasetView:
    """The dataset, or a tool error naming the closest dataset ids."""
    view = release.datasets.get(dataset_id.strip())
    if view is not None:
        return view
    near = closest_ids(release, dataset_id.strip())
    hint = (
        f"Identifiants proches : {', '.join(near)}."
        if near
        else "Cherchez d'abord avec search_datasets(query)."
    )
    raise ToolError(
        f"Jeu de données inconnu : {dataset_id[:100]!r}. {hint} Les identifiants "
        "sont ceux du portail (ex. fr-en-ips-colleges-ap2022)."
    )


def describe_dataset(release: ServedRelease, citer: Citer, dataset_id: str) -> DatasetDescription:
    view = view_of(release, dataset_id)
    ds = view.dataset
    quality = view.entry.quality.to_json()
    years = dict(sorted((quality.pop("years", None) or {}).items()))
    tc = ds.temporal_coverage
    temporal = tc.description or (
        f"{len(tc.years)} année(s) : {', '.join(tc.years)}"
        if tc.years
        else "sans dimension annuelle"
    )
    return DatasetDescription(
        dataset_id=ds.id,
        titre=ds.title,
        description=ds.description.strip(),
        producteur=ds.publisher,
        licence=ds.licence,
        source=ds.source_url,
        frequence=ds.frequency,
        champs=[
            FieldInfo(
                nom=f.name, libelle=f.label, type=f.type, description=f.description, unite=f.unit
            )
            for f in ds.fields
        ],
        cle=list(ds.key),
        champ_annee_scolaire=ds.school_year.field if ds.school_year else None,
        annees_scolaires={str(k): int(v) for k, v in years.items()},
        couverture_temporelle=temporal,
        nationale=ds.spatial_coverage.national,
        couverture_spatiale=ds.spatial_coverage.description,
        territoires_couverts=[
            f"{t.niveau}:{t.code} ({t.nom})" for t in ds.spatial_coverage.territories
        ],
        lignes=view.rows,
        qualite=quality,
        precautions=list(ds.caveats),
        document=f"ardoise://jeux/{ds.id}",
        citation=citer.cite([ds.id], citer.urls.dataset(ds.id)),
    )
