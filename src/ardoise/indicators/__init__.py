"""Declared indicators, computed for every territorial level when a release is published."""

from __future__ import annotations

from ardoise.indicators.compute import compute_indicators as compute_indicators
from ardoise.indicators.loader import load_definitions as load_definitions
from ardoise.indicators.model import Definition as Definition
from ardoise.indicators.model import IndicatorsSummary as IndicatorsSummary
