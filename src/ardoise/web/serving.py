"""How ``ardoise serve`` runs uvicorn: the options a public service needs (issue #21).

No ``server: uvicorn`` header; forwarded headers believed only from the configured proxies
(uvicorn's default trusts loopback, which let anyone behind a local proxy rotate
``X-Forwarded-For`` past the quota); request headers bounded; the access log masked; a
request the parser cannot read gets the API's JSON error body.

>>> from ardoise.settings import load_settings
>>> o = options(load_settings(environ={}))
>>> o["server_header"], o["proxy_headers"], o["forwarded_allow_ips"]
(False, False, '')
"""

from __future__ import annotations

from typing import Any

from ardoise.settings import Settings
from ardoise.web import accesslog, requestlog
from ardoise.web.clientip import trusted_proxies
from ardoise.web.parser import JsonErrorProtocol


def options(settings: Settings) -> dict[str, Any]:
    """The keyword arguments of ``uvicorn.run`` (besides the app)."""
    accesslog.install()
    trusted = trusted_proxies(settings.trusted_proxies)
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": "info",
        "access_log": settings.access_log,
        "server_header": False,
        "date_header": True,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": ",".join(sorted(trusted)),
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "http": JsonErrorProtocol,  # unparsable requests: the API's JSON error body
        # SIGTERM: no new connection, the answers in flight (exports too) finish (#17)
        "timeout_graceful_shutdown": settings.shutdown_seconds,
        # --workers: a worker that does not answer its supervisor's ping in 5 s (uvicorn's
        # default) is killed as hung; a loaded machine importing the app misses that often
        "timeout_worker_healthcheck": 30,
        **_json_logs(settings),
    }


def _json_logs(settings: Settings) -> dict[str, Any]:
    """JSON lines (issue #17): the app writes each request's line, uvicorn's own is off."""
    if not requestlog.json_logs(settings):
        return {}
    return {"access_log": False, "log_config": requestlog.uvicorn_log_config()}


def resolved_paths(settings: Settings) -> list[str]:
    """The lines ``ardoise serve`` prints at start: where it reads and writes."""
    return [
        f"Releases et cache : {settings.var_dir.resolve()}",
        f"Miroir des sources : {settings.mirror.resolve()}",
        f"Paquets npm : {settings.node_modules.resolve()}",
    ]
