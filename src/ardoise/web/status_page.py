"""``/statut`` (issue #17): the service's availability and latency over the last 24 hours and
30 days against its declared objectives (99.9 % of answers without a server error, p99 ≤
300 ms), computed from the usage counters (``usage/levels.py``), and its JSON twin
``/statut.json``. Figures are those of every process and replica that writes to the same
store, at most ``ARDOISE_USAGE_FLUSH_SECONDS`` behind."""

from __future__ import annotations

import time
from dataclasses import asdict
from html import escape
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from ardoise.api.jsonresponse import JSONBytes
from ardoise.usage.counter import UsageCounter
from ardoise.usage.levels import (
    AVAILABILITY_OBJECTIVE,
    P99_OBJECTIVE_MS,
    Summary,
    summarise,
)

WINDOWS = (("24 heures", 24), ("30 jours", 24 * 30))  # label, hours
_NO_STORE = {"Cache-Control": "no-store"}


def windows(counter: UsageCounter | None, now: float | None = None) -> list[tuple[str, Summary]]:
    """Each window's summary (empty ones without counting)."""
    now = time.time() if now is None else now
    starts = [(label, _hour(now - hours * 3600 + 3600)) for label, hours in WINDOWS]
    rows = counter.store.levels(min(s for _, s in starts)) if counter is not None else []
    return [(label, summarise(rows, since)) for label, since in starts]


def _hour(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H", time.gmtime(epoch))


def build_router(counter: UsageCounter | None) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/statut.json")
    def status_json() -> JSONBytes:
        body = {
            "objectifs": {"disponibilite": AVAILABILITY_OBJECTIVE, "p99_ms": P99_OBJECTIVE_MS},
            "fenetres": [_window(label, s) for label, s in windows(counter)],
            "comptage_actif": counter is not None,
        }
        return JSONBytes(body, headers=_NO_STORE)

    @router.get("/statut", response_class=HTMLResponse)
    def status_html() -> HTMLResponse:
        return HTMLResponse(_html(windows(counter), counter is not None), headers=_NO_STORE)

    return router


def _window(label: str, s: Summary) -> dict[str, Any]:
    return {
        "fenetre": label,
        **asdict(s),
        "objectif_disponibilite_tenu": s.available,
        "objectif_latence_tenu": s.fast,
    }


def _verdict(ok: bool | None) -> str:
    return "pas de mesure" if ok is None else ("tenu" if ok else "NON TENU")


def _html(rows: list[tuple[str, Summary]], active: bool) -> str:
    lines = "".join(
        "<tr>"
        f"<td>{escape(label)}</td><td>{s.requests}</td><td>{s.errors}</td>"
        f"<td>{'—' if s.availability is None else f'{s.availability:.3%}'}</td>"
        f"<td>{_verdict(s.available)}</td>"
        f"<td>{'—' if s.p99_ms is None else f'≤ {s.p99_ms} ms'}</td><td>{_verdict(s.fast)}</td>"
        "</tr>"
        for label, s in rows
    )
    heads = (
        "fenêtre",
        "réponses",
        "erreurs serveur",
        "disponibilité",
        "objectif",
        "p99",
        "objectif",
    )
    head = "".join(f"<th scope='col'>{h}</th>" for h in heads)
    return (
        "<!doctype html><html lang='fr'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Statut du service — Ardoise</title>"
        "<link rel='alternate' type='application/json' href='/statut.json'></head>"
        "<body><main id='contenu' class='fr-container'><h1>Statut du service</h1>"
        f"<p>Objectifs déclarés : {AVAILABILITY_OBJECTIVE:.1%} des réponses sans erreur du "
        f"serveur (5xx), et 99 % des réponses en {P99_OBJECTIVE_MS} ms au plus. Mesuré par "
        "les compteurs de toutes les répliques (heures UTC, sondes exclues) ; la latence est "
        "lue par tranches (5, 10, 25, 50, 100, 200, 300, 500 ms, 1, 2,5, 5, 10 s).</p>"
        + ("" if active else "<p><strong>Le comptage est désactivé : aucune mesure.</strong></p>")
        + "<div class='fr-table'><table><caption>Disponibilité et latence</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table></div>"
        "<p><a href='/statut.json'>Version JSON</a></p></main></body></html>"
    )
