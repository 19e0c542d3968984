"""Test doubles of the outside world of the sign-in, both real servers on loopback:

* :class:`OidcProvider`: a real OpenID Connect provider (``oidc-provider-mock``, Authlib's
  server side) on 127.0.0.1, in a thread; :meth:`OidcProvider.user` declares a person,
  :meth:`OidcProvider.consent` is what the person's browser does on the provider's page.
* :class:`SmtpSink`: an ``aiosmtpd`` SMTP server on 127.0.0.1 that keeps every message.

The pytest fixtures ``oidc_provider`` and ``smtp_sink`` (``tests/conftest.py``) start them
for one test; :func:`signin_settings` points settings at both.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import httpx

from ardoise.settings import Settings

CLIENT_ID = "ardoise-tests"
CLIENT_SECRET = "secret-de-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class OidcProvider:
    issuer: str  # http://127.0.0.1:PORT

    def user(self, sub: str, email: str, given_name: str = "", family_name: str = "") -> None:
        """Declare (or change) a person's claims at the provider."""
        claims = {"email": email, "given_name": given_name, "family_name": family_name}
        response = httpx.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10)
        assert response.status_code == 204, response.text

    def consent(self, authorize_url: str, sub: str) -> str:
        """Sign in as ``sub`` on the provider's page; the redirect back to the client."""
        assert authorize_url.startswith(self.issuer), authorize_url
        response = httpx.post(authorize_url, data={"sub": sub}, timeout=10)
        assert response.status_code in (302, 303), response.text
        return response.headers["location"]


@contextmanager
def running_oidc_provider() -> Iterator[OidcProvider]:
    import oidc_provider_mock
    import werkzeug.serving

    server = werkzeug.serving.make_server(
        "127.0.0.1", free_port(), oidc_provider_mock.app(require_nonce=True), threaded=True
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield OidcProvider(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass
class SmtpSink:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.envelopes.append((envelope.mail_from, tuple(envelope.rcpt_tos)))
        return "250 OK"

    def wait(self, count: int, timeout: float = 5.0) -> list[Message]:
        """The messages once ``count`` have arrived (the mailer may send in a thread)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.messages)

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address in str(m["To"])]


@contextmanager
def running_smtp_sink() -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink("127.0.0.1", free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def signin_settings(
    settings: Settings, provider: OidcProvider | None = None, sink: SmtpSink | None = None
) -> Settings:
    """``settings`` signing in through ``provider`` and mailing to ``sink``."""
    changes: dict[str, object] = {}
    if provider is not None:
        changes |= {
            "oidc_issuer": provider.issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET,
        }
    if sink is not None:
        changes |= {"smtp_host": sink.host, "smtp_port": sink.port, "smtp_starttls": False}
    return settings.replace(**changes)
