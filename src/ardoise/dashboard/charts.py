"""Vega-Lite specs built in Python, one builder per chart kind (``CHARTS``).

Every builder receives the rows it draws (the same rows as the chart's table and CSV) and
returns a Vega-Lite v6 spec. Missing values are never drawn as zero: a map draws them grey
with the legend entry « Sans valeur »; a series leaves a gap; a bar says « sans valeur ».
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ardoise.dashboard.contexts import GeoRef

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
# Sequential blues ending on the State's « bleu France »; contrast grows with the value.
PALETTE = ("#e3e9fc", "#aebff2", "#7390e2", "#3d5fc9", "#000091")
MISSING = "#b8b8b8"
MISSING_LABEL = "Sans valeur"
POINT_COLOUR = "#e1000f"
SERIES_COLOURS = ("#000091", "#e1000f", "#18753c", "#b34000", "#6e445a", "#3a3a3a")
FONT = "Marianne, Arial, sans-serif"
MAP_WIDTH = 300
INSET_SIZE = 56
INSET_PROJECTIONS = (
    "mercator",
    "equirectangular",
    "transverseMercator",
    "equalEarth",
    "naturalEarth1",
    "azimuthalEqualArea",
    "azimuthalEquidistant",
    "stereographic",
    "gnomonic",
)

Spec = dict[str, Any]


def _config() -> dict[str, Any]:
    return {
        "font": FONT,
        "view": {"stroke": None},
        "title": {"anchor": "start", "fontSize": 15, "fontWeight": 700},
        "axis": {"labelFontSize": 12, "titleFontSize": 12},
        "legend": {"labelFontSize": 12, "titleFontSize": 12, "labelLimit": 260},
    }


def _lines(text: str, width: int = 36) -> str | list[str]:
    """A long title on several lines (a phone is 360 px wide): cut at ", ", " : ", " par "."""
    if len(text) <= width:
        return text
    for sep in (", ", " : ", " par "):
        head, found, tail = text.rpartition(sep)
        if found and head:
            keep = sep.strip() if sep.strip() in (":",) else sep.rstrip(", ").rstrip()
            first = head + (f" {keep}" if keep == ":" else "")
            second = tail if sep != " par " else f"par {tail}"
            rest = _lines(first, width)
            return [*(rest if isinstance(rest, list) else [rest]), second]
    return text


def _base(title: str, subtitle: str) -> Spec:
    return {
        "$schema": SCHEMA,
        "title": {"text": _lines(title), "subtitle": subtitle},
        "config": _config(),
        "background": "white",
    }


def _joined_values() -> list[dict[str, Any]]:
    """Each contour joined to its row of the ``valeurs`` dataset (absent: "sans valeur")."""
    return [
        {
            "lookup": "properties.code",
            "from": {
                "data": {"name": "valeurs"},
                "key": "code",
                "fields": ["nom", "texte", "classe"],
            },
        },
        {"calculate": f"datum.classe || '{MISSING_LABEL}'", "as": "classe"},
        {"calculate": "datum.nom || datum.properties.nom", "as": "nom"},
        {"calculate": "datum.texte || 'sans valeur'", "as": "texte"},
    ]


def _insets(
    overseas: Sequence[tuple[str, str]],
    data: dict[str, Any],
    transform: list[dict[str, Any]],
    encoding: dict[str, Any],
    shape: dict[str, Any],
) -> list[Spec]:
    """One small map per overseas territory (code, name), drawn below the main one."""
    return [
        {
            "width": INSET_SIZE,
            "height": INSET_SIZE,
            "title": {"text": name, "fontSize": 11, "fontWeight": 400},
            "data": data,
            "transform": [*transform, {"filter": {"field": "properties.code", "equal": code}}],
            # Vega-Lite merges the projections of a concat's views into one fitted to all
            # the insets (each island a dot); a distinct type per inset keeps them apart
            # (for an area this small, every cylindrical or azimuthal projection looks alike).
            "projection": {"type": INSET_PROJECTIONS[i % len(INSET_PROJECTIONS)]},
            "mark": shape,
            "encoding": dict(encoding),
        }
        for i, (code, name) in enumerate(overseas)
    ]


def choropleth(
    title: str,
    subtitle: str,
    geo: GeoRef,
    rows: Sequence[dict[str, Any]],
    classes: Sequence[str],
    *,
    legend: str,
    overseas: Sequence[tuple[str, str]] = (),
    points: Sequence[dict[str, Any]] = (),
    value_title: str | None = None,
) -> Spec:
    """Territories coloured by class; ``overseas`` (code, name) drawn as insets below. A
    territory's tooltip names it and gives its value under ``value_title`` (the indicator
    and its year; else the legend)."""
    domain = [*classes, MISSING_LABEL]
    colours = [*_palette(len(classes)), MISSING]
    data = {"url": geo.url, "format": {"type": "topojson", "feature": geo.feature}}
    transform = _joined_values()
    colour = {
        "field": "classe",
        "type": "ordinal",
        "title": legend,
        "scale": {"domain": domain, "range": colours},
        "legend": {"orient": "bottom", "direction": "vertical", "columns": 2},
    }
    shape = {"type": "geoshape", "stroke": "#ffffff", "strokeWidth": 0.6}
    tooltip = [
        {"field": "nom", "title": "Territoire"},
        {"field": "texte", "title": value_title or legend},
        {"field": "classe", "title": "Classe de la carte"},
    ]
    over = [code for code, _ in overseas]
    main: Spec = {
        "width": MAP_WIDTH,
        "height": MAP_WIDTH,
        "data": data,
        "transform": [
            *transform,
            *([{"filter": {"not": {"field": "properties.code", "oneOf": over}}}] if over else []),
        ],
        "projection": {"type": "mercator"},
        "mark": shape,
        "encoding": {"color": colour, "tooltip": tooltip},
    }
    if points:
        main = {
            "width": MAP_WIDTH,
            "height": MAP_WIDTH,
            "projection": {"type": "mercator"},
            "layer": [
                {k: v for k, v in main.items() if k not in ("width", "height", "projection")},
                _points(points),
            ],
        }
    spec = _base(title, subtitle)
    spec["datasets"] = {"valeurs": list(rows)}
    if not overseas:
        return {**spec, **main}
    insets = _insets(overseas, data, transform, {"color": colour, "tooltip": tooltip}, shape)
    return {
        **spec,
        "vconcat": [main, {"concat": insets, "columns": 5, "spacing": 6}],
        "resolve": {"scale": {"color": "shared"}, "legend": {"color": "shared"}},
    }


def _points(points: Sequence[dict[str, Any]]) -> Spec:
    return {
        "data": {"values": list(points)},
        "mark": {
            "type": "circle",
            "size": 36,
            "color": POINT_COLOUR,
            "opacity": 0.85,
            "stroke": "#ffffff",
            "strokeWidth": 0.8,
        },
        "encoding": {
            "longitude": {"field": "lon", "type": "quantitative"},
            "latitude": {"field": "lat", "type": "quantitative"},
            "tooltip": [
                {"field": "nom", "title": "Établissement"},
                {"field": "uai", "title": "UAI"},
            ],
            **({"href": {"field": "url"}} if all("url" in p for p in points) else {}),
        },
    }


def _palette(n: int) -> list[str]:
    if n <= 0:
        return []
    if n >= len(PALETTE):
        return list(PALETTE)
    step = (len(PALETTE) - 1) / max(n - 1, 1)
    return [PALETTE[round(i * step)] for i in range(n)] if n > 1 else [PALETTE[-2]]


def series(title: str, subtitle: str, rows: Sequence[dict[str, Any]], *, unit: str) -> Spec:
    """Values over the school years, one line per territory (gaps where a value is missing)."""
    names = list(dict.fromkeys(r["serie"] for r in rows))
    return {
        **_base(title, subtitle),
        "width": "container",
        "height": 240,
        "data": {"values": list(rows)},
        "mark": {"type": "line", "point": {"size": 50}, "strokeWidth": 2},
        "encoding": {
            "x": {
                "field": "annee",
                "type": "ordinal",
                "title": "Année scolaire",
                "axis": {"labelAngle": -40},
            },
            "y": {
                "field": "valeur",
                "type": "quantitative",
                "title": unit,
                "scale": {"zero": False},
            },
            "color": {
                "field": "serie",
                "type": "nominal",
                "title": None,
                "scale": {"domain": names, "range": list(SERIES_COLOURS[: len(names)])},
                "legend": {"orient": "bottom", "direction": "vertical"},
            },
            "strokeDash": {"field": "serie", "type": "nominal", "legend": None},
            "tooltip": [
                {"field": "serie", "title": "Territoire"},
                {"field": "annee", "title": "Année"},
                {"field": "texte", "title": "Valeur"},
            ],
        },
    }


def distribution(
    title: str,
    subtitle: str,
    rows: Sequence[dict[str, Any]],
    *,
    unit: str,
    count_title: str = "Nombre de territoires",
) -> Spec:
    """How the values of one level spread: bars of classes binned on the server
    (``de`` ≤ value < ``a``, ``nombre`` territories), so the table is exactly what is drawn."""
    return {
        **_base(title, subtitle),
        "width": "container",
        "height": 200,
        "data": {"values": list(rows)},
        "mark": {"type": "bar", "color": PALETTE[-1], "stroke": "#ffffff", "strokeWidth": 0.5},
        "encoding": {
            "x": {"field": "de", "type": "quantitative", "title": unit, "scale": {"zero": False}},
            "x2": {"field": "a"},
            "y": {"field": "nombre", "type": "quantitative", "title": count_title},
            "y2": {"datum": 0},  # whole bars from zero, not only their tops
            "tooltip": [
                {"field": "libelle", "title": "Classe"},
                {"field": "nombre", "title": "Nombre"},
            ],
        },
    }


def comparison(title: str, subtitle: str, rows: Sequence[dict[str, Any]], *, unit: str) -> Spec:
    """One value per territory (the territory and its parents), each bar labelled."""
    order = [r["nom"] for r in rows]
    y = {
        "field": "nom",
        "type": "nominal",
        "title": None,
        "sort": order,
        "axis": {"labelLimit": 140},
    }
    return {
        **_base(title, subtitle),
        "width": "container",
        "height": {"step": 34},
        "data": {"values": list(rows)},
        "layer": [
            {
                "transform": [{"filter": "isValid(datum.valeur)"}],
                "mark": {"type": "bar", "color": PALETTE[-1]},
                "encoding": {
                    "y": y,
                    "x": {"field": "valeur", "type": "quantitative", "title": unit},
                },
            },
            {  # the value written inside the end of its bar, white on blue
                "transform": [{"filter": "isValid(datum.valeur)"}],
                "mark": {
                    "type": "text",
                    "align": "right",
                    "dx": -4,
                    "fontSize": 12,
                    "color": "#ffffff",
                },
                "encoding": {
                    "y": y,
                    "x": {"field": "valeur", "type": "quantitative"},
                    "text": {"field": "texte"},
                },
            },
            {  # no bar for a missing value: the words « sans valeur » instead
                "transform": [{"filter": "!isValid(datum.valeur)"}],
                "mark": {
                    "type": "text",
                    "align": "left",
                    "dx": 4,
                    "fontSize": 12,
                    "color": "#161616",
                },
                "encoding": {"y": y, "x": {"value": 0}, "text": {"field": "texte"}},
            },
        ],
    }


CHARTS: dict[str, Callable[..., Spec]] = {
    "choropleth": choropleth,
    "series": series,
    "distribution": distribution,
    "comparison": comparison,
}

__all__ = ["CHARTS", "MISSING_LABEL", "choropleth", "comparison", "distribution", "series"]
