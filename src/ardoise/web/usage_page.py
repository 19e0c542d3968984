"""``/usages`` (issue #17): the platform's usage as open data. The page (calls and downloads
per day as a bar chart with its table, top datasets, share of phones, MCP tools), its JSON
twin ``/usages.json`` and the rows themselves, ``/usages.csv`` (day × dataset × surface ×
detail × device class → calls, bytes; licence Ouverte 2.0). Figures are those the store
holds: at most ``ARDOISE_USAGE_FLUSH_SECONDS`` behind."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ardoise.api.jsonresponse import JSONBytes
from ardoise.odsql.errors import InvalidParameter
from ardoise.usage.counter import UsageCounter
from ardoise.usage.hll import STANDARD_ERROR
from ardoise.usage.report import UsageReport, summarise
from ardoise.usage.store import Count

DEFAULT_DAYS = 30
_CSV_FIELDS = ("jour", "jeu", "surface", "detail", "appareil", "appels", "octets")
_METHOD = (
    "Chaque réponse est comptée par jour (UTC), jeu, surface (enregistrements, exports par "
    "format, API v1, catalogue, pages, indicateurs, outils MCP, vérifications de scolarité "
    "par issue) et classe d'appareil (téléphone, tablette, ordinateur, programme), avec ses "
    "octets. Aucune adresse IP ni aucun User-Agent n'est conservé. Les visiteurs uniques "
    "sont estimés par HyperLogLog (4 096 registres, erreur type {err:.1%}) sur un sel tiré "
    "chaque jour, gardé en mémoire et oublié à minuit ; chaque processus a son sel, donc un "
    "visiteur servi par plusieurs processus est compté plusieurs fois : le chiffre est un "
    "majorant."
)


def build_router(counter: UsageCounter | None) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def rows(request: Request) -> tuple[str, list[Count], dict[str, int]]:
        since = _since(request.query_params.get("depuis"))
        if counter is None:
            return since, [], {}
        return since, counter.store.counts(since), counter.store.visitors(since)

    @router.get("/usages", response_class=HTMLResponse)
    def usages_html(request: Request) -> HTMLResponse:
        since, counts, visitors = rows(request)
        return HTMLResponse(_html(summarise(counts, visitors), since, counter is not None))

    @router.get("/usages.json")
    def usages_json(request: Request) -> JSONBytes:
        since, counts, visitors = rows(request)
        body = asdict(summarise(counts, visitors))
        body.update(depuis=since, methode=_METHOD.format(err=STANDARD_ERROR))
        body["comptage_actif"] = counter is not None
        return JSONBytes(body)

    @router.get("/usages.csv")
    def usages_csv(request: Request) -> Response:
        _, counts, _ = rows(request)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(_CSV_FIELDS)
        for c in counts:
            writer.writerow((c.day, c.dataset, c.surface, c.detail, c.device, c.calls, c.bytes))
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="ardoise-usages.csv"'},
        )

    return router


def _since(raw: str | None) -> str:
    """``depuis=AAAA-MM-JJ``; by default the last 30 days.

    >>> _since("2026-12-01")
    '2026-12-01'
    >>> _since("hier")
    Traceback (most recent call last):
    ...
    ardoise.odsql.errors.InvalidParameter: Paramètre depuis invalide : 'hier' (attendu : une date AAAA-MM-JJ).
    """
    if not raw:
        return (datetime.now(UTC).date() - timedelta(days=DEFAULT_DAYS)).isoformat()
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        raise InvalidParameter(
            f"Paramètre depuis invalide : {raw!r} (attendu : une date AAAA-MM-JJ)."
        ) from None


def _bars(report: UsageReport) -> str:
    """Calls per day as an SVG bar chart (the table below it gives the same figures)."""
    if not report.days:
        return ""
    top = max(d.calls for d in report.days) or 1
    width = 16
    bars = "".join(
        f'<rect x="{i * width}" y="{100 - 100 * d.calls / top:.1f}" width="{width - 2}" '
        f'height="{100 * d.calls / top:.1f}" fill="#000091"><title>{d.day} : {d.calls} '
        "appels</title></rect>"
        for i, d in enumerate(report.days)
    )
    return (
        f'<svg role="img" aria-labelledby="g-titre" viewBox="0 0 {width * len(report.days)} 100" '
        f'width="100%" height="160" preserveAspectRatio="none"><title id="g-titre">Appels par '
        f"jour</title>{bars}</svg>"
    )


def _table(caption: str, heads: tuple[str, ...], rows: Sequence[tuple[object, ...]]) -> str:
    head = "".join(f"<th scope='col'>{escape(h)}</th>" for h in heads)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return (
        f"<div class='fr-table'><table><caption>{escape(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _html(report: UsageReport, since: str, active: bool) -> str:
    days = [(d.day, d.calls, d.downloads, d.visitors, f"{d.phone_share:.0%}") for d in report.days]
    parts = [
        "<h1>Usages d'Ardoise</h1>",
        f"<p>Depuis le {escape(since)}. " + escape(_METHOD.format(err=STANDARD_ERROR)) + "</p>",
        "" if active else "<p><strong>Le comptage des usages est désactivé.</strong></p>",
        "<p>Données : <a href='/usages.csv'>ardoise-usages.csv</a> (licence Ouverte 2.0), "
        "<a href='/usages.json'>version JSON</a> ; jours complets, chaque jour, dans le jeu "
        "<a href='/donnees/ardoise-usages'>ardoise-usages</a> (API Explore, exports).</p>",
        "<h2>Appels et téléchargements par jour</h2>",
        _bars(report),
        _table(
            "Par jour",
            ("jour", "appels", "téléchargements", "visiteurs uniques (majorant)", "téléphones"),
            days,
        ),
        "<h2>Jeux les plus consultés</h2>",
        _table("Jeux", ("jeu", "appels"), list(report.datasets)),
        "<h2>Appareils</h2>",
        _table("Appareils", ("classe", "appels"), list(report.devices)),
        "<h2>Outils MCP utilisés</h2>",
        _table("Outils MCP", ("outil", "appels"), list(report.mcp_tools)),
    ]
    return (
        "<!doctype html><html lang='fr'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Usages — Ardoise</title>"
        "<link rel='alternate' type='application/json' href='/usages.json'></head>"
        "<body><main id='contenu' class='fr-container'>" + "".join(parts) + "</main></body></html>"
    )
