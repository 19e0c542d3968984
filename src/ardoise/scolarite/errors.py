"""API errors of the verification endpoints, in API Particulier v3's shape:
``{"errors": [{"code", "title", "detail", "source", "meta"}]}``. One table, codes as
in API Particulier where one exists; ours are marked.

| status | code  | when |
|--------|-------|------|
| 401 | 00101 | token absent, malformed or unknown |
| 401 | 00103 | token expired |
| 401 | 00105 | token revoked ("liste noire") |
| 403 | 00100 | token without any scope of the endpoint |
| 404 | 30003 | no pupil matches |
| 404 | 30004 | the pupil matched but has left the school (*Scolarité non trouvée*) |
| 405 | 00405 | a method other than GET (ours) |
| 409 | 30015 | several pupils match (ours: ambiguous identity) |
| 422 | 00203, 00210, 004xx | parameter missing or invalid (see ``verification``) |
| 429 | 00429 | rate limit or enumeration throttle (+ ``Retry-After``) |
| 503 | 00503 | registry absent or audit journal unavailable (ours) |
| 503 | 00503 | the ``scolarite`` extra is not installed on this server (ours) |

The domain exceptions of the registry (part of the tree in ``ardoise.errors``) live here,
importable without the ``scolarite`` extra; ``API_ERRORS`` says how this API answers each
of them (``web.errors`` maps the same classes for the other surfaces)::

    * ArdoiseError
      x TokenError             a token cannot be created or revoked as asked (CLI)
      x RegistryUnavailable    the registry cannot be read          → AUDIT_DOWN
      x AuditUnavailable       the audit journal cannot be written  → AUDIT_DOWN
      x MissingExtra           (ardoise.errors)                      → NOT_INSTALLED
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ardoise.errors import ArdoiseError, MissingExtra


class TokenError(ArdoiseError, ValueError):
    """A token cannot be created or revoked as asked (message in French). Still a
    ``ValueError``, as it was before it joined the tree."""


class RegistryUnavailable(ArdoiseError):
    """The registry could not be read: the call gets a 503 without data."""


class AuditUnavailable(ArdoiseError):
    """The journal could not be written: the call must not be answered."""


@dataclass(frozen=True)
class ApiError:
    status: int
    code: str
    title: str
    detail: str
    parameter: str | None = None

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "detail": self.detail,
            "source": {"parameter": self.parameter} if self.parameter else None,
            "meta": {"provider": "MEN"} if self.code.startswith("30") else {},
        }


TOKEN_INVALID = ApiError(
    401, "00101", "Interdit", "Votre token n'est pas valide ou n'est pas renseigné"
)
TOKEN_EXPIRED = ApiError(
    401, "00103", "Jeton expiré", "Votre token est expiré. Vous devez refaire une demande"
)
TOKEN_REVOKED = ApiError(
    401,
    "00105",
    "Jeton sur liste noire",
    "Votre token a été révoqué : celui-ci a certainement été divulgué sur un canal "
    "non-sécurisé. Vous devez refaire une demande",
)
FORBIDDEN = ApiError(
    403,
    "00100",
    "Privilèges insuffisants",
    "Votre token est valide mais vos privilèges sont insuffisants. "
    "Listez vos privilèges sur /api/introspect",
)
NOT_FOUND = ApiError(
    404,
    "30003",
    "Entité non trouvée",
    "Aucun élève n'a pu être trouvé avec les critères de recherche fournis.",
)
NOT_ENROLLED = ApiError(
    404,
    "30004",
    "Scolarité non trouvée",
    "Aucune scolarité n'a pu être trouvée pour cet élève",
)
AMBIGUOUS = ApiError(
    409,
    "30015",
    "Plusieurs élèves correspondent",
    "Plusieurs élèves correspondent aux critères fournis : aucune donnée n'est renvoyée. "
    "Précisez tous les prénoms, ou l'établissement plutôt qu'un périmètre.",
)
METHOD_NOT_ALLOWED = ApiError(
    405,
    "00405",
    "Méthode non autorisée",
    "Seule la méthode GET est acceptée sur ce point d'accès.",
)
TOO_MANY = ApiError(429, "00429", "Trop de requêtes", "Vous avez effectué trop de requêtes")
ENUMERATION = ApiError(
    429,
    "00429",
    "Trop de requêtes",
    "Trop de recherches infructueuses en peu de temps avec ce jeton : les appels sont "
    "suspendus un moment et signalés.",
)
NO_REGISTRY = ApiError(
    503,
    "00503",
    "Service indisponible",
    "Le registre des inscriptions n'est pas configuré sur ce serveur "
    "(voir `ardoise scolarite migrer`).",
)
AUDIT_DOWN = ApiError(
    503,
    "00503",
    "Service indisponible",
    "Le journal d'audit ne peut pas être écrit : aucune réponse n'est donnée sans trace. "
    "Réessayez plus tard.",
)


NOT_INSTALLED = ApiError(
    503,
    "00503",
    "Service indisponible",
    "La vérification de scolarité n'est pas installée sur ce serveur : "
    "`pip install 'ardoise[scolarite]'`.",
)

# The answer of this API to each domain exception that can reach it (no data is sent).
API_ERRORS: dict[type[ArdoiseError], ApiError] = {
    RegistryUnavailable: AUDIT_DOWN,
    AuditUnavailable: AUDIT_DOWN,
    MissingExtra: NOT_INSTALLED,
}


def api_error_of(exc: ArdoiseError) -> ApiError | None:
    """This API's answer to ``exc`` (the missing extra's own message), or None."""
    for kind in type(exc).__mro__:
        if kind in API_ERRORS:
            found = API_ERRORS[kind]
            return replace(found, detail=str(exc)) if isinstance(exc, MissingExtra) else found
    return None


def invalid(code: str, detail: str, parameter: str) -> ApiError:
    return ApiError(422, code, "Entité non traitable", detail, parameter)
