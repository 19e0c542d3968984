"""Rendering of the producers' space: Jinja2 templates over the dashboard's DSFR assets,
every page ``no-store`` (personal), with the session's CSRF token in every form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ardoise.controlplane.signin import SignIn
from ardoise.dashboard.assets import build_assets
from ardoise.settings import Settings

TEMPLATES = Path(__file__).resolve().parent / "templates"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class Pages:
    def __init__(self, settings: Settings, signin: SignIn) -> None:
        self.signin = signin
        assets = build_assets(settings.node_modules, settings.cache_dir / "static")
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(asset=assets.url)

    def render(
        self, request: Request, template: str, title: str, status: int = 200, **context: Any
    ) -> Response:
        """The page; a new anonymous session (its CSRF token) is set if there was none."""
        session = self.signin.sessions.ensure(request)
        body = self.env.get_template(template).render(
            titre=title,
            chemin=request.url.path,
            csrf=session.csrf,
            compte=self.signin.account(request),
            **context,
        )
        response = HTMLResponse(body, status_code=status, headers=NO_STORE)
        if self.signin.sessions.is_new(request):
            self.signin.sessions.write(request, response, session)
        return response

    def redirect(self, url: str) -> Response:
        return RedirectResponse(url, status_code=303, headers=NO_STORE)
