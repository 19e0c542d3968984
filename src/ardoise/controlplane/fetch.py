"""Fetching a submitted version from a URL (issue #15), without becoming a way into the
ministry's network: only ``http``/``https``; every address the host resolves to must be
public (no loopback, private, link-local — the cloud metadata address —, shared, reserved
or multicast) unless ``url_allow_private``; the connection goes to the address that was
checked (no DNS rebinding between check and connection; the ``Host`` header and TLS name
stay the URL's); redirects are followed by hand, at most :data:`MAX_REDIRECTS`, each hop
checked again; the body is streamed to disk, cut past ``upload_max_mb`` and past
``url_fetch_timeout_s``. Every refusal is a French :class:`ControlPlaneError`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from ardoise.controlplane.errors import ControlPlaneError
from ardoise.settings import Settings

MAX_REDIRECTS = 5
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(ip: IpAddress) -> bool:
    """Whether ``ip`` is a public Internet address.

    >>> [is_public(ipaddress.ip_address(a)) for a in ("8.8.8.8", "2001:4860:4860::8888")]
    [True, True]
    >>> [is_public(ipaddress.ip_address(a)) for a in ("127.0.0.1", "10.1.2.3", "192.168.0.1",
    ...     "169.254.169.254", "100.64.0.1", "::1", "fd00::1", "0.0.0.0", "::ffff:127.0.0.1")]
    [False, False, False, False, False, False, False, False, False]
    """
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(ip.is_global) and not (ip.is_multicast or ip.is_reserved or ip.is_loopback)


def addresses(host: str, port: int) -> list[IpAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise ControlPlaneError(f"Adresse introuvable : « {host} » ne se résout pas.") from None
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def _target(url: str, allow_private: bool) -> tuple[str, str, str]:
    """(URL to connect to, by checked address; Host header; TLS server name)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ControlPlaneError(
            "URL refusée : seules les adresses http:// et https:// sont admises."
        )
    port = parts.port or (443 if parts.scheme == "https" else 80)
    found = addresses(parts.hostname, port)
    if not allow_private and not all(is_public(ip) for ip in found):
        raise ControlPlaneError(
            f"URL refusée : « {parts.hostname} » désigne une adresse privée ou locale "
            "(réglage ARDOISE_URL_ALLOW_PRIVATE)."
        )
    ip = found[0]
    netloc = f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"
    host = parts.netloc.rsplit("@", 1)[-1]
    return (
        urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")),
        host,
        parts.hostname,
    )


@dataclass(frozen=True)
class Fetched:
    bytes: int
    sha256: str
    url: str  # after redirects
    etag: str | None
    last_modified: str | None


def fetch_to(settings: Settings, url: str, target: Path) -> tuple[int, str, str]:
    """Download ``url`` to ``target``; (bytes, SHA-256, final URL). Nothing kept on error."""
    got = fetch(settings, url, target)
    assert got is not None  # no conditional header sent: never "not modified"
    return got.bytes, got.sha256, got.url


def fetch(
    settings: Settings, url: str, target: Path, headers: Mapping[str, str] | None = None
) -> Fetched | None:
    """Download ``url`` to ``target`` with extra request ``headers`` (``If-None-Match``,
    ``If-Modified-Since``); None when the server answers 304 Not Modified (nothing kept)."""
    cap = settings.upload_max_mb << 20
    deadline = time.monotonic() + settings.url_fetch_timeout_s
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with httpx.Client(
            follow_redirects=False, timeout=min(30, settings.url_fetch_timeout_s)
        ) as client:
            for _hop in range(MAX_REDIRECTS + 1):
                connect, host, name = _target(url, settings.url_allow_private)
                sent = {"Host": host, "User-Agent": "Ardoise (soumission)", **(headers or {})}
                request = client.build_request(
                    "GET", connect, headers=sent, extensions={"sni_hostname": name}
                )
                response = client.send(request, stream=True)
                if response.is_redirect and "location" in response.headers:
                    response.close()
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status_code == 304:
                    response.close()
                    return None
                size, sha = _stream(response, target, cap, deadline)
                answer = response.headers
                return Fetched(size, sha, url, answer.get("etag"), answer.get("last-modified"))
    except httpx.HTTPError as exc:
        target.unlink(missing_ok=True)
        raise ControlPlaneError(f"Téléchargement impossible : {type(exc).__name__}.") from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    raise ControlPlaneError(f"URL refusée : plus de {MAX_REDIRECTS} redirections.")


def _stream(response: httpx.Response, target: Path, cap: int, deadline: float) -> tuple[int, str]:
    try:
        return _write(response, target, cap, deadline)
    finally:
        response.close()


def _write(response: httpx.Response, target: Path, cap: int, deadline: float) -> tuple[int, str]:
    if response.status_code != 200:
        raise ControlPlaneError(f"Téléchargement impossible : réponse HTTP {response.status_code}.")
    declared = response.headers.get("content-length", "")
    too_big = f"Fichier trop volumineux : plus de {cap >> 20} Mo (réglage ARDOISE_UPLOAD_MAX_MB)."
    if declared.isdigit() and int(declared) > cap:
        raise ControlPlaneError(too_big)
    digest, size = hashlib.sha256(), 0
    with open(target, "wb") as out:
        for chunk in response.iter_bytes(1 << 20):
            size += len(chunk)
            if size > cap:
                raise ControlPlaneError(too_big)
            if time.monotonic() > deadline:
                raise ControlPlaneError(
                    "Téléchargement trop long : délai dépassé (réglage ARDOISE_URL_FETCH_TIMEOUT_S)."
                )
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        raise ControlPlaneError("Le fichier téléchargé est vide.")
    return size, digest.hexdigest()


def check_url(settings: Settings, url: str) -> None:
    """Refuse at once what :func:`fetch_to` would refuse before connecting: another scheme
    than http(s), a host that does not resolve or resolves to a private address."""
    _target(url, settings.url_allow_private)
