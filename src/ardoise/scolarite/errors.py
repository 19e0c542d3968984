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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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


def invalid(code: str, detail: str, parameter: str) -> ApiError:
    return ApiError(422, code, "Entité non traitable", detail, parameter)
