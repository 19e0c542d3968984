"""``find_territory``: a name as a person writes it ("Lozère", "académie de Lyon", "collège
Jean Moulin à Lyon", a commune, a UAI) → territory codes, through the same search as the
territory API (``query.territories.search_territories``).

It never guesses: when several territories answer equally well (the commune and the
académie of Lyon, the four communes named Saint-Denis), it lists them all with the
``niveau:code`` to pass to the other tools, and says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mcp.server.mcpserver.exceptions import ToolError

from ardoise.mcp.citations import Citer
from ardoise.mcp.schemas import TerritoryCandidate, TerritoryResolution
from ardoise.odsql.errors import InvalidParameter
from ardoise.query import territories as T
from ardoise.query.release import ServedRelease
from ardoise.query.territories import levels
from ardoise.query.territories.context import territories_of
from ardoise.query.territories.search import MAX_LIMIT, Entry, search_key
from ardoise.urls import ROOT

MAX_CANDIDATES = 20
# "académie de Lyon" → (academie, "Lyon"); the prefix names the level.
_PREFIXES = (
    (re.compile(r"^ACADEMIE (?:DE |D |DU |DES )?(?:LA |L )?(.+)$"), "academie"),
    (re.compile(r"^(?:DEPARTEMENT|DEPT|DEP) (?:DE |D |DU |DES )?(?:LA |L )?(.+)$"), "departement"),
    (re.compile(r"^REGION (?:ACADEMIQUE )?(?:DE |D |DU |DES )?(?:LA |L )?(.+)$"), "region"),
    (re.compile(r"^(?:COMMUNE|VILLE) (?:DE |D )?(.+)$"), "commune"),
)
_SCHOOL_WORDS = ("ECOLE", "COLLEGE", "LYCEE", "EREA", "CIO", "SEGPA", "GROUPE SCOLAIRE")
# "collège Jean Moulin à Lyon", "collège Jean Moulin (Lyon)", "collège Jean Moulin, Lyon"
_PLACE = re.compile(r"^(.+?)(?:\s+(?:à|a|au|aux)\s+|\s*,\s*|\s*\()([^()]+?)\)?\s*$", re.IGNORECASE)
_STOP = frozenset({"DE", "DU", "DES", "D", "LA", "LE", "LES", "L", "ET", "A", "AU", "AUX"})


def find_territory(release: ServedRelease, citer: Citer, name: str) -> TerritoryResolution:
    text = name.strip()
    if not text:
        raise ToolError(
            "Donnez un nom ou un code : « Lozère », « académie de Lyon », "
            "« collège Jean Moulin à Lyon », « 69123 », « 0690001A »."
        )
    candidates, exact = _candidates(release, text)
    items = [_candidate(citer, r) for r in candidates[:MAX_CANDIDATES]]
    if not items:
        return TerritoryResolution(
            requete=text,
            statut="aucun",
            resultats=[],
            message="Aucun territoire ni établissement ne correspond. Vérifiez l'orthographe, "
            "précisez le niveau (« académie de … », « département de … », « commune "
            "de … ») ou donnez un code : département (69), commune INSEE (69123), "
            "académie (10), UAI (0690001A).",
        )
    if len(exact) == 1 and (len(items) == 1 or exact[0].correspondance in ("code", "nom")):
        only = _candidate(citer, exact[0])
        others = [i for i in items if (i.niveau, i.code) != (only.niveau, only.code)]
        note = (
            f" D'autres noms commencent pareil ({len(others)}), voir resultats." if others else ""
        )
        return TerritoryResolution(
            requete=text,
            statut="trouve",
            resultats=[only, *others],
            message=f"Un seul territoire porte ce nom ou ce code : {only.libelle} "
            f"(territory={only.argument}).{note}",
        )
    several = len(exact) > 1
    shown = [_candidate(citer, r) for r in exact] if several else items
    rest = [i for i in items if (i.niveau, i.code) not in {(s.niveau, s.code) for s in shown}]
    listed = [*shown, *rest][:MAX_CANDIDATES]
    total = len(exact) if several else len(candidates)
    capped = total >= MAX_LIMIT  # the search stops at MAX_LIMIT, best (exact) first
    count = f"au moins {total}" if capped else str(total)
    cut = (
        f" Seuls les {len(listed)} premiers sont listés : précisez la recherche."
        if total > len(listed)
        else ""
    )
    return TerritoryResolution(
        requete=text,
        statut="homonymes",
        resultats=listed,
        message=f"{count} territoires ou établissements correspondent "
        f"{'exactement' if several else 'en partie'} : "
        + "; ".join(f"{s.libelle} ({s.argument})" for s in shown[:8])
        + (" …" if len(shown) > 8 else "")
        + ". Ne choisissez pas au hasard : demandez lequel, ou précisez le niveau, le "
        "département ou la commune." + cut,
    )


def _candidates(
    release: ServedRelease, text: str
) -> tuple[list[T.SearchResult], list[T.SearchResult]]:
    """(every candidate best first, those that answer exactly: code or full name)."""
    key = search_key(text)
    niveau: str | None = None
    query = text
    for pattern, level in _PREFIXES:
        m = pattern.match(key)
        if m:
            niveau, query = level, m.group(1)
            break
    place = _PLACE.match(text)
    if niveau is None and place and _is_school(search_key(place.group(1))):
        found = _schools_in(release, place.group(1), place.group(2))
        return found, found if len(found) == 1 else []
    results = T.search_territories(release, query, niveau, MAX_LIMIT)
    if not results and niveau is None and _is_school(key):
        results = _schools_in(release, text, None)
    exact = [r for r in results if r.correspondance in ("code", "nom")]
    return results, exact


def _is_school(key: str) -> bool:
    return any(key.startswith(w) for w in _SCHOOL_WORDS)


@dataclass(frozen=True)
class _School:
    entry: Entry
    words: tuple[str, ...]  # of its name


def _schools_by_commune(release: ServedRelease) -> dict[str, tuple[_School, ...]]:
    """The search index's schools grouped by the search key of their commune ("LYON 5E
    ARRONDISSEMENT", from the label "Collège X — Lyon 5e Arrondissement (69)"), once per
    release."""
    return release.memo(_schools_by_commune, lambda: _group_schools(release))


def _group_schools(release: ServedRelease) -> dict[str, tuple[_School, ...]]:
    groups: dict[str, list[_School]] = {}
    for e in territories_of(release).search.entries:
        if e.niveau == "etablissement" and e.keys:
            commune = search_key(e.libelle.rpartition("—")[2])
            groups.setdefault(commune, []).append(_School(e, tuple(e.keys[0].split())))
    return {k: tuple(v) for k, v in groups.items()}


def school_name(release: ServedRelease, niveau: str, code: str) -> str | None:
    """The name of a school (the indicator table names territories, not schools)."""
    if niveau != "etablissement":
        return None
    index = territories_of(release).search
    for i in index.by_code.get(code, ()):
        if index.entries[i].niveau == "etablissement":
            return index.entries[i].libelle
    return None


def _schools_in(release: ServedRelease, name: str, place: str | None) -> list[T.SearchResult]:
    """Schools whose name holds every word of ``name`` (prefixes) in the commune ``place``."""
    words = [w for w in search_key(name).split() if w not in _STOP]
    where = search_key(place) if place else None
    out: list[T.SearchResult] = []
    for commune, schools in _schools_by_commune(release).items():
        if where and not (commune.startswith(where) or f" {where}" in f" {commune}"):
            continue
        for school in schools:
            if not all(any(o.startswith(w) for o in school.words) for w in words):
                continue
            e = school.entry
            tier = "nom" if len(school.words) == len(words) else "mot"
            out.append(
                T.SearchResult(
                    e.niveau,
                    e.code,
                    e.nom,
                    e.libelle,
                    e.population,
                    tier,
                    ROOT.place(e.niveau, e.code),
                )
            )
            if len(out) >= MAX_LIMIT:
                return out
    return out


def _candidate(citer: Citer, r: T.SearchResult) -> TerritoryCandidate:
    return TerritoryCandidate(
        niveau=r.niveau,
        code=r.code,
        nom=r.nom,
        libelle=r.libelle,
        correspondance=r.correspondance,
        argument=f"{r.niveau}:{r.code}",
        url=citer.absolute(r.url) or r.url,
    )


def resolve(release: ServedRelease, citer: Citer, territory: str) -> tuple[str, str]:
    """The ``territory`` argument of a tool → ``(niveau, code)``.

    ``niveau:code`` (``departement:69``), ``france`` or a UAI are taken as they are; a name
    is resolved by :func:`find_territory` and accepted only when it names one territory.
    """
    text = territory.strip()
    if not text:
        raise ToolError(
            "L'argument territory est vide : donnez niveau:code (ex. "
            "departement:48, academie:10, commune:69123, etablissement:0690001A, "
            "france) ou un nom, après find_territory."
        )
    head = text.partition(":")[0]
    if ":" in text and _is_level(head):
        return levels.parse(text, parameter="territory")
    if search_key(text) in ("FRANCE", "FR", "NATIONAL", "FRANCE ENTIERE"):
        return "france", levels.FRANCE
    if levels.UAI.fullmatch(text.upper()):
        return "etablissement", text.upper()
    found = find_territory(release, citer, text)
    if found.statut == "trouve":
        return found.resultats[0].niveau, found.resultats[0].code
    if found.statut == "aucun":
        raise ToolError(f"Territoire introuvable : {text[:100]!r}. {found.message}")
    raise ToolError(
        f"Territoire ambigu : {text[:100]!r}. {found.message} Passez ensuite territory=niveau:code."
    )


def _is_level(text: str) -> bool:
    try:
        levels.level(text)
    except InvalidParameter:
        return False
    return True
