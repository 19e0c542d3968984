"""Rendering of the transparency pages: Jinja2 templates over the dashboard's DSFR assets,
every page ``no-store`` (personal)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ardoise.dashboard.assets import build_assets
from ardoise.french import MONTHS
from ardoise.settings import Settings

TEMPLATES = Path(__file__).resolve().parent / "templates"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
PARIS = ZoneInfo("Europe/Paris")


def french_datetime(at: datetime) -> str:
    """A moment as a French reader expects it, in Paris time.

    >>> from datetime import UTC
    >>> french_datetime(datetime(2026, 12, 7, 17, 5, tzinfo=UTC))
    '7 décembre 2026 à 18 h 05'
    """
    local = at.astimezone(PARIS)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year} à {local.hour} h {local.minute:02d}"


class Pages:
    def __init__(self, settings: Settings) -> None:
        assets = build_assets(settings.node_modules, settings.cache_dir / "static")
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(asset=assets.url, date=french_datetime)

    def render(
        self, template: str, title: str, status: int = 200, /, **context: Any
    ) -> HTMLResponse:
        body = self.env.get_template(template).render(titre=title, **context)
        return HTMLResponse(body, status_code=status, headers=NO_STORE)
