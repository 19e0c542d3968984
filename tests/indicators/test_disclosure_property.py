"""Property test of the disclosure control of count indicators (issue #16): random schools
with random counts in a small hierarchy, some of them linked to no département (the
académie is then more than the sum of its départements) or to the académie of another
département (an académie less than the sum of its départements); whatever the draw, an
attacker who knows where every school is counted and every published value cannot pin any
suppressed cell to one value.

The attacker is written here over the schools themselves (one unknown ≥ 0 per school,
each published cell the sum of its schools), with scipy's linear programming: stronger
than the linked table the code builds, which only relates cells to cells.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from ardoise.disclosure import Status
from ardoise.indicators.loader import load_definitions
from ardoise.query.indicator_disclosure import protection_for

YEAR = "2022-2023"
# département → académie → région (the referential)
ACADEMIE = {"D1": "A1", "D2": "A1", "D3": "A2", "D4": "A3", "D5": "A3"}
REGION = {"A1": "R1", "A2": "R1", "A3": "R2"}
DEFINITION = next(d for d in load_definitions() if d.id == "effectif_lycees_pro")
assert DEFINITION.levels == ("etablissement", "departement", "academie", "region", "france")


class FakeIndex:
    """The two methods of ``IndicatorIndex`` that ``protection_for`` reads."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.by_level: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            self.by_level[r["niveau"]].append(r)
        self.maps = {(DEFINITION.id, level, YEAR): (0, 1) for level in self.by_level}

    def map_rows(self, _ident: str, niveau: str, _annee: str) -> list[dict[str, Any]]:
        return self.by_level[niveau]


School = tuple[str, int, str]  # (département, count, link: full / sans_dep / autre_aca)
Members = dict[tuple[str, str], list[int]]  # (niveau, code) → the schools it counts


def _rows(schools: list[School]) -> tuple[list[dict[str, Any]], Members]:
    members: Members = defaultdict(list)
    links: list[tuple[str | None, str]] = []
    for i, (dep, _, link) in enumerate(schools):
        aca = ACADEMIE[dep]
        if link == "autre_aca":
            aca = next(a for a in REGION if a != aca)
        key_dep = None if link == "sans_dep" else dep
        links.append((key_dep, aca))
        members[("etablissement", f"E{i}")].append(i)
        if key_dep:
            members[("departement", key_dep)].append(i)
        members[("academie", aca)].append(i)
        members[("region", REGION[aca])].append(i)
        members[("france", "FR")].append(i)
    rows = []
    for (level, code), group in members.items():
        if level == "etablissement":
            dep, aca = links[group[0]]
            ancestors = {"departement": dep, "academie": aca, "region": REGION[aca]}
        elif level == "departement":
            ancestors = {"academie": ACADEMIE[code], "region": REGION[ACADEMIE[code]]}
        elif level == "academie":
            ancestors = {"region": REGION[code]}
        else:
            ancestors = {}
        rows.append(
            {
                "niveau": level,
                "code": code,
                "annee_scolaire": YEAR,
                "valeur": float(sum(schools[i][1] for i in group)),
                "statut": "ok",
                "sources": "jeu",
                "parent_code": None,
                "commune": None,
                **{"departement": None, "academie": None, "region": None, **ancestors},
            }
        )
    return rows, members


schools_strategy = st.lists(
    st.tuples(
        st.sampled_from(sorted(ACADEMIE)),
        st.one_of(st.integers(0, 6), st.integers(1, 60)),
        st.sampled_from(["full", "full", "full", "sans_dep", "autre_aca"]),
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(schools_strategy)
def test_no_suppressed_cell_can_be_pinned(schools: list[School]) -> None:
    rows, members = _rows(schools)
    protection = protection_for(FakeIndex(rows), DEFINITION)  # type: ignore[arg-type]
    status = {(level, code): s for (level, code, _), s in protection.status.items()}
    assert set(status) == set(members)
    values = {k: sum(schools[i][1] for i in group) for k, group in members.items()}
    for cell, s in status.items():
        if 0 < values[cell] < 5:
            assert s is Status.FREQUENCY, cell
    hidden = [c for c, s in status.items() if s is not Status.PUBLISHED]
    if not hidden:
        return
    n = len(schools)
    a_eq, b_eq = [], []
    for cell, s in status.items():
        if s is Status.PUBLISHED:
            a_eq.append([1.0 if i in members[cell] else 0.0 for i in range(n)])
            b_eq.append(float(values[cell]))
    for cell in hidden:
        cost = [1.0 if i in members[cell] else 0.0 for i in range(n)]
        low = linprog(cost, A_eq=a_eq or None, b_eq=b_eq or None, bounds=(0, None))
        high = linprog([-c for c in cost], A_eq=a_eq or None, b_eq=b_eq or None, bounds=(0, None))
        assert low.status == 0
        if high.status == 0:  # bounded: the interval must hold more than one integer
            assert -high.fun - low.fun >= 1 - 1e-6, (cell, low.fun, -high.fun)
