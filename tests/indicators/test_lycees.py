"""Indicators of the SOURCES.md §3 datasets on the sample release: enrolment of lycées pro
and the share of girls per speciality, by hand at every level (issue #19)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.indicators import sample

Values = dict[tuple[str, str, str, str], tuple[Any, ...]]
YEAR = "2022-2023"
PLACES = {  # level, code → départements (by name in the files) it takes in
    ("departement", "69"): ("RHONE",),
    ("departement", "42"): ("LOIRE",),
    ("academie", "10"): ("RHONE", "LOIRE"),
    ("region", "84"): ("RHONE", "LOIRE"),
    ("region", "53"): ("ILLE-ET-VILAINE",),
    ("france", "FR"): ("RHONE", "LOIRE", "ILLE-ET-VILAINE"),
}


@pytest.mark.parametrize(("level", "code"), sorted(PLACES))
def test_lycee_pro_enrolment_at_every_level(values: Values, level: str, code: str) -> None:
    rows = [r for r in sample.LYCEES_PRO if r[3] in PLACES[(level, code)]]
    given = [r[4] for r in rows if r[4] != ""]
    value, base, status, *_ = values[("effectif_lycees_pro", level, code, YEAR)]
    if not given:  # the Loire's one lycée has no total: absent, not zero
        assert (value, status) == (None, "absent")
        return
    assert (value, base, status) == (float(sum(given)), len(given), "ok")
    girls = sum(r[5] for r in rows)
    pupils = sum(r[5] + r[6] for r in rows)
    share = values[("part_filles_lycees_pro", level, code, YEAR)]
    if pupils < 20:  # Bretagne: 15 pupils, below the declared minimum base
        assert share[2] == "non_significatif"
        return
    assert share[0] == pytest.approx(100 * girls / pupils)
    assert share[1:3] == (pupils, "ok")


def test_lycee_pro_school_values(values: Values) -> None:
    for _, uai, _, _, total, girls, boys in sample.LYCEES_PRO:
        row = values.get(("effectif_lycees_pro", "etablissement", uai, YEAR))
        if total == "":  # no total published: no value for that lycée (never a zero)
            assert row is None or row[2] == "absent"
        else:
            assert row is not None and row[:3] == (float(total), 1, "ok")
        share = values[("part_filles_lycees_pro", "etablissement", uai, YEAR)]
        if girls + boys < 20:  # below the declared minimum base
            assert share[2] == "non_significatif"
        else:
            assert share[0] == pytest.approx(100 * girls / (girls + boys))


@pytest.mark.parametrize(
    ("ident", "columns"),
    [
        ("part_filles_specialite_mathematiques", (4, 5)),
        ("part_filles_specialite_maths_physique", (6, 7)),
    ],
)
def test_share_of_girls_per_speciality(
    values: Values, ident: str, columns: tuple[int, int]
) -> None:
    f, g = columns
    for (level, code), deps in PLACES.items():
        # an empty cell is no pupil; a lycée with both cells empty does not count
        rows = [
            [0 if v == "" else v for v in r]
            for r in sample.SPECIALITES
            if r[3] in deps and (r[f], r[g]) != ("", "")
        ]
        girls, pupils = sum(r[f] for r in rows), sum(r[f] + r[g] for r in rows)
        value, base, status, *_ = values[(ident, level, code, YEAR)]
        if not rows:
            assert status == "absent"
        elif pupils < 20:
            assert status == "non_significatif"
        else:
            assert (base, status) == (pupils, "ok")
            assert value == pytest.approx(100 * girls / pupils)
    # Rennes' lycée: 12 pupils in mathématiques, 3 in the doublette: below 20 either way
    rennes = values[(ident, "etablissement", "0350008U", YEAR)]
    assert rennes[2] == "non_significatif"
    # the girls' lycée counts its girls (25 in mathématiques: 100 %), not nothing; the lycée
    # teaching neither has no value, and leaves the Loire absent
    girls_only = values[(ident, "etablissement", "0690011M", YEAR)]
    if ident == "part_filles_specialite_mathematiques":
        assert girls_only[:3] == (100.0, 25, "ok")
    else:
        assert girls_only[1:3] == (9, "non_significatif")
    assert values.get((ident, "etablissement", "0420012K", YEAR), (None, None, "absent"))[2] == (
        "absent"
    )
    assert values[(ident, "departement", "42", YEAR)][2] == "absent"
