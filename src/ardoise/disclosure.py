"""Statistical disclosure control over a linked table of counts.

A :class:`LinkedTable` is a set of count cells tied by additive relations
(``total = part_1 + … + part_k``): the margins of a cross-table and the steps of a
geographic hierarchy. :func:`protect` gives every cell a :class:`Status`:

* primary suppression (``A``): a count in ``1 … threshold-1``;
* primary suppression (``Z``): a zero in a relation along an attribute (sex) whose total
  is a small group (``1 … small_group-1``), i.e. a 0 % / 100 % rate that tells every
  pupil's attribute;
* secondary suppression (``D``): cells hidden so that no suppressed cell can be
  recomputed from the published ones. A heuristic first makes every relation hide zero
  or at least two cells (cheapest cells first: non-zero, small); then an exact audit
  solves, for each connected group of suppressed cells, the linear programme an attacker
  would (published cells fixed, hidden cells ≥ 0) and hides one more cell next to any
  cell whose feasible interval holds a single integer; both steps repeat until none does.
* ``V``: published.

A suppressed cell is never published as zero: callers show no value and the status.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import highspy
import numpy as np

_EPS = 1e-6


class Status(StrEnum):
    PUBLISHED = "V"
    FREQUENCY = "A"
    RATE = "Z"
    SECONDARY = "D"


STATUS_LABELS: dict[Status, str] = {
    Status.PUBLISHED: "publié",
    Status.FREQUENCY: "secret : effectif inférieur au seuil",
    Status.RATE: "secret : taux de 0 % ou 100 % dans un petit groupe",
    Status.SECONDARY: "secret secondaire : permettrait de recalculer une case cachée",
}


@dataclass(frozen=True)
class Rules:
    """Disclosure rules. ``threshold``: smallest publishable non-zero count;
    ``small_group``: below this group size a 0 % / 100 % rate is hidden."""

    threshold: int = 5
    small_group: int = 11


@dataclass(frozen=True)
class Relation:
    """``cells[total] == sum(cells[p] for p in parts)``; ``attribute``: the parts split the
    total by a personal attribute (sex), where the 0 % / 100 % rule applies."""

    total: int
    parts: tuple[int, ...]
    attribute: bool = False


@dataclass(frozen=True)
class LinkedTable:
    keys: tuple[Hashable, ...]
    values: tuple[int, ...]
    relations: tuple[Relation, ...]


def protect(table: LinkedTable, rules: Rules | None = None) -> tuple[Status, ...]:
    """The status of every cell of ``table`` (same order as ``table.keys``)."""
    status = primary(table, rules or Rules())
    members = _members(table)
    by_cell = _relations_by_cell(table, members)
    hidden = {i for i, s in enumerate(status) if s is not Status.PUBLISHED}
    _complete(table, members, by_cell, hidden, range(len(members)), status)
    free: set[int] = set()  # proven free; hiding more cells never pins a free cell again
    while True:
        determined = _audit(table, members, hidden, free)
        if not determined:
            break
        touched: list[int] = []
        for cell in determined:
            extra = _nearest_published(table, cell, members, by_cell, hidden)
            if extra is not None and extra not in hidden:
                hidden.add(extra)
                status[extra] = Status.SECONDARY
                touched.extend(by_cell[extra])
        if not touched:  # nothing left to hide: cannot do better
            break
        _complete(table, members, by_cell, hidden, touched, status)
    return tuple(status)


def primary(table: LinkedTable, rules: Rules) -> list[Status]:
    """Primary suppression only (frequency rule, then 0 % / 100 % rates in small groups)."""
    values = table.values
    status = [Status.FREQUENCY if 0 < v < rules.threshold else Status.PUBLISHED for v in values]
    for rel in table.relations:
        if rel.attribute and 0 < values[rel.total] < rules.small_group:
            for p in rel.parts:
                if values[p] == 0:
                    status[p] = Status.RATE
    return status


def _members(table: LinkedTable) -> list[tuple[int, ...]]:
    return [(rel.total, *rel.parts) for rel in table.relations]


def _relations_by_cell(table: LinkedTable, members: Sequence[tuple[int, ...]]) -> list[list[int]]:
    by_cell: list[list[int]] = [[] for _ in table.values]
    for r, cells in enumerate(members):
        for c in cells:
            by_cell[c].append(r)
    return by_cell


def _cost(table: LinkedTable, cell: int) -> tuple[bool, int, int]:
    # Hiding a zero gives an attacker a bound for free (cells are ≥ 0): avoid it.
    value = table.values[cell]
    return (value == 0, value, cell)


def _cheapest(
    table: LinkedTable,
    relations: Iterable[int],
    members: Sequence[tuple[int, ...]],
    hidden: set[int],
) -> int | None:
    candidates = [c for r in relations for c in members[r] if c not in hidden]
    return min(candidates, key=lambda c: _cost(table, c)) if candidates else None


def _nearest_published(
    table: LinkedTable,
    cell: int,
    members: Sequence[tuple[int, ...]],
    by_cell: Sequence[Sequence[int]],
    hidden: set[int],
) -> int | None:
    """The cheapest published cell in the relations of ``cell``; if they are all hidden, in
    the relations of those hidden cells, and so on outwards."""
    seen_cells = {cell}
    frontier = [cell]
    seen_rels: set[int] = set()
    while frontier:
        rels = [r for c in frontier for r in by_cell[c] if r not in seen_rels]
        seen_rels.update(rels)
        found = _cheapest(table, rels, members, hidden)
        if found is not None:
            return found
        frontier = [c for r in rels for c in members[r] if c not in seen_cells]
        seen_cells.update(frontier)
    return None


def _complete(
    table: LinkedTable,
    members: Sequence[tuple[int, ...]],
    by_cell: Sequence[Sequence[int]],
    hidden: set[int],
    start: Iterable[int],
    status: list[Status],
) -> None:
    """Hide cells until no relation hides exactly one cell (single-unknown elimination)."""
    queue = list(dict.fromkeys(start))
    while queue:
        r = queue.pop()
        cells = members[r]
        if sum(1 for c in cells if c in hidden) != 1:
            continue
        extra = _cheapest(table, [r], members, hidden)
        if extra is None:
            continue
        hidden.add(extra)
        status[extra] = Status.SECONDARY
        queue.extend(by_cell[extra])


def _components(
    members: Sequence[tuple[int, ...]], hidden: set[int]
) -> list[tuple[list[int], list[int]]]:
    """Groups of hidden cells linked by relations, each with the relations touching it."""
    parent: dict[int, int] = {c: c for c in hidden}

    def find(c: int) -> int:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    touching: list[int] = []
    for r, cells in enumerate(members):
        inside = [c for c in cells if c in hidden]
        if not inside:
            continue
        touching.append(r)
        root = find(inside[0])
        for c in inside[1:]:
            other = find(c)
            if other != root:
                parent[other] = root
    cells_of: dict[int, list[int]] = defaultdict(list)
    for c in sorted(hidden):
        cells_of[find(c)].append(c)
    rels_of: dict[int, list[int]] = defaultdict(list)
    for r in touching:
        rels_of[find(next(c for c in members[r] if c in hidden))].append(r)
    return [(cells, rels_of[root]) for root, cells in cells_of.items()]


def _audit(
    table: LinkedTable,
    members: Sequence[tuple[int, ...]],
    hidden: set[int],
    free: set[int],
) -> list[int]:
    """Hidden cells whose value an attacker can recompute exactly (LP interval < 1).
    ``free``: cells already proven free (updated); groups made only of them are skipped."""
    determined: list[int] = []
    with _LOCK:
        for cells, rels in _components(members, hidden):
            if all(c in free for c in cells):
                continue
            determined.extend(_audit_component(table, cells, rels, free))
    return determined


_LOCK = threading.Lock()
_SOLVERS: list[highspy.Highs] = []


def _solver() -> highspy.Highs:
    """One HiGHS instance per process (it prints a banner when created), reused."""
    if not _SOLVERS:
        solver = highspy.Highs()  # type: ignore[no-untyped-call]
        solver.setOptionValue("output_flag", False)
        _SOLVERS.append(solver)
    return _SOLVERS[0]


def _audit_component(
    table: LinkedTable, cells: Sequence[int], rels: Sequence[int], proven: set[int]
) -> list[int]:
    """The cells of one group that the attacker's linear programme pins to one integer:
    for each cell, maximise then minimise it (published cells fixed, hidden ones ≥ 0); every
    solution found also frees the other cells it moves by at least one."""
    values = table.values
    column = {c: j for j, c in enumerate(cells)}
    n = len(cells)
    h = _solver()
    h.clearModel()
    h.addVars(n, np.zeros(n), np.full(n, highspy.kHighsInf))
    for r in rels:
        rel = table.relations[r]
        index: list[int] = []
        coef: list[float] = []
        known = 0
        for c, sign in ((rel.total, 1), *((p, -1) for p in rel.parts)):
            if c in column:
                index.append(column[c])
                coef.append(float(sign))
            else:
                known += sign * values[c]
        h.addRow(-known, -known, len(index), np.array(index, dtype=np.int32), np.array(coef))
    truth = np.array([float(values[c]) for c in cells])
    free = np.array([c in proven for c in cells], dtype=bool)
    columns = np.arange(n, dtype=np.int32)

    def solve(cost: np.ndarray, sense: highspy.ObjSense) -> bool:
        """Optimise ``cost``; mark the cells the solution moves by ≥ 1. False if unbounded."""
        h.changeColsCost(n, columns, cost)
        h.changeObjectiveSense(sense)
        h.run()
        status = h.getModelStatus()
        if status in _UNBOUNDED:
            return False
        if status == highspy.HighsModelStatus.kOptimal:
            free[:] |= np.abs(np.array(h.getSolution().col_value) - truth) >= 1 - _EPS
        return True

    # Random directions first: each solution frees many cells of a large group at once.
    rng = np.random.default_rng(n)
    for _ in range(_RANDOM_ROUNDS if n - int(free.sum()) > _SMALL_GROUP else 0):
        before = int(free.sum())
        solve(rng.standard_normal(n), highspy.ObjSense.kMaximize)
        if free.all() or int(free.sum()) == before:
            break
    determined: list[int] = []
    for j in range(n):
        if free[j]:
            continue
        unit = np.zeros(n)
        unit[j] = 1.0
        for sense in (highspy.ObjSense.kMaximize, highspy.ObjSense.kMinimize):
            if not solve(unit, sense):
                free[j] = True
            if free[j]:
                break
        if not free[j]:
            determined.append(cells[j])
    proven.update(c for c, f in zip(cells, free, strict=True) if f)
    return determined


_RANDOM_ROUNDS = 30
_SMALL_GROUP = 8
_UNBOUNDED = (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible)
