"""Structured logs (issue #17): with ``ARDOISE_LOG_FORMAT=json``, one JSON line per request
and every other log record as a JSON line too, on standard error.

A request's line holds its id, method, route family (the usage surface, or ``service``),
target as ``accesslog.shown`` masks it (#21: a query string only on the open-data
surfaces), status, duration, bytes sent and the release served; never an address, a
User-Agent, a header or a body. The request id is the client's ``X-Request-ID`` when it is
a plain token (8 to 64 letters, digits, ``._-``), a new one otherwise; the answer carries it
(the enrolment API sets its own, which the line then shows, as its audit does).

>>> record = logging.LogRecord("ardoise.requests", logging.INFO, "", 0, "requête", None, None)
>>> record.ardoise = {"statut": 200, "route": "records"}
>>> line = json.loads(JsonFormatter().format(record))
>>> line["statut"], line["route"], line["niveau"], "message" in line
(200, 'records', 'info', False)
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ardoise.errors import ConfigError
from ardoise.settings import Settings
from ardoise.usage.classify import route_family
from ardoise.web.accesslog import shown

LOGGER = logging.getLogger("ardoise.requests")
FORMATS = ("texte", "json")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def json_logs(settings: Settings) -> bool:
    """Whether the logs are JSON lines; a format that is neither is a configuration error."""
    if settings.log_format not in FORMATS:
        raise ConfigError(
            f"ARDOISE_LOG_FORMAT={settings.log_format!r} : formats possibles texte ou json."
        )
    return settings.log_format == "json"


class JsonFormatter(logging.Formatter):
    """A record as one JSON line. A request's fields are its ``ardoise`` attribute; other
    records give their message (uvicorn's access lines masked by ``accesslog``). An
    exception is named by its type only: its text may quote a request's values."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "niveau": record.levelname.lower(),
            "journal": record.name,
        }
        fields = getattr(record, "ardoise", None)
        if isinstance(fields, dict):
            line.update(fields)
        else:
            line["message"] = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's ``log_config`` for JSON lines: every logger through one JSON handler."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    quiet = {"handlers": ["json"], "level": "INFO", "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"json": handler},
        "loggers": {"uvicorn": quiet, "uvicorn.error": quiet, "uvicorn.access": quiet},
        "root": {"handlers": ["json"], "level": "INFO"},
    }


class RequestLogMiddleware:
    """Outermost: gives every answer its ``X-Request-ID`` and, when ``log`` is set, writes
    its line once the answer is sent (or has failed)."""

    def __init__(self, app: ASGIApp, release_id: Callable[[], str | None], log: bool) -> None:
        self.app = app
        self.release_id = release_id
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        state = self.state(scope)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = self.tagged(message, state)
            elif message["type"] == "http.response.body":
                state["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if self.log:
                self.write(scope, state, time.perf_counter() - start)

    def state(self, scope: Scope) -> dict[str, Any]:
        """What the line of a request holds before its answer: its id, status 500, 0 bytes."""
        return {"id": _request_id(scope), "status": 500, "bytes": 0}

    @staticmethod
    def tagged(message: Message, state: dict[str, Any]) -> Message:
        """An answer's start message with the request id (the one it carries, if any)."""
        state["status"] = message["status"]
        headers = list(message.get("headers", []))
        own = [v for k, v in headers if k.lower() == b"x-request-id"]
        if own:
            state["id"] = own[0].decode("latin-1")
            return message
        headers.append((b"x-request-id", state["id"].encode()))
        return {**message, "headers": headers}

    def write(self, scope: Scope, state: dict[str, Any], seconds: float) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        target = scope["path"] + (f"?{query}" if query else "")
        fields = {
            "requete": state["id"],
            "methode": scope["method"],
            "route": route_family(scope["method"], scope["path"], state["status"]),
            "cible": shown(target),
            "statut": state["status"],
            "duree_ms": round(seconds * 1000, 2),
            "octets": state["bytes"],
            "release": self.release_id(),
        }
        LOGGER.info("requête", extra={"ardoise": fields})


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _REQUEST_ID.match(text) else _new_id()
    return _new_id()


def _new_id() -> str:
    """32 random hex digits (uuid4's ``hex`` without building a UUID)."""
    return os.urandom(16).hex()
