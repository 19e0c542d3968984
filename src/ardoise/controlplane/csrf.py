"""CSRF protection of every form of the producers' space and the account pages: each
session carries a random token (:class:`~.session.Session`), each form a hidden
``csrf`` field (or a fetch call the ``X-CSRF-Token`` header) with that token, compared in
constant time before anything is done. A form without the session's token is refused
with a French 403, whatever the session.

    >>> from ardoise.controlplane.session import Session
    >>> s = Session(sid="s", csrf="t0k3n")
    >>> matches(s, "t0k3n"), matches(s, "autre"), matches(None, "t0k3n"), matches(s, "")
    (True, False, False, False)
"""

from __future__ import annotations

import hmac

from ardoise.controlplane.errors import Forbidden
from ardoise.controlplane.session import Session

FIELD = "csrf"
HEADER = "x-csrf-token"


def matches(session: Session | None, submitted: str | None) -> bool:
    if session is None or not submitted or not session.csrf:
        return False
    return hmac.compare_digest(session.csrf.encode(), submitted.encode())


def check(session: Session | None, submitted: str | None) -> None:
    """Raise :class:`Forbidden` unless ``submitted`` is the session's CSRF token."""
    if not matches(session, submitted):
        raise Forbidden(
            "Formulaire expiré ou envoyé depuis un autre site (jeton CSRF absent ou invalide) : "
            "rechargez la page et recommencez."
        )
