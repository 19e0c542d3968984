"""``search_datasets`` and ``describe_dataset``.

Search is a FILTER, not a ranking (reference §4, datagouv-mcp #116): a dataset is a result
only if it holds every significant word of the query, compared as search keys (upper case,
no accents, plural and prefix tolerant). When nothing holds every word, the tool says so in
words and lists the closest datasets (the most words found) and, separately, the datasets
the official portal publishes that this release does not hold, so that a model never
concludes "no data" from a wording mismatch.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from mcp.server.mcpserver.exceptions import ToolError

from ardoise.mcp.citations import Citer
from ardoise.mcp.release_cache import per_release
from ardoise.mcp.schemas import (
    DatasetDescription,
    DatasetHit,
    DatasetSearch,
    FieldInfo,
    PortalOnly,
)
from ardoise.query.release import DatasetView, ServedRelease
from ardoise.query.territories.search import search_key

MAX_RESULTS = 30
MAX_CLOSE = 5
_PREFIX_MIN = 5  # shorter words must match a whole word ("repas" is not "répartition")
# Words that say nothing about which dataset is wanted.
_STOP_TEXT = """
A AU AUX AVEC CE CES D DANS DE DES DU EN ET L LA LE LES OU PAR POUR QUE QUEL QUELS QUELLE
QUELLES QUI SUR UN UNE DONNEE DONNEES JEU JEUX DATASET DATASETS FICHIER FICHIERS CSV LISTE
NOMBRE TAUX OPEN DATA STATISTIQUE STATISTIQUES CHIFFRE CHIFFRES
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
# Official abbreviations and their spelled-out forms, both ways.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "BREVET": ("DNB",),
    "DNB": ("BREVET",),
    "BAC": ("BACCALAUREAT",),
    "BACCALAUREAT": ("BAC",),
    "IPS": ("POSITION",),
    "ELEVE": ("EFFECTIF",),
    "EFFECTIF": ("ELEVE",),
    "LYCEE": ("LYCEE", "LGT", "LP"),
    "ECOLE": ("ECOLE", "PREMIER"),
    "VACANCE": ("CALENDRIER",),
    "CALENDRIER": ("VACANCE",),
    "UAI": ("ETABLISSEMENT",),
}


def _stem(word: str) -> str:
    if len(word) > 3 and word[-1] in "SX":
        word = word[:-1]
    return word


def words_of(text: str) -> list[str]:
    """Search words of ``text``: search keys, stemmed, stop words removed, in order."""
    out: list[str] = []
    for w in search_key(text).split():
        s = _stem(w)
        if s not in STOP_WORDS and w not in STOP_WORDS and s not in out:
            out.append(s)
    return out


@dataclass(frozen=True)
class _Indexed:
    view: DatasetView
    words: frozenset[str]
    title_words: frozenset[str]


@per_release
def _index(release: ServedRelease) -> tuple[_Indexed, ...]:
    out = []
    for view in release.datasets.values():
        ds = view.dataset
        text = " ".join(
            [
                ds.id.replace("-", " ").replace("_", " "),
                ds.title,
                ds.description,
                " ".join(ds.keywords),
                " ".join(ds.themes),
                " ".join(f"{f.label} {f.name.replace('_', ' ')}" for f in ds.fields),
            ]
        )
        out.append(_Indexed(view, frozenset(words_of(text)), frozenset(words_of(ds.title))))
    return tuple(out)


def _matches(token: str, words: Iterable[str]) -> bool:
    options = (token, *SYNONYMS.get(token, ()))
    return any(
        w == o or (len(o) >= _PREFIX_MIN and w.startswith(o)) for o in options for w in words
    )


def _hit(item: _Indexed, found: list[str]) -> DatasetHit:
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
    tokens = words_of(query)
    index = _index(release)
    catalog = f"{citer.base}/api/explore/v2.1/catalog/datasets?limit=100"
    if not tokens:
        hits = [_hit(i, []) for i in index]
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
    scored = []
    for item in index:
        found = [t for t in tokens if _matches(t, item.words)]
        if found:
            in_title = sum(_matches(t, item.title_words) for t in tokens)
            scored.append((len(found), in_title, item.view.rows, item, found))
    scored.sort(key=lambda s: (-s[0], -s[1], -s[2], s[3].view.id))
    full = [s for s in scored if s[0] == len(tokens)]
    portal = _portal_matches(release, tokens)
    if full:
        hits = [_hit(s[3], s[4]) for s in full[:MAX_RESULTS]]
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
    close = [_hit(s[3], s[4]) for s in scored[:MAX_CLOSE]]
    unknown = [t for t in tokens if not any(_matches(t, i.words) for i in index)]
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


def _spelling(unknown: list[str], index: tuple[_Indexed, ...]) -> list[str]:
    vocabulary = sorted({w for i in index for w in i.words})
    out = []
    for t in unknown:
        near = difflib.get_close_matches(t, vocabulary, n=3, cutoff=0.75)
        if near:
            out.append(
                f"mot « {t.lower()} » inconnu, proches : {', '.join(n.lower() for n in near)}"
            )
    return out


@per_release
def _portal_index(release: ServedRelease) -> tuple[tuple[PortalOnly, tuple[str, ...]], ...]:
    """The portal datasets this release does not hold, with their search words."""
    out = []
    for d in release.portal_catalog():
        ds_id = str(d.get("id") or "")
        if not ds_id or d.get("held") or ds_id in release.datasets:
            continue
        text = " ".join(
            [ds_id.replace("-", " "), str(d.get("title", "")), " ".join(d.get("keywords") or ())]
        )
        item = PortalOnly(
            dataset_id=ds_id, titre=str(d.get("title", "")), url_portail=Citer.portal_url(ds_id)
        )
        out.append((item, tuple(words_of(text))))
    return tuple(out)


def _portal_matches(release: ServedRelease, tokens: list[str]) -> list[PortalOnly]:
    found = [
        item for item, words in _portal_index(release) if all(_matches(t, words) for t in tokens)
    ]
    return found[:MAX_CLOSE]


def closest_ids(release: ServedRelease, dataset_id: str) -> list[str]:
    ids = list(release.datasets)
    near = difflib.get_close_matches(dataset_id, ids, n=5, cutoff=0.5)
    tokens = words_of(dataset_id.replace("-", " ").replace("_", " "))
    for item in _index(release):
        if len(near) >= 5:
            break
        if (
            tokens
            and item.view.id not in near
            and sum(_matches(t, item.words) for t in tokens) >= max(1, len(tokens) - 1)
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
        citation=citer.cite([ds.id], citer.dataset_url(ds.id)),
    )
