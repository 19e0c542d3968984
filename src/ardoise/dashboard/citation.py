"""How a chart is cited: the ready-to-paste citation each chart offers, the caption its
images carry (source, version, date) and the sidecar text file beside its CSV (CSV has no
place for comments: a header line would break every reader).

>>> from ardoise.dashboard.contexts import Source, Table
>>> chart = Chart("carte", "map", "IPS moyen des écoles", "…",
...     (Source("fr-en-ips", "Indices de position sociale des écoles", "/donnees/fr-en-ips"),),
...     "20261207T064518Z-691f8f21", "2026-12-07T06:45:18+00:00", Table("", (), (), ()), {}, {})
>>> citation(chart, "https://ardoise.example/")
'« IPS moyen des écoles », d’après Indices de position sociale des écoles (ministère de l’Éducation nationale) ; Ardoise, version 20261207T064518Z-691f8f21 du 7 décembre 2026. https://ardoise.example/'
>>> caption(chart)[0]
'Source : Indices de position sociale des écoles (ministère de l’Éducation nationale).'
"""

from __future__ import annotations

import textwrap
from typing import Any

from ardoise.dashboard.contexts import Chart
from ardoise.french import MONTHS

DOWNLOADS = ("csv", "svg", "png", "txt")  # txt: the citation and source beside the CSV
PRODUCER = "ministère de l’Éducation nationale"
CAPTION_WIDTH = 100  # characters per caption line under a 640 px image


def french_day(iso: str) -> str:
    """``2026-12-07T06:45:18+00:00`` → ``7 décembre 2026`` (the text itself when not a date)."""
    try:
        year, month, day = int(iso[:4]), int(iso[5:7]), int(iso[8:10])
        return f"{'1er' if day == 1 else day} {MONTHS[month - 1]} {year}"
    except (ValueError, IndexError):
        return iso


def _sources(chart: Chart) -> str:
    names = ", ".join(s.titre for s in chart.sources) or "sources non précisées"
    return f"{names} ({PRODUCER})"


def citation(chart: Chart, page_url: str) -> str:
    """The chart cited as a journalist or a researcher pastes it."""
    return (
        f"« {chart.titre} », d’après {_sources(chart)} ; Ardoise, version {chart.release} "
        f"du {french_day(chart.date)}. {page_url}"
    )


def caption(chart: Chart) -> list[str]:
    """The lines written under the chart's images: source, version and date."""
    lines = textwrap.wrap(f"Source : {_sources(chart)}.", CAPTION_WIDTH)
    lines.append(f"Ardoise, version {chart.release} du {french_day(chart.date)}.")
    return lines


def captioned(spec: dict[str, Any], chart: Chart) -> dict[str, Any]:
    """The spec with its title on top and the caption underneath (images carry their source)."""
    return {
        **spec,
        "title": {
            "text": chart.titre,
            "subtitle": caption(chart),
            "orient": "bottom",
            "anchor": "start",
            "fontSize": 13,
            "subtitleFontSize": 11,
            "subtitleColor": "#3a3a3a",
            "offset": 12,
        },
    }


def sidecar(chart: Chart, page_url: str, csv_url: str) -> bytes:
    """The text file beside the CSV: what it holds, its source, version, date and citation."""
    text = "\n".join(
        (
            chart.titre,
            "",
            f"Fichier : {csv_url}",
            f"Source : {_sources(chart)}",
            f"Version des données : {chart.release} du {french_day(chart.date)}",
            f"Page : {page_url}",
            "Licence : Licence Ouverte v2.0 (Etalab)",
            "",
            "Citer ce graphique :",
            citation(chart, page_url),
            "",
        )
    )
    return text.encode("utf-8")
