"""Statistical disclosure control: an attacker who knows the hierarchy and every published
cell tries to recompute every suppressed cell, by single-unknown elimination with interval
propagation and by linear programming over the whole table, and must fail."""

from __future__ import annotations

import itertools
import math
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from ardoise.disclosure import Rules, Status, primary
from ardoise.errors import ArdoiseError
from ardoise.scolarite.statistics import (
    ALL,
    LEVELS,
    Cell,
    Count,
    Place,
    Statistics,
    linked_table,
    statistics,
)

Key = tuple[str, str, str, str]


def random_registry(seed: int) -> tuple[list[Count], dict[str, Place]]:
    rng = random.Random(seed)
    counts: list[Count] = []
    places: dict[str, Place] = {}
    n = 0
    for a in range(rng.randint(1, 2)):
        for d in range(rng.randint(1, 2)):
            for c in range(rng.randint(1, 3)):
                for _ in range(rng.randint(1, 3)):
                    n += 1
                    uai = f"{n:07d}X"
                    places[uai] = Place(f"C{a}{d}{c}", f"D{a}{d}", f"A{a}")
                    for level in rng.sample(["6e", "5e", "4e", "3e"], rng.randint(1, 3)):
                        for sexe in ("F", "M"):
                            size = rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12, 20, 35])
                            counts.append(Count(uai, level, sexe, size))
    return counts, places


def public_equations(
    cells: Sequence[Cell], places: Mapping[str, Place]
) -> list[tuple[Key, list[Key]]]:
    """Every additive identity a reader can write from the published rows and the public
    hierarchy, derived from the rows themselves (not from the library's relations)."""
    present = {(c.niveau_geo, c.code, c.niveau, c.sexe) for c in cells}
    parent: dict[tuple[str, str], tuple[str, str]] = {}
    for uai, p in places.items():
        chain = [
            ("etablissement", uai),
            ("commune", p.commune),
            ("departement", p.departement),
            ("academie", p.academie),
        ]
        for child, up in itertools.pairwise(chain):
            parent[child] = up
    equations: list[tuple[Key, list[Key]]] = []
    by_sex: dict[tuple[str, str, str], list[Key]] = defaultdict(list)
    by_level: dict[tuple[str, str, str], list[Key]] = defaultdict(list)
    by_parent: dict[Key, list[Key]] = defaultdict(list)
    for key in present:
        geo, code, niveau, sexe = key
        if sexe != ALL:
            by_sex[(geo, code, niveau)].append(key)
        if niveau != ALL:
            by_level[(geo, code, sexe)].append(key)
        if (geo, code) in parent:
            up = parent[(geo, code)]
            by_parent[(*up, niveau, sexe)].append(key)
    equations += [((*k, ALL), parts) for k, parts in by_sex.items()]
    equations += [((k[0], k[1], ALL, k[2]), parts) for k, parts in by_level.items()]
    equations += list(by_parent.items())
    for total, _ in equations:
        assert total in present
    return equations


def eliminate(cells: Sequence[Cell], equations: list[tuple[Key, list[Key]]]) -> dict[Key, int]:
    """Single-unknown elimination with interval propagation (cells are ≥ 0)."""
    low: dict[Key, float] = {}
    high: dict[Key, float] = {}
    for c in cells:
        key = (c.niveau_geo, c.code, c.niveau, c.sexe)
        low[key] = high[key] = c.effectif if c.effectif is not None else math.nan
        if c.effectif is None:
            low[key], high[key] = 0, math.inf
    changed = True
    while changed:
        changed = False
        for total, parts in equations:
            s_low, s_high = sum(low[p] for p in parts), sum(high[p] for p in parts)
            if s_low > low[total] or s_high < high[total]:
                low[total], high[total] = max(low[total], s_low), min(high[total], s_high)
                changed = True
            for p in parts:
                o_low = s_low - low[p]
                o_high = s_high - high[p]
                new_low = max(low[p], low[total] - o_high)
                new_high = min(high[p], high[total] - o_low)
                if new_low > low[p] or new_high < high[p]:
                    s_low, s_high = s_low - low[p] + new_low, s_high - high[p] + new_high
                    low[p], high[p] = new_low, new_high
                    changed = True
    hidden = [(c.niveau_geo, c.code, c.niveau, c.sexe) for c in cells if c.effectif is None]
    return {
        k: int(low[k])
        for k in hidden
        if math.isfinite(high[k]) and math.floor(high[k]) <= math.ceil(low[k])
    }


def lp_recompute(
    cells: Sequence[Cell], equations: list[tuple[Key, list[Key]]]
) -> dict[Key, tuple[float, float]]:
    """Cells whose LP interval (published cells fixed, hidden cells ≥ 0) holds one integer."""
    value = {(c.niveau_geo, c.code, c.niveau, c.sexe): c.effectif for c in cells}
    hidden = [k for k, v in value.items() if v is None]
    col = {k: j for j, k in enumerate(hidden)}
    rows, cols, data, rhs = [], [], [], []
    for i, (total, parts) in enumerate(equations):
        known = 0
        for key, sign in ((total, 1), *((p, -1) for p in parts)):
            v = value[key]
            if v is None:
                rows.append(i)
                cols.append(col[key])
                data.append(float(sign))
            else:
                known += sign * v
        rhs.append(-known)
    a = coo_matrix((data, (rows, cols)), shape=(len(equations), len(hidden))).tocsr()
    disclosed: dict[Key, tuple[float, float]] = {}
    for key in hidden:
        bounds = []
        for sense in (1.0, -1.0):
            c = np.zeros(len(hidden))
            c[col[key]] = sense
            res = linprog(
                c, A_eq=a, b_eq=np.array(rhs, dtype=float), bounds=(0, None), method="highs"
            )
            assert res.status in (0, 3), res.message
            bounds.append(sense * res.fun if res.status == 0 else math.inf)
        lo, hi = bounds
        if math.isfinite(hi) and math.floor(hi + 1e-6) <= math.ceil(lo - 1e-6):
            disclosed[key] = (lo, hi)
    return disclosed


def check_protected(stats: Statistics, places: Mapping[str, Place]) -> None:
    cells = stats.cells
    rules = stats.rules
    for c in cells:
        if c.statut is Status.PUBLISHED:
            assert c.effectif is not None
            assert c.effectif == 0 or c.effectif >= rules.threshold, c
        else:
            assert c.effectif is None, c  # never a zero, never the value
    equations = public_equations(cells, places)
    assert eliminate(cells, equations) == {}
    assert lp_recompute(cells, equations) == {}


@pytest.mark.parametrize("seed", range(12))
def test_random_registries_resist_recomputation(seed: int) -> None:
    counts, places = random_registry(seed)
    stats = statistics(counts, places)
    assert stats.suppressed > 0
    check_protected(stats, places)


def test_the_attacker_recomputes_cells_when_only_primary_suppression_is_applied() -> None:
    # The attack is real: without secondary suppression it recovers hidden cells.
    found = 0
    for seed in range(4):
        counts, places = random_registry(seed)
        table = linked_table(counts, places)
        status = primary(table, Rules())
        cells = [
            Cell(*k, v if s is Status.PUBLISHED else None, s)  # type: ignore[misc]
            for k, v, s in zip(table.keys, table.values, status, strict=True)
        ]
        equations = public_equations(cells, places)
        recomputed = eliminate(cells, equations)
        found += len(recomputed)
        truth = dict(zip(table.keys, table.values, strict=True))
        assert all(truth[k] == v for k, v in recomputed.items())
        found += len(lp_recompute(cells, equations))
    assert found > 0


def test_small_cells_rates_and_margins() -> None:
    places = {"0000001A": Place("C1", "D1", "A1"), "0000002B": Place("C1", "D1", "A1")}
    counts = [
        Count("0000001A", "6e", "F", 3),
        Count("0000001A", "6e", "M", 40),
        Count("0000001A", "5e", "F", 30),
        Count("0000001A", "5e", "M", 25),
        Count("0000002B", "6e", "F", 8),
        Count("0000002B", "6e", "M", 0),
        Count("0000002B", "5e", "F", 50),
        Count("0000002B", "5e", "M", 60),
    ]
    stats = statistics(counts, places)
    got = {(c.niveau_geo, c.code, c.niveau, c.sexe): c for c in stats.cells}
    assert got[("etablissement", "0000001A", "6e", "F")].statut is Status.FREQUENCY
    # 8 girls, 0 boys: a 100 % rate in a group of 8 says every pupil's sex
    assert got[("etablissement", "0000002B", "6e", "M")].statut is Status.RATE
    assert got[("etablissement", "0000002B", "6e", "M")].effectif is None
    assert {c.niveau_geo for c in stats.cells} == set(LEVELS)
    assert got[("academie", "A1", ALL, ALL)].effectif == 216
    check_protected(stats, places)


def test_threshold_is_configurable() -> None:
    counts, places = random_registry(3)
    strict = statistics(counts, places, Rules(threshold=11))
    loose = statistics(counts, places, Rules(threshold=2))
    assert strict.suppressed > loose.suppressed
    for stats in (strict, loose):
        check_protected(stats, places)


def test_an_inconsistent_hierarchy_is_an_error_not_a_wrong_table() -> None:
    places = {"0000001A": Place("C1", "D1", "A1"), "0000002B": Place("C1", "D2", "A1")}
    counts = [Count("0000001A", "6e", "F", 30), Count("0000002B", "6e", "F", 30)]
    with pytest.raises(ArdoiseError, match="Hiérarchie incohérente"):
        statistics(counts, places)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 7),
            st.sampled_from(["6e", "5e", "4e"]),
            st.sampled_from(["F", "M"]),
            st.sampled_from([0, 1, 2, 3, 4, 5, 6, 9, 12, 30]),
        ),
        min_size=1,
        max_size=40,
    ),
    st.integers(2, 8),
)
def test_property_no_suppressed_cell_can_be_recomputed(
    cells: list[tuple[int, str, str, int]], threshold: int
) -> None:
    places = {f"{i:07d}S": Place(f"C{i // 2}", f"D{i // 4}", "A0") for i in range(8)}
    counts = [Count(f"{i:07d}S", level, sexe, n) for i, level, sexe, n in cells]
    if not any(c.effectif for c in counts):
        return
    check_protected(statistics(counts, places, Rules(threshold=threshold)), places)
