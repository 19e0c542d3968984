"""Who is asking: the address a quota counts and a log names (issue #21).

``X-Forwarded-For`` is believed only when the connection comes from one of the configured
proxies (``ARDOISE_TRUSTED_PROXIES``); then the client is the rightmost address of the
header that is not itself a trusted proxy. Anyone else rotating the header changes nothing.

>>> scope = {"client": ("10.0.0.1", 1), "headers": [(b"x-forwarded-for", b"1.2.3.4, 10.0.0.1")]}
>>> client_ip(scope, frozenset())
'10.0.0.1'
>>> client_ip(scope, frozenset({"10.0.0.1"}))
'1.2.3.4'
>>> client_ip({"client": ("9.9.9.9", 1), "headers": scope["headers"]}, frozenset({"10.0.0.1"}))
'9.9.9.9'
"""

from __future__ import annotations

from starlette.types import Scope


def trusted_proxies(raw: str) -> frozenset[str]:
    """``"10.0.0.1, 10.0.0.2"`` → the set of addresses (empty: trust nobody)."""
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def client_ip(scope: Scope, trusted: frozenset[str]) -> str:
    peer = str((scope.get("client") or ("?", 0))[0])
    if peer not in trusted:
        return peer
    forwarded = [
        value.decode("latin-1")
        for key, value in scope.get("headers") or []
        if key == b"x-forwarded-for"
    ]
    hops = [h.strip() for h in ",".join(forwarded).split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return peer
