"""Indicators of the served release: one data function per resource (STYLE.md L1).

Every surface (API, dashboard, MCP) calls these. Values come from ``indicators/valeurs.parquet``
(held in memory by ``indicator_index``) computed when the release was published; every value
carries its provenance: the version of the indicator's definition, its source datasets,
the release and the URL answering exactly it: the Explore API query that reproduces it
from its dataset, or, for a share of a subset, the indicator API's value (its reading holds
the grouped Explore query checking it).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, urlencode

from ardoise.errors import NotFound
from ardoise.indicators.aggregations import AGGREGATIONS
from ardoise.indicators.model import THEMES, Definition
from ardoise.indicators.reading import how_to_read as _how_to_read
from ardoise.odsql.errors import InvalidParameter
from ardoise.query import indicator_disclosure as secrecy
from ardoise.query.indicator_disclosure import (
    full_store,
    guarded,
    protected_indicators,
    unseen_sources,
)
from ardoise.query.indicator_index import indicator_index
from ardoise.query.indicator_store import ExploreQuery, IndicatorStore
from ardoise.query.release import ServedRelease
from ardoise.query.territories import levels as territory_levels
from ardoise.referential.levels import LADDER, ladder
from ardoise.urls import ROOT

_YEAR = re.compile(r"([0-9]{4})-([0-9]{4})")


class IndicatorNotFound(NotFound):
    pass


@dataclass(frozen=True)
class Provenance:
    version: int  # of the indicator's definition
    sources: tuple[str, ...]  # dataset ids
    release: str
    requete: str | None  # relative Explore API URL reproducing the value
    lecture: str | None  # how to read its answer, when it is not one row


@dataclass(frozen=True)
class IndicatorInfo:
    definition: Definition
    theme_label: str
    aggregation_label: str
    base_label: str
    annees: tuple[str, ...]
    couverture: dict[str, Any]  # its entry of couverture.json
    secret: int | None = None  # a count of a restricted dataset under disclosure control:
    # the smallest count published (ARDOISE_INDICATEURS_SECRET_SEUIL)


@dataclass(frozen=True)
class IndicatorValue:
    indicateur: str
    niveau: str
    code: str
    nom: str | None
    annee: str
    valeur: float | None
    base: int | None
    statut: str  # ok, non_significatif, absent
    numerateur: float | None
    denominateur: float | None
    parent: tuple[str, str] | None  # (niveau, code)
    rang: int | None  # among the territories of the same level and parent (1 = highest)
    rang_sur: int | None
    provenance: Provenance
    secret: str | None = None  # suppressed under disclosure control: A (threshold), D

    @property
    def secret_libelle(self) -> str | None:
        """Why the value is suppressed, in French (None when it is not)."""
        return secrecy.secret_label(self.secret) if self.secret else None


@dataclass(frozen=True)
class IndicatorValues:
    indicator: IndicatorInfo
    niveau: str
    annee: str
    parent: tuple[str, str] | None
    values: tuple[IndicatorValue, ...]


@dataclass(frozen=True)
class TerritoryIndicator:
    indicator: IndicatorInfo
    annee: str  # the year shown (the one asked, or the latest with a value)
    value: IndicatorValue
    parents: tuple[IndicatorValue, ...]  # the same indicator for each ancestor, then France
    serie: tuple[IndicatorValue, ...]  # every year of the indicator


@dataclass(frozen=True)
class TerritoryIndicators:
    niveau: str
    code: str
    nom: str | None
    ancestors: tuple[tuple[str, str], ...]  # (niveau, code), nearest first, France last
    annee: str | None  # as asked
    release: str
    items: tuple[TerritoryIndicator, ...]


@dataclass(frozen=True)
class Coverage:
    release: str
    indicateurs: tuple[dict[str, Any], ...]


def _store(release: ServedRelease) -> IndicatorStore:
    """The store, without the indicators computed from a dataset the current reader may not
    see whole (issue #16), except the counts served under disclosure control."""
    store = full_store(release)
    hidden = unseen_sources(release)
    if not hidden:
        return store
    counts = protected_indicators(release)
    kept = {
        k: d for k, d in store.definitions.items() if not hidden & set(d.dataset_ids) or k in counts
    }
    return replace(store, definitions=kept)


def hides_indicators(release: ServedRelease) -> bool:
    """Whether some indicator is computed from a dataset the current reader may not see
    whole (its raw values then stay out of SQL, even for a count served protected)."""
    hidden = unseen_sources(release)
    if not hidden:
        return False
    return any(hidden & set(d.dataset_ids) for d in full_store(release).definitions.values())


def _info(
    store: IndicatorStore, d: Definition, secret: frozenset[str], threshold: int = 0
) -> IndicatorInfo:
    agg = AGGREGATIONS[d.formula.aggregation]
    return IndicatorInfo(
        d,
        THEMES.get(d.theme, d.theme),
        agg.label,
        agg.base,
        store.years(d.id),
        dict(store.coverage.get(d.id, {})),
        threshold if d.id in secret else None,
    )


def list_indicators(release: ServedRelease) -> tuple[IndicatorInfo, ...]:
    store = _store(release)
    secret = protected_indicators(release)
    threshold = release.secret_threshold
    return tuple(_info(store, d, secret, threshold) for d in store.definitions.values())


def indicator(release: ServedRelease, indicator_id: str) -> IndicatorInfo:
    store = _store(release)
    d = store.definitions.get(indicator_id)
    if d is None:
        known = ", ".join(store.definitions) or "aucun"
        raise IndicatorNotFound(
            f"Indicateur inconnu : {indicator_id[:80]!r} (indicateurs : {known})."
        )
    return _info(store, d, protected_indicators(release), release.secret_threshold)


def coverage(release: ServedRelease) -> Coverage:
    store = _store(release)
    return Coverage(
        release.id, tuple(dict(store.coverage[i]) for i in store.definitions if i in store.coverage)
    )


def school_year(raw: str | None, *, parameter: str = "annee") -> str | None:
    """A school year ``2023-2024`` (``2023-24`` accepted); None when not given."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    short = re.fullmatch(r"([0-9]{4})-([0-9]{2})", text)
    if short:
        text = f"{short.group(1)}-{short.group(1)[:2]}{short.group(2)}"
    match = _YEAR.fullmatch(text)
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        raise InvalidParameter(
            f"Valeur invalide pour le paramètre {parameter} : {raw[:40]!r} ; attendu une année "
            "scolaire AAAA-AAAA (ex. 2023-2024 ; une session d'examen 2024 est l'année "
            "2023-2024)."
        )
    return text


def indicator_values(
    release: ServedRelease,
    indicator_id: str,
    niveau: str,
    annee: str | None = None,
    parent: tuple[str, str] | None = None,
    code: str | None = None,
) -> IndicatorValues:
    """Every territory of ``niveau`` (under ``parent``) for one year: what a map needs;
    with ``code``, that territory only (the URL citing one value)."""
    info = indicator(release, indicator_id)
    d = info.definition
    level = territory_levels.level(niveau)
    if level not in d.levels:
        raise InvalidParameter(
            f"L'indicateur {d.id} n'est pas calculé au niveau {level} "
            f"(niveaux : {', '.join(d.levels)})."
        )
    year = _year_of(info, annee)
    if parent is not None:
        parent = _check_parent(release, level, parent)
    within = parent if parent is not None and parent[0] != "france" else None
    rows = indicator_index(release).map_rows(d.id, level, year, within)
    if code is not None:
        rows = [row for row in rows if row["code"] == code]
    store = _store(release)
    values = tuple(_value(store, d, row) for row in guarded(release, d, rows))
    return IndicatorValues(info, level, year, parent, values)


def _year_of(info: IndicatorInfo, annee: str | None) -> str:
    year = school_year(annee)
    if not info.annees:
        raise IndicatorNotFound(
            f"L'indicateur {info.definition.id} n'a aucune valeur dans "
            "cette release (sources absentes)."
        )
    if year is None:
        return info.annees[-1]
    if year not in info.annees:
        raise InvalidParameter(
            f"L'indicateur {info.definition.id} n'a pas de valeur pour l'année {year} "
            f"(années : {', '.join(info.annees)})."
        )
    return year


def _check_parent(release: ServedRelease, level: str, parent: tuple[str, str]) -> tuple[str, str]:
    p_level, p_code = parent
    if p_level == "etablissement" or LADDER.index(p_level) <= LADDER.index(level):
        raise InvalidParameter(
            f"Valeur invalide pour le paramètre parent : le niveau {p_level} n'est pas "
            f"au-dessus du niveau {level}."
        )
    if p_level != "france" and _store(release).name(p_level, p_code) is None:
        raise territory_levels.TerritoryNotFound(f"Territoire inconnu : {p_level} {p_code}.")
    return p_level, p_code


def _cited(d: Definition, row: dict[str, Any], query: ExploreQuery) -> ExploreQuery:
    """A share of a subset (« part des collèges privés ») has no Explore ``select`` giving
    it in one row (ODSQL has no conditional sum): its citation is the indicator API's URL
    of exactly this value, the grouped Explore query that checks it from the dataset
    itself kept in the reading."""
    params = urlencode(
        {"niveau": row["niveau"], "code": row["code"], "annee": row["annee_scolaire"]},
        quote_via=quote,
    )
    return ExploreQuery(
        ROOT.indicator_values(d.id, params),
        f"une seule valeur : celle citée ; vérification depuis le jeu : {query.url} "
        f"({query.lecture})",
    )


def _value(store: IndicatorStore, d: Definition, row: dict[str, Any]) -> IndicatorValue:
    sources = tuple(s for s in str(row["sources"] or "").split(",") if s)
    query = None
    if row["statut"] != "absent" and sources and not row.get("protege"):
        query = store.explore(d, sources[0], row["niveau"], row["code"], row["annee_scolaire"])
    if query is not None and query.lecture and d.formula.aggregation == "ratio_of_sums":
        query = _cited(d, row, query)
    parent = (row["parent_niveau"], row["parent_code"]) if row["parent_niveau"] else None
    return IndicatorValue(
        indicateur=d.id,
        niveau=row["niveau"],
        code=row["code"],
        nom=store.name(row["niveau"], row["code"]),
        annee=row["annee_scolaire"],
        valeur=row["valeur"],
        base=row["base"],
        statut=row["statut"],
        numerateur=row["numerateur"],
        denominateur=row["denominateur"],
        parent=parent,
        rang=row["rang"],
        rang_sur=row["rang_sur"],
        provenance=Provenance(
            d.version,
            sources,
            store.release_id,
            query.url if query else None,
            query.lecture if query else None,
        ),
        secret=row.get("secret"),
    )


def territory_indicators(
    release: ServedRelease,
    niveau: str,
    code: str,
    annee: str | None = None,
    *,
    only: Collection[str] | None = None,
) -> TerritoryIndicators:
    """Every indicator of one territory (or ``only`` these ids): value, parents, rank and
    series over the years."""
    level = territory_levels.level(niveau)
    territory = territory_levels.code(level, code)
    wanted = school_year(annee)
    store = _store(release)
    known = store.ancestors(level, territory)
    if known is None:  # a school: its ancestors are in its rows
        rows = indicator_index(release).territory_rows(level, territory)
        if not rows:
            raise territory_levels.TerritoryNotFound(
                f"Territoire inconnu ou sans indicateur : {level} {territory}."
            )
        ancestors = tuple((lv, rows[0][lv]) for lv in ladder("commune", "region") if rows[0][lv])
        ancestors += (("france", "FR"),)
        parent_rows = _by_territory(_rows_of(release, ancestors))
    else:  # one query for the territory and its ancestors
        ancestors = known
        found = _by_territory(_rows_of(release, ((level, territory), *ancestors)))
        rows = [r for key, group in found.items() if key[1:3] == (level, territory) for r in group]
        rows.sort(key=lambda r: (r["indicateur"], r["annee_scolaire"]))
        if not rows:
            raise territory_levels.TerritoryNotFound(
                f"Territoire inconnu ou sans indicateur : {level} {territory}."
            )
        parent_rows = found
    items = []
    secret = protected_indicators(release)
    for d in store.definitions.values():
        if only is not None and d.id not in only:
            continue
        own = guarded(release, d, [r for r in rows if r["indicateur"] == d.id])
        if not own:
            continue
        info = _info(store, d, secret, release.secret_threshold)
        year = wanted or _latest(own)
        serie = tuple(_value(store, d, r) for r in own)
        shown = next((v for v in serie if v.annee == year), None) or _absent(
            d, store, level, territory, year
        )
        parents = tuple(
            _value(store, d, r)
            for lv, c in ancestors
            for r in guarded(release, d, parent_rows.get((d.id, lv, c, year), ()))
        )
        items.append(TerritoryIndicator(info, year, shown, parents, serie))
    return TerritoryIndicators(
        level, territory, store.name(level, territory), ancestors, wanted, release.id, tuple(items)
    )


def _rows_of(
    release: ServedRelease, territories: Sequence[tuple[str, str]]
) -> list[dict[str, Any]]:
    """The rows of several territories, by indicator then year."""
    index = indicator_index(release)
    out = [r for lv, c in territories for r in index.territory_rows(lv, c)]
    out.sort(key=lambda r: (r["indicateur"], r["annee_scolaire"]))
    return out


def _by_territory(
    rows: Sequence[dict[str, Any]],
) -> dict[tuple[str, str, str, str], list[dict[str, Any]]]:
    """(indicateur, niveau, code, année) → rows."""
    out: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault((r["indicateur"], r["niveau"], r["code"], r["annee_scolaire"]), []).append(r)
    return out


def _latest(rows: Sequence[dict[str, Any]]) -> str:
    with_value = [r["annee_scolaire"] for r in rows if r["statut"] != "absent"]
    return str(max(with_value or [r["annee_scolaire"] for r in rows]))


def _absent(
    d: Definition, store: IndicatorStore, level: str, code: str, year: str
) -> IndicatorValue:
    """A year the indicator does not cover: no value, said so."""
    return IndicatorValue(
        d.id,
        level,
        code,
        store.name(level, code),
        year,
        None,
        None,
        "absent",
        None,
        None,
        None,
        None,
        None,
        Provenance(d.version, d.dataset_ids, store.release_id, None, None),
    )


def how_to_read(info: IndicatorInfo) -> tuple[str, ...]:
    """« Comment lire ces chiffres » for one indicator: plain-French paragraphs (what the
    figure measures, how it climbs the levels, the base under which it is not shown, the
    uncertainty of small schools; the disclosure control of a count of a restricted
    dataset)."""
    note = secret_note(info)
    return _how_to_read(info.definition) + ((note,) if note else ())


def secret_note(info: IndicatorInfo) -> str | None:
    """What the disclosure control of a count of a restricted dataset hides (None when the
    indicator is served as computed)."""
    return secrecy.how_to_read(info.secret) if info.secret else None


def territory_name(release: ServedRelease, niveau: str, code: str) -> str | None:
    """The referential's name of a territory (None for a school or an unknown code)."""
    return _store(release).name(niveau, code)
