"""The territorial levels: one table, the vocabulary every layer names territories with.

The ladder climbs from the school to France: établissement → commune → département →
académie → région → France. Each level has its name (the API's ``niveau``), the hidden
link column ingest adds to every release table (``_academie``…; none for France, which is
every row), its parent on the ladder and its French labels. The région académique is a
level of the referential's code lookup (``territory_codes.parquet``) but not a rung of
the ladder: data rows are not linked to it and no figure is computed for it.

>>> ladder()
('etablissement', 'commune', 'departement', 'academie', 'region', 'france')
>>> ladder("commune", "region")
('commune', 'departement', 'academie', 'region')
>>> LINKS["academie"], BY_NAME["academie"].label
('_academie', 'académie')
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    name: str  # the API's niveau, also the ``niveau`` column of the referential's tables
    link: str | None  # hidden link column of release tables (None: not linked, or France)
    parent: str | None  # the level above on the ladder (None: France, or off the ladder)
    label: str  # French, singular ("académie")
    plural: str  # French ("académies")
    ladder: bool = True  # a rung of the ladder from the school up to France
    coded: bool = True  # a level of territory_codes.parquet: data keys → referential code


LEVELS: tuple[Level, ...] = (
    Level("etablissement", "_uai", "commune", "établissement", "établissements", coded=False),
    Level("commune", "_commune", "departement", "commune", "communes"),
    Level("departement", "_departement", "academie", "département", "départements"),
    Level("academie", "_academie", "region", "académie", "académies"),
    Level("region", "_region", "france", "région", "régions"),
    Level(
        "region_academique",
        None,
        None,
        "région académique",
        "régions académiques",
        ladder=False,
    ),
    Level("france", None, None, "France", "France", coded=False),
)
BY_NAME: dict[str, Level] = {level.name: level for level in LEVELS}
# From the school up to France, in the table's order (each rung's parent is the next).
LADDER: tuple[str, ...] = tuple(level.name for level in LEVELS if level.ladder)
# The levels of territory_codes.parquet (column ``niveau``).
CODE_LEVELS: tuple[str, ...] = tuple(level.name for level in LEVELS if level.coded)
# Rung → its hidden link column; None for France (no condition: every row).
LINKS: dict[str, str | None] = {name: BY_NAME[name].link for name in LADDER}
FRANCE = "FR"  # the one code of the france level


def ladder(first: str = "etablissement", last: str = "france") -> tuple[str, ...]:
    """The rungs from ``first`` up to ``last``, both included."""
    return LADDER[LADDER.index(first) : LADDER.index(last) + 1]
