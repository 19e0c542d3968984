"""Numbers as people read them (French) and map classes (the pages' URLs: ``ardoise.urls``)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

from ardoise.dashboard.contexts import Figure
from ardoise.query.indicators import IndicatorInfo, IndicatorValue
from ardoise.referential.levels import BY_NAME, LADDER
from ardoise.urls import ROOT

NBSP = "\u202f"  # narrow no-break space: thousands separator and before units
STATUS_LABELS = {
    "ok": "valeur",
    "non_significatif": "non significatif (base trop petite)",
    "absent": "sans valeur",
    "secret_statistique": "secret statistique",
}
LEVEL_LABELS = {name: BY_NAME[name].label for name in LADDER}
LEVEL_PLURALS = {name: BY_NAME[name].plural for name in LADDER}
N_CLASSES = 5


def number(value: float | int | None, decimals: int = 0) -> str:
    """``12345.678`` → ``12 345,7`` (narrow no-break spaces, decimal comma)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "sans valeur"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def with_unit(value: float | None, decimals: int, unit: str) -> str:
    """``value`` and its unit, in French (a unit agrees: below 2 in absolute value, singular)::

    >>> with_unit(1, 0, "points"), with_unit(-1.5, 1, "points"), with_unit(3, 0, "points")
    ('1\u202fpoint', '-1,5\u202fpoint', '3\u202fpoints')
    """
    if value is None:
        return "sans valeur"
    if unit in ("%", "pourcentage"):
        return f"{number(value, decimals)}{NBSP}%"
    if unit in ("indice", ""):
        return number(value, decimals)
    if abs(round(value, decimals)) < 2 and unit.endswith("s") and " " not in unit:
        unit = unit[:-1]
    return f"{number(value, decimals)}{NBSP}{unit}"


def unit_label(unit: str) -> str:
    return {"%": "pourcentage (%)", "indice": "indice"}.get(unit, unit)


def figure(info: IndicatorInfo, value: IndicatorValue) -> Figure:
    d = info.definition
    shown = value.valeur if value.statut == "ok" else None
    text = (
        with_unit(shown, d.decimals, d.unit)
        if shown is not None
        else (STATUS_LABELS.get(value.statut, "sans valeur"))
    )
    return Figure(
        d.id,
        d.title,
        shown,
        text,
        d.unit,
        value.annee,
        value.statut,
        value.provenance.sources,
        ROOT.indicator_page(d.id),
    )


def classes(values: Sequence[float], decimals: int) -> tuple[tuple[float, ...], tuple[str, ...]]:
    """Up to five classes of equal counts (quantiles): the upper bounds and their labels."""
    ordered = sorted(values)
    if not ordered:
        return (), ()
    bounds: list[float] = []
    for i in range(1, N_CLASSES):
        b = round(ordered[min(len(ordered) - 1, (i * len(ordered)) // N_CLASSES)], decimals)
        if (not bounds or b > bounds[-1]) and b > round(ordered[0], decimals):
            bounds.append(b)
    bounds = [b for b in bounds if b <= round(ordered[-1], decimals)]
    edges = [round(ordered[0], decimals), *bounds, round(ordered[-1], decimals)]
    labels = []
    for i, (low, high) in enumerate(itertools.pairwise(edges)):
        if i == 0:
            labels.append(
                f"moins de {number(high, decimals)}"
                if len(edges) > 2
                else f"{number(low, decimals)} à {number(high, decimals)}"
            )
        elif i == len(edges) - 2:
            labels.append(f"{number(low, decimals)} et plus")
        else:
            labels.append(f"{number(low, decimals)} à moins de {number(high, decimals)}")
    if len(edges) == 2 and edges[0] == edges[1]:
        labels = [number(edges[0], decimals)]
    return tuple(bounds), tuple(labels)


def bins(values: Sequence[float], decimals: int, target: int = 20) -> list[dict[str, Any]]:
    """A histogram: classes of one « nice » width (1, 2 or 5 × 10^k), each with its count."""
    if not values:
        return []
    low, high = min(values), max(values)
    span = high - low
    if span <= 0:
        return [{"de": low, "a": low, "nombre": len(values), "libelle": number(low, decimals)}]
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    count = math.floor((high - start) / step) + 1
    tally = [0] * count
    for v in values:
        tally[min(count - 1, int((v - start) // step))] += 1
    places = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    out = []
    for i, n in enumerate(tally):
        a, b = round(start + i * step, places + 2), round(start + (i + 1) * step, places + 2)
        label = f"{number(a, places)} à moins de {number(b, places)}"
        out.append({"de": a, "a": b, "nombre": n, "libelle": label})
    return out


def class_of(value: float | None, bounds: Sequence[float], labels: Sequence[str]) -> str | None:
    if value is None or not labels:
        return None
    for bound, label in zip(bounds, labels, strict=False):
        if value < bound:
            return label
    return labels[-1]
