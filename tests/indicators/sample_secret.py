"""The indicator sample with other vocational lycées (issue #16, disclosure control): the
dataset ``fr-en-lycee_pro-effectifs-niveau-sexe-lv`` gives ``effectif_lycees_pro`` (a count,
published under disclosure control when the dataset is restricted) and
``part_filles_lycees_pro`` (a rate, withheld). One lycée of the Rhône has 3 pupils, the one
lycée of Seine-Maritime 2: under the threshold (5).

Every level is the exact sum of the level below it: the tests relate the cells from these
rows and the referential of ``sample``, not from the code under test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.indicators import sample
from tests.indicators.sample import build_referential, write_catalog

__all__ = ["LYCEES_PRO", "build_referential", "write_catalog", "write_mirror"]

# (rentrée, uai, académie, département, élèves, 2ndes filles, 2ndes garçons)
LYCEES_PRO: list[tuple[Any, ...]] = [
    (2022, "0690007H", "LYON", "RHONE", 300, 40, 60),
    (2022, "0690008J", "LYON", "RHONE", 200, 30, 20),
    (2022, "0690020X", "LYON", "RHONE", 3, 1, 2),  # under the threshold
    (2022, "0420010H", "LYON", "LOIRE", 120, 20, 20),
    (2022, "0420011J", "LYON", "LOIRE", 80, 10, 15),
    (2022, "0350008U", "RENNES", "ILLE-ET-VILAINE", 150, 12, 3),
    (2022, "0350009V", "RENNES", "ILLE-ET-VILAINE", 60, 10, 10),
    (2022, "0140001A", "NORMANDIE", "CALVADOS", 90, 15, 15),
    (2022, "0760001N", "NORMANDIE", "SEINE-MARITIME", 2, 1, 1),  # under the threshold
]
DEPARTEMENTS = {
    "RHONE": "69",
    "LOIRE": "42",
    "ILLE-ET-VILAINE": "35",
    "CALVADOS": "14",
    "SEINE-MARITIME": "76",
}


def write_mirror(root: Path) -> Path:
    return sample.write_mirror(root, lycees_pro=LYCEES_PRO)
