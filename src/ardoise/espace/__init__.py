"""The producers' space (« espace des producteurs ») and the account pages: server-rendered
French DSFR pages over the control plane, every form protected against CSRF, nothing
cached (``Cache-Control: no-store``).

    build_router(settings, signin, status_of) -> APIRouter   # /compte/…, /producteurs/…
"""

from __future__ import annotations

from ardoise.espace.routes import build_router as build_router
