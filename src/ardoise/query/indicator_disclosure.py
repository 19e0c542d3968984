"""Count indicators of a restricted dataset, published to readers without a full grant under
disclosure control (issue #16).

An indicator computed from a restricted dataset is computed at publication over every row.
A reader who may not see that dataset whole gets it only when it is a count (aggregation
``sum``, every value a whole number): its values at every level it is computed at form a
linked table (:mod:`ardoise.disclosure`), one per school year, where each territory is the
sum of its children at the level below it among the indicator's levels; :func:`protect`
gives every cell a status, and a suppressed cell is served with no value, no base and no
rank, only its status (``secret_statistique``; A: below the threshold, D: secondary).
Means, rates and medians are not sums of their children: they stay withheld.

A parent that is more than the sum of its children (rows linked to the parent but to no
child, rows under the indicator's minimum base) gets a *remainder* cell, never served but
protected like the others: ``France − Σ régions`` may itself be a small group (the
collectivités d'outre-mer). A parent less than the sum of its children (the académie of
Guadeloupe counts the schools of Saint-Martin and Saint-Barthélemy, the région does not)
is tied to them through two cells never served either, the children's sum and what of it
lies outside the parent (``Σ children = parent + outside``): the difference of two
published figures is a group too, and is protected like one (counted in
:attr:`Protection.overlaps`).

Equal sums prove nothing when the schools of a parent are not those of its children (a
school counted in the académie of another département, or in an académie but in no
département): such a parent is related to the cells of the indicator's lowest level too
(``_recomposed``), so that an attacker who knows where each school is counted gains
nothing the linear programme has not seen (tests/indicators/test_disclosure_property.py).

Published cells are ranked again among the published cells of the same parent only: a
rank among every sibling would bound the hidden ones; they carry no Explore query (the
dataset is not the reader's). Only the years computed from a dataset the reader may not see
whole are protected: a year an indicator draws from a public source is served as computed.

Serving: :func:`protected_indicators` (which indicators the current reader gets protected),
:func:`protection` (memoised per release, access and threshold), :func:`guarded` (the rows
as served) — ``query/indicators.py`` calls them; :func:`prepare_protections` at a release's
load (web app).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ardoise.disclosure import STATUS_LABELS, LinkedTable, Relation, Rules, Status, protect
from ardoise.indicators.model import Definition
from ardoise.query.indicator_index import IndicatorIndex, indicator_index
from ardoise.query.indicator_store import IndicatorStore, store_for
from ardoise.query.release import ServedRelease
from ardoise.referential.levels import FRANCE, LADDER

ADDITIVE = frozenset({"sum"})  # the aggregations whose values are sums of their children
SECRET = "secret_statistique"  # the statut of a suppressed cell
_EPS = 1e-6


def how_to_read(threshold: int) -> str:
    """The paragraph of « Comment lire ces chiffres » of a protected indicator."""
    return (
        "Cet indicateur est calculé sur un jeu de données à accès restreint ; il est publié "
        f"sous secret statistique. Une valeur inférieure à {threshold} n'est pas diffusée "
        "(statut « secret_statistique », code A), ni celles qui permettraient de la retrouver "
        "par différence avec un total (code D, secret secondaire) : une case secrète n'a ni "
        "valeur, ni base, ni rang, et ne vaut jamais zéro. Les rangs comparent les seules "
        "valeurs publiées."
    )


CellKey = tuple[str, str, str]  # (niveau, code, annee_scolaire)


@dataclass(eq=False)
class Protection:
    """The statuses of one indicator's cells (every level and year) and the ranks of its
    published cells among their published siblings. An object, not a dict: the memo keeps it
    weakly (``files_only``)."""

    indicator: str
    status: dict[CellKey, Status]
    ranks: dict[CellKey, tuple[int, int]]
    relations: int  # kept in the linked tables
    remainders: int  # parents larger than the sum of their children
    overlaps: int  # parents smaller than the sum of their children
    seconds: float
    suppressed: int = field(init=False)

    def __post_init__(self) -> None:
        self.suppressed = sum(1 for s in self.status.values() if s is not Status.PUBLISHED)

    def apply(self, row: dict[str, Any]) -> dict[str, Any]:
        """``row`` of the index as this protection serves it."""
        key = (row["niveau"], row["code"], row["annee_scolaire"])
        status = self.status.get(key)
        if status is None:  # absent or not significant: no value already
            return row
        if status is Status.PUBLISHED:  # no Explore query: the dataset is not the reader's
            rank, of = self.ranks.get(key, (None, None))
            return {**row, "rang": rank, "rang_sur": of, "protege": True}
        return {
            **row,
            "valeur": None,
            "base": None,
            "statut": SECRET,
            "secret": status.value,
            "protege": True,
            "numerateur": None,
            "denominateur": None,
            "rang": None,
            "rang_sur": None,
        }


def secret_label(code: str) -> str:
    """The French label of a suppression status (``A``, ``D``…).

    >>> secret_label("A")
    'secret : effectif inférieur au seuil'
    """
    return STATUS_LABELS[Status(code)]


def additive(d: Definition) -> bool:
    """Whether ``d`` is a sum over the hierarchy (a count): only those are published under
    disclosure control."""
    return d.formula.aggregation in ADDITIVE


def whole_numbers(index: IndicatorIndex, d: Definition) -> bool:
    """Whether every value of ``d`` is a whole number (counts; not a sum of FTEs)."""
    table = index.table
    if table.num_rows == 0:
        return True
    mine = pc.equal(table.column("indicateur").cast(pa.string()), d.id)
    values = pc.filter(table.column("valeur"), pc.fill_null(mine, False))
    worst = pc.max(pc.abs(pc.subtract(values, pc.round(values)))).as_py()
    return worst is None or worst < _EPS


def protection_for(
    index: IndicatorIndex,
    d: Definition,
    hidden: frozenset[str] | None = None,
    rules: Rules | None = None,
) -> Protection:
    """Protect the values of ``d`` (see the module's docstring): those of the years computed
    from a dataset of ``hidden`` (None: every year); a year drawn from a public source is
    served as computed."""
    started = time.perf_counter()
    levels = sorted(d.levels, key=LADDER.index)
    by_year: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in _all_rows(index, d):
        if r["statut"] != "ok" or r["valeur"] is None:
            continue
        if hidden is None or hidden & set(str(r["sources"] or "").split(",")):
            by_year[r["annee_scolaire"]][r["niveau"]].append(r)
    status: dict[CellKey, Status] = {}
    counts = [0, 0, 0]  # relations, remainders, overlaps
    for year, rows in sorted(by_year.items()):
        table = _linked_table(year, levels, rows, counts)
        for key, st in zip(table.keys, protect(table, rules or Rules()), strict=True):
            assert isinstance(key, tuple)
            if key[0] != "reste":  # remainders are never served
                status[(str(key[0]), str(key[1]), str(key[2]))] = st
    ranks = _ranks(by_year, status)
    return Protection(
        d.id, status, ranks, counts[0], counts[1], counts[2], time.perf_counter() - started
    )


def _all_rows(index: IndicatorIndex, d: Definition) -> list[dict[str, Any]]:
    return [
        r
        for (ident, level, year) in sorted(index.maps)
        if ident == d.id
        for r in index.map_rows(ident, level, year)
    ]


def _linked_table(
    year: str,
    levels: Sequence[str],
    rows: Mapping[str, Sequence[dict[str, Any]]],
    counts: list[int],
) -> LinkedTable:
    """The linked table of one year: a cell per published value, a relation per parent and
    the level below it among ``levels``, remainder cells where the parent is not the exact
    sum of its children; then, for such a parent, a relation to the cells of the lowest
    level too (its schools): what the remainder is made of may be published there."""
    table = _Builder(year, counts)
    for level in levels:
        for r in rows.get(level, ()):
            table.cell((level, r["code"], year), r["valeur"])
    lowest = levels[0]
    for low, high in pairwise(levels):
        inexact = table.relate(low, high, rows, None)
        if low != lowest:
            inexact |= _recomposed(lowest, low, high, rows)
            table.relate(lowest, high, rows, inexact)
    return LinkedTable(tuple(table.keys), tuple(table.values), tuple(table.relations))


def _key(r: Mapping[str, Any], level: str) -> str | None:
    """The code of ``level`` a row is counted in (its ancestor column)."""
    return FRANCE if level == "france" else r.get(level)


def _recomposed(
    lowest: str, low: str, high: str, rows: Mapping[str, Sequence[dict[str, Any]]]
) -> set[str]:
    """The codes of ``high`` whose cells of the lowest level are not those of its children
    at ``low`` (a school counted in the académie of another département): equal sums
    then prove nothing, the parent is related to its lowest cells too."""
    of_low: dict[str, set[str]] = defaultdict(set)
    of_high: dict[str, set[str]] = defaultdict(set)
    for r in rows.get(lowest, ()):
        if (code := _key(r, low)) is not None:
            of_low[code].add(r["code"])
        if (code := _key(r, high)) is not None:
            of_high[code].add(r["code"])
    through: dict[str, set[str]] = defaultdict(set)
    for r in rows.get(low, ()):
        if (code := _key(r, high)) is not None:
            through[code] |= of_low.get(r["code"], set())
    return {r["code"] for r in rows.get(high, ()) if through[r["code"]] != of_high[r["code"]]}


class _Builder:
    """The cells and relations of one year's linked table, as they are added."""

    def __init__(self, year: str, counts: list[int]) -> None:
        self.year = year
        self.counts = counts  # relations, remainders, overlaps
        self.keys: list[Hashable] = []
        self.values: list[int] = []
        self.index: dict[Hashable, int] = {}
        self.relations: list[Relation] = []

    def cell(self, key: Hashable, value: float) -> int:
        self.index[key] = len(self.keys)
        self.keys.append(key)
        self.values.append(round(value))
        return self.index[key]

    def relate(
        self,
        low: str,
        high: str,
        rows: Mapping[str, Sequence[dict[str, Any]]],
        only: set[str] | None,
    ) -> set[str]:
        """Relate each cell of ``high`` (of ``only``) to the cells of ``low`` counted in it;
        return the codes of ``high`` that are not the exact sum of them."""
        children: dict[str, list[int]] = defaultdict(list)
        for r in rows.get(low, ()):
            if (parent := _key(r, high)) is not None:
                children[str(parent)].append(self.index[(low, r["code"], self.year)])
        inexact: set[str] = set()
        for r in rows.get(high, ()):
            code = r["code"]
            kids = children.get(code)
            if only is not None and code not in only:
                continue
            if not kids:  # all of it is a remainder: only the lowest level may tell
                inexact.add(code)
                continue
            total = self.index[(high, code, self.year)]
            rest = self.values[total] - sum(self.values[k] for k in kids)
            tag = (high, code, self.year, low)
            if rest < 0:  # the children reach outside their parent: Σ children = parent + rest
                whole = self.cell(("reste", "somme", *tag), self.values[total] - rest)
                beyond = self.cell(("reste", "hors", *tag), -rest)
                self.relations += [Relation(whole, tuple(kids)), Relation(whole, (total, beyond))]
                self.counts[2] += 1
                inexact.add(code)
                continue
            if rest > 0:
                kids = [*kids, self.cell(("reste", *tag), rest)]
                self.counts[1] += 1
                inexact.add(code)
            self.relations.append(Relation(total, tuple(kids)))
            self.counts[0] += 1
        return inexact


def _ranks(
    by_year: Mapping[str, Mapping[str, Sequence[dict[str, Any]]]],
    status: Mapping[CellKey, Status],
) -> dict[CellKey, tuple[int, int]]:
    """Rank (1 = highest, ties share a rank) and number of the published cells among the
    published cells of the same level, year and parent; none at the France level."""
    groups: dict[tuple[str, str, object], list[tuple[float, CellKey]]] = defaultdict(list)
    for year, rows in by_year.items():
        for level, level_rows in rows.items():
            if level == "france":
                continue
            for r in level_rows:
                key = (level, r["code"], year)
                if status.get(key) is Status.PUBLISHED:
                    groups[(level, year, r["parent_code"])].append((r["valeur"], key))
    ranks: dict[CellKey, tuple[int, int]] = {}
    for members in groups.values():
        members.sort(key=lambda m: -m[0])
        rank = 0
        for i, (value, key) in enumerate(members):
            if i == 0 or value != members[i - 1][0]:
                rank = i + 1
            ranks[key] = (rank, len(members))
    return ranks


# --- serving: which reader gets which indicator protected ---------------------------------


def unseen_sources(release: ServedRelease) -> frozenset[str]:
    """The datasets whose indicators the current reader may not see (issue #16): those
    hidden from them, and those they see only in part (a row filter, hidden fields), since
    indicators are computed at publication over every row and field: a partial grant would
    otherwise read aggregates of the rows and fields it does not cover."""
    access = release.access()
    return frozenset(d for d in access.restricted if (g := access.grant(d)) is None or not g.full)


def full_store(release: ServedRelease) -> IndicatorStore:
    """Read once per release directory (``files_only``: see ``query/memo.py``)."""
    return release.memo(store_for, lambda: store_for(release.path, release.id), files_only=True)


def protected_indicators(release: ServedRelease) -> frozenset[str]:
    """The indicators computed from a dataset the current reader may not see whole that they
    get under disclosure control: the counts (``indicator_disclosure.additive``, whole
    numbers). Other indicators of such a dataset (means, rates) are withheld from them."""
    hidden = unseen_sources(release)
    if not hidden:
        return frozenset()

    def compute() -> frozenset[str]:
        index = indicator_index(release)
        return frozenset(
            k
            for k, d in full_store(release).definitions.items()
            if hidden & set(d.dataset_ids) and additive(d) and whole_numbers(index, d)
        )

    return release.memo(("indicator_disclosure", "counts"), compute)


def protection(release: ServedRelease, indicator_id: str) -> Protection | None:
    """The disclosure control of one indicator for the current reader (None: served as
    computed), once per release and set of restricted datasets (``ServedRelease.memo``
    scopes the key by them)."""
    if indicator_id not in protected_indicators(release):
        return None
    d = full_store(release).definitions[indicator_id]
    rules = Rules(threshold=release.secret_threshold)
    return release.memo(  # the threshold in the key: shared by releases of other settings
        ("indicator_disclosure", indicator_id, rules.threshold),
        lambda: protection_for(indicator_index(release), d, unseen_sources(release), rules),
        files_only=True,
    )


def prepare_protections(release: ServedRelease) -> None:
    """Compute the disclosure control of every protected indicator for the current reader:
    the web app calls it when it loads a release (anonymous), off the first request."""
    for indicator_id in sorted(protected_indicators(release)):
        protection(release, indicator_id)


def guarded(
    release: ServedRelease, d: Definition, rows: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``rows`` of ``d`` as the current reader may see them."""
    shield = protection(release, d.id)
    return list(rows) if shield is None else [shield.apply(r) for r in rows]
