"""Territories of a release: search, one territory, one school, contours, and the
``territoire=niveau:code`` filter of the Explore API. One data function per resource
(STYLE.md L1); the API, the dashboard and the MCP server reshape what they return.

    search_territories(release, q, niveau=None, limit=10) -> list[SearchResult]
    territory(release, niveau, code) -> Territory
    etablissement(release, uai) -> Etablissement
    geometry(release, niveau, parent=None) -> bytes            (TopoJSON)
    territory_filter(release, view, niveau, code) -> TerritoryFilter
"""

from __future__ import annotations

from ardoise.query.territories.context import territories_of as territories_of
from ardoise.query.territories.detail import Territory as Territory
from ardoise.query.territories.detail import territory as territory
from ardoise.query.territories.filter import territory_filter as territory_filter
from ardoise.query.territories.geo import geometry as geometry
from ardoise.query.territories.levels import LEVELS as LEVELS
from ardoise.query.territories.levels import TerritoryNotFound as TerritoryNotFound
from ardoise.query.territories.lookup import SearchResult as SearchResult
from ardoise.query.territories.lookup import prepare as prepare
from ardoise.query.territories.lookup import search_territories as search_territories
from ardoise.query.territories.school import Etablissement as Etablissement
from ardoise.query.territories.school import etablissement as etablissement
