"""Submission by URL (issue #15): loopback and private addresses refused unless allowed,
a redirect to a private address refused, size cap while streaming, and the harvest of a
dataset from a second Ardoise instance (an Opendatasoft-compatible portal) on loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address

import pytest
import uvicorn
from sqlalchemy import Engine

from ardoise.controlplane import fetch
from ardoise.controlplane.errors import ControlPlaneError
from ardoise.controlplane.submissions import SubmissionState, submit_url
from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.controlplane.jobs import validated
from tests.controlplane.test_submissions import IPS, _edited_ips, _people, cp, published
from tests.identity import free_port

__all__ = ["cp", "published"]


@contextmanager
def loopback(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """An HTTP server on a free loopback port answering with ``handler``; its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serving(routes: dict[str, tuple[int, dict[str, str], bytes]]) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers, body = routes.get(self.path, (404, {}, b"absent"))
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    with loopback(Handler) as base:
        yield base


def _leftovers(settings: Settings) -> list[str]:
    root = settings.var_dir / "soumissions"
    return [p.name for p in root.iterdir()] if root.is_dir() else []


def test_loopback_is_refused_by_default(published: Settings, cp: Engine) -> None:
    submitter, _ = _people(cp)
    with serving({"/ecoles.csv": (200, {}, _edited_ips(published))}) as base:
        with pytest.raises(ControlPlaneError, match="adresse privée ou locale"):
            submit_url(cp, published, submitter, IPS, f"{base}/ecoles.csv")
        with pytest.raises(ControlPlaneError, match="http:// et https://"):
            submit_url(cp, published, submitter, IPS, "file:///etc/passwd")
    assert _leftovers(published) == []


def test_an_allowed_url_is_fetched_and_checked(published: Settings, cp: Engine) -> None:
    settings = published.replace(url_allow_private=True)
    submitter, _ = _people(cp)
    with serving({"/ecoles.csv": (200, {}, _edited_ips(published))}) as base:
        s = submit_url(cp, settings, submitter, IPS, f"{base}/ecoles.csv", "par URL")
        assert s.state is SubmissionState.EN_ATTENTE and s.bytes == 0  # fetched by the job
        s = validated(cp, settings, s)
    assert s.bytes == len(_edited_ips(published))
    assert s.state is SubmissionState.A_RELIRE and s.filename == "ecoles.csv"
    assert s.report["apercu"]["lignes"]["modifiees"] == 1
    assert not any(n.startswith("telechargement-") for n in _leftovers(settings))


def test_a_redirect_to_a_private_address_is_refused(
    published: Settings, cp: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 127.0.0.1 plays a public portal; 127.0.0.2 stands for the internal network
    monkeypatch.setattr(fetch, "is_public", lambda ip: ip == ip_address("127.0.0.1"))
    submitter, _ = _people(cp)
    hits: list[str] = []
    with serving({"/x": (302, {"Location": "http://127.0.0.2:9/interne.csv"}, b"")}) as base:
        original = fetch.addresses

        def spy(host: str, port: int) -> list[fetch.IpAddress]:
            hits.append(host)
            return original(host, port)

        monkeypatch.setattr(fetch, "addresses", spy)
        s = validated(cp, published, submit_url(cp, published, submitter, IPS, f"{base}/x"))
    assert s.state is SubmissionState.ECHOUEE  # refused by the job that fetches it
    assert "« 127.0.0.2 » désigne une adresse privée" in s.report["erreur"]
    # checked by the request, then each hop by the job; the second never fetched
    assert hits == ["127.0.0.1", "127.0.0.1", "127.0.0.2"]
    assert _leftovers(published) == []


def test_size_cap_while_streaming(published: Settings, cp: Engine) -> None:
    settings = published.replace(url_allow_private=True, upload_max_mb=1)
    submitter, _ = _people(cp)
    with serving({"/gros.csv": (200, {}, b"x" * (3 << 20))}) as base:
        s = validated(cp, settings, submit_url(cp, settings, submitter, IPS, f"{base}/gros.csv"))
    assert s.state is SubmissionState.ECHOUEE and "trop volumineux" in s.report["erreur"]
    assert _leftovers(settings) == []  # nothing kept of the cut download


@contextmanager
def second_ardoise(settings: Settings) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def test_harvest_from_another_ardoise(published: Settings, cp: Engine) -> None:
    """The dataset's CSV export (official labels) of a second instance is a version."""
    settings = published.replace(url_allow_private=True)
    submitter, _ = _people(cp)
    with second_ardoise(published) as portal:
        url = (
            f"{portal}/api/explore/v2.1/catalog/datasets/{IPS}/exports/csv"
            "?use_labels=true&delimiter=%3B"
        )
        s = submit_url(cp, settings, submitter, IPS, url, "moissonné")
        assert s.filename == f"{IPS}.csv"
        s = validated(cp, settings, s)
    assert s.state is SubmissionState.A_RELIRE, s.report
    preview = s.report["apercu"]
    assert preview["lignes_apres"] == preview["lignes_avant"]
    assert preview["schema"] == {"ajoutes": [], "retires": [], "retypes": []}
