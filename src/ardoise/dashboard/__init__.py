"""The public dashboard (« tableau de bord »): server-rendered French pages with DSFR, each
with a JSON twin, Vega-Lite charts and maps, over the territory and indicator layer.

    build_router(settings, *, status_of, error_body) -> APIRouter   # from web.errors
"""

from __future__ import annotations

from ardoise.dashboard.routes import build_router as build_router
