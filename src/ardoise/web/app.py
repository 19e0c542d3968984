"""``create_app(settings)``: the HTTP surface. In this first version, a home page and /health."""

from __future__ import annotations

import html
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from ardoise import __version__
from ardoise.errors import ArdoiseError
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    store = ReleaseStore(settings.var_dir)
    app = FastAPI(title="Ardoise", version=__version__,
                  description="Données ouvertes de l'éducation, vérifiées et versionnées.")

    def manifest() -> dict[str, Any] | None:
        rid = store.current_id()
        if rid is None:
            return None
        try:
            return store.manifest(rid)
        except ArdoiseError:
            return None

    @app.get("/health")
    def health() -> dict[str, Any]:
        m = manifest()
        return {
            "status": "ok" if m else "sans_release",
            "release": m["release_id"] if m else None,
            "version": __version__,
        }

    @app.get("/", response_class=HTMLResponse)
    def home() -> str:
        m = manifest()
        if m is None:
            body = "<p>Aucune release n'est publiée. Lancez <code>make release</code>.</p>"
        else:
            rows = "".join(
                f"<tr><td><code>{html.escape(k)}</code></td><td>{html.escape(v.get('title', ''))}"
                f"</td><td>{int(v.get('rows') or 0):,}</td></tr>".replace(",", " ")
                for k, v in sorted(m["datasets"].items()) if v.get("parquet")
            )
            body = (
                f"<p>Release servie : <strong>{html.escape(m['release_id'])}</strong> "
                f"({html.escape(m['created_at'])}).</p><table><thead><tr><th>Jeu</th>"
                f"<th>Titre</th><th>Lignes</th></tr></thead><tbody>{rows}</tbody></table>"
            )
        return (
            "<!doctype html><html lang='fr'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<title>Ardoise — données de l'éducation</title></head><body>"
            "<h1>Ardoise</h1><p>Les données ouvertes de l'éducation, vérifiées et versionnées."
            f"</p>{body}</body></html>"
        )

    return app
