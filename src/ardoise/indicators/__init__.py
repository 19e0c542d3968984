"""Declared indicators, computed for every territorial level when a release is published.

    compute_indicators(build_dir, definitions=None) -> IndicatorsSummary   (compute.py)
    load_definitions(directory=None) -> tuple[Definition, ...]            (loader.py)
    Definition, IndicatorsSummary                                         (model.py)

The query layer reads what was published with ``loader.definition_from_json``, the
aggregation kinds of ``aggregations.AGGREGATIONS`` and the values of ``model``.
"""

from __future__ import annotations

from ardoise.indicators.compute import compute_indicators as compute_indicators
from ardoise.indicators.loader import load_definitions as load_definitions
from ardoise.indicators.model import Definition as Definition
from ardoise.indicators.model import IndicatorsSummary as IndicatorsSummary
