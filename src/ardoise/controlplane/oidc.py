"""Sign-in through OpenID Connect (ProConnect for civil servants, FranceConnect for
families): the authorization-code flow with PKCE and a nonce, through Authlib's OAuth 2
client; the ID token is verified against the provider's published keys (joserfc, the
library Authlib now builds on): signature, issuer, audience, expiry and nonce.

The flow in two calls, with nothing kept on the server between them (the caller keeps the
:class:`Pending` values in a signed cookie)::

    pending = provider.start(redirect_uri)     # → redirect the browser to pending.url
    identity = provider.finish(pending, redirect_uri, code=…, state=…)   # at the callback
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ardoise.controlplane.errors import ProviderUnavailable, Unauthenticated
from ardoise.settings import Settings

TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in."""

    issuer: str
    subject: str
    email: str
    name: str


@dataclass(frozen=True)
class Pending:
    """What the callback needs to finish a sign-in started by :meth:`Provider.start`."""

    url: str  # where to send the browser
    state: str
    nonce: str
    code_verifier: str


class Provider:
    """One OpenID Connect provider: its discovery document and keys are read at first use."""

    def __init__(self, issuer: str, client_id: str, client_secret: str, scopes: str) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self.scopes = scopes
        self._metadata: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None:
                doc = _get_json(f"{self.issuer}/.well-known/openid-configuration")
                if str(doc.get("issuer", "")).rstrip("/") != self.issuer:
                    raise ProviderUnavailable(
                        "Fournisseur d'identité mal configuré : son émetteur ne correspond pas "
                        "au réglage ARDOISE_OIDC_ISSUER."
                    )
                self._metadata = doc
            return self._metadata

    def _client(self, redirect_uri: str) -> OAuth2Client:
        return OAuth2Client(
            client_id=self.client_id,
            client_secret=self._secret,
            scope=self.scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=TIMEOUT_S,
        )

    def start(self, redirect_uri: str) -> Pending:
        """The provider's authorization URL for a new sign-in, and what to check on return."""
        nonce = secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        with self._client(redirect_uri) as client:
            url, state = client.create_authorization_url(
                self.metadata()["authorization_endpoint"], nonce=nonce, code_verifier=verifier
            )
        return Pending(url=url, state=state, nonce=nonce, code_verifier=verifier)

    def finish(self, pending: Pending, redirect_uri: str, *, code: str, state: str) -> Identity:
        """Exchange the code for tokens and verify the ID token; the :class:`Identity`."""
        claims = self.claims(pending, redirect_uri, code=code, state=state)
        email = str(claims.get("email") or "")
        if not email:
            raise Unauthenticated("Le fournisseur d'identité n'a pas transmis d'adresse.")
        name = " ".join(
            str(claims[k]) for k in ("given_name", "usual_name", "family_name") if claims.get(k)
        )
        return Identity(self.issuer, str(claims["sub"]), email, name or str(claims.get("name", "")))

    def claims(
        self, pending: Pending, redirect_uri: str, *, code: str, state: str
    ) -> dict[str, Any]:
        """Exchange the code for tokens; the verified ID token's claims (the families' view
        reads FranceConnect's identity pivot from them)."""
        if not code or not secrets.compare_digest(state, pending.state):
            raise Unauthenticated("Connexion interrompue ou rejouée : recommencez.")
        meta = self.metadata()
        try:
            with self._client(redirect_uri) as client:
                token = client.fetch_token(
                    meta["token_endpoint"],
                    code=code,
                    code_verifier=pending.code_verifier,
                    redirect_uri=redirect_uri,
                )
        except Exception as exc:  # Authlib's OAuthError, httpx's errors: one French message
            raise Unauthenticated(
                "Le fournisseur d'identité a refusé la connexion : recommencez."
            ) from exc
        return self._verify(str(token.get("id_token", "")), pending.nonce)

    def _verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        keys = KeySet.import_key_set(_get_json(self.metadata()["jwks_uri"]))  # type: ignore[arg-type]
        registry = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            decoded = jwt.decode(id_token, keys)
            registry.validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise Unauthenticated(
                "Jeton d'identité invalide (signature, émetteur, audience ou expiration)."
            ) from exc
        return dict(decoded.claims)


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=TIMEOUT_S)
        response.raise_for_status()
        doc = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderUnavailable(
            "Fournisseur d'identité injoignable : réessayez dans quelques minutes."
        ) from exc
    if not isinstance(doc, dict):
        raise ProviderUnavailable("Fournisseur d'identité : réponse inattendue.")
    return doc


def provider_of(settings: Settings) -> Provider | None:
    """The configured provider, or None when ``oidc_issuer`` is empty."""
    if not settings.oidc_issuer.strip():
        return None
    return Provider(
        settings.oidc_issuer.strip(),
        settings.oidc_client_id,
        settings.oidc_client_secret.reveal(),
        settings.oidc_scopes,
    )
