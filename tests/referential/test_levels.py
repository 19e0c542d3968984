"""The territorial levels: one table, whose ladder, links and code levels agree with the
layers that read them."""

from __future__ import annotations

import itertools

from ardoise.ingest.territories import LINK_COLUMNS
from ardoise.referential.levels import BY_NAME, CODE_LEVELS, LADDER, LEVELS, LINKS, ladder


def test_each_rung_climbs_to_the_next() -> None:
    assert LADDER == ("etablissement", "commune", "departement", "academie", "region", "france")
    for low, high in itertools.pairwise(LADDER):
        assert BY_NAME[low].parent == high
    assert BY_NAME["france"].parent is None


def test_names_are_unique_and_labelled() -> None:
    assert len(BY_NAME) == len(LEVELS)
    for level in LEVELS:
        assert level.label and level.plural
        assert level.link is None or level.link.startswith("_")


def test_links_are_the_hidden_columns_of_ingest() -> None:
    assert LINKS["france"] is None
    assert LINK_COLUMNS == ("_uai", "_commune", "_departement", "_academie", "_region")


def test_code_levels_are_those_of_territory_codes() -> None:
    assert CODE_LEVELS == ("commune", "departement", "academie", "region", "region_academique")
    assert "region_academique" not in LADDER


def test_ladder_slices() -> None:
    assert ladder() == LADDER
    assert ladder(last="academie") == ("etablissement", "commune", "departement", "academie")
    assert ladder("commune", "region") == ("commune", "departement", "academie", "region")
