"""HTTP surface of the scolarité service, compatible with API Particulier:

* ``GET /v3/men/scolarites/identite`` (also ``/v4``; ``/v5`` adds ``regime_pensionnat``)
* ``GET /api/introspect`` (a token's own id, name and scopes)

Every answer carries ``X-Request-ID`` and ``Cache-Control: no-store``; authenticated ones
``RateLimit-Limit/-Remaining/-Reset``. Every call writes one audit entry, committed
before the answer is sent; if it cannot be written the answer is a 503 without data.
The router is always mounted: without a registry it answers 503 with a clear message.
Its routes stay out of the public OpenAPI of the open-data site: integrators use API
Particulier's documentation, which these routes follow.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from ardoise.scolarite import audit, errors, matching, scopes, tokens, verification
from ardoise.scolarite.errors import ApiError
from ardoise.scolarite.service import ScolariteService
from ardoise.scolarite.siret import is_siret

_MAX_PARAM = 1000
_PRIVATE_PATHS = ("/v3/men/", "/v4/men/", "/v5/men/", "/api/introspect")


class RedactQueries(logging.Filter):
    """Access logs keep the path of scolarité calls, never their query string (names,
    birth dates, tokens)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, sep, _query = args[2].partition("?")
            if sep and path.startswith(_PRIVATE_PATHS):
                record.args = (*args[:2], f"{path}?[masqué]", *args[3:])
        return True


def install_log_redaction() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactQueries) for f in logger.filters):
        logger.addFilter(RedactQueries())


class _Call:
    """One request's state: id, token, headers and the audit entry it leaves."""

    def __init__(self, service: ScolariteService, request: Request, endpoint: str) -> None:
        self.service = service
        self.endpoint = endpoint
        self.request_id = str(uuid.uuid4())
        self.params = [(k[:100], v[:_MAX_PARAM]) for k, v in request.query_params.multi_items()]
        self.headers: dict[str, str] = {
            "X-Request-ID": self.request_id,
            "Cache-Control": "no-store",
        }
        self.token: tokens.Token | None = None
        self.flag: str | None = None
        self.bearer = _bearer(request)
        self._conn: Connection | None = None

    def connection(self) -> Connection:
        """One pooled connection per call, for its reads (token, candidates)."""
        if self._conn is None:
            assert self.service.engine is not None
            # autocommit: plain reads, no BEGIN/ROLLBACK round trips
            self._conn = self.service.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            )
        return self._conn

    def release(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def recipient(self) -> str | None:
        value = next((v for k, v in self.params if k == "recipient"), None)
        if value is None:
            return None
        return value if is_siret(value) else "invalide"

    def finish(self, status: int, outcome: str, body: dict[str, Any]) -> Response:
        self.release()  # reads are over: give the connection back before waiting
        try:
            entry = audit.AuditEntry(
                request_id=self.request_id,
                endpoint=self.endpoint,
                statut=status,
                resultat=outcome,
                empreinte_parametres=audit.params_hash(self.service.salt, self.params),
                jeton_id=self.token.id if self.token else None,
                recipient=self.recipient(),
                drapeau=self.flag,
            )
            self.service.writer.record(entry)
        except (audit.AuditUnavailable, SQLAlchemyError):
            return self.plain_error(errors.AUDIT_DOWN)
        return Response(
            orjson.dumps(body),
            status_code=status,
            headers=self.headers,
            media_type="application/json",
        )

    def error(self, problem: ApiError, outcome: str | None = None) -> Response:
        return self.finish(problem.status, outcome or problem.code, {"errors": [problem.body()]})

    def plain_error(self, problem: ApiError) -> Response:
        """An error that cannot be audited (no registry, journal down)."""
        return Response(
            orjson.dumps({"errors": [problem.body()]}),
            status_code=problem.status,
            headers=self.headers,
            media_type="application/json",
        )


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _authenticate(call: _Call) -> Response | None:
    """Token checks in API Particulier's order; None when the call may proceed."""
    service = call.service
    secret = call.bearer
    if not secret or not tokens.well_formed(secret):
        return call.error(errors.TOKEN_INVALID)
    token = tokens.lookup(call.connection(), secret)
    if token is None:
        return call.error(errors.TOKEN_INVALID)
    call.token = token
    state = token.state(service.clock())
    if state is tokens.TokenState.REVOKED:
        return call.error(errors.TOKEN_REVOKED)
    if state is tokens.TokenState.EXPIRED:
        return call.error(errors.TOKEN_EXPIRED)
    decision = service.limiter.hit(token.id, token.limite_par_seconde)
    call.headers.update(
        {
            "RateLimit-Limit": str(decision.limit),
            "RateLimit-Remaining": str(decision.remaining),
            "RateLimit-Reset": str(decision.reset),
        }
    )
    if not decision.allowed:
        call.headers["Retry-After"] = str(decision.reset)
        return call.error(errors.TOO_MANY)
    return None


def _identite(service: ScolariteService, request: Request, version: int) -> Response:
    call = _Call(service, request, f"/v{version}/men/scolarites/identite")
    try:
        return _verify(call, version)
    except SQLAlchemyError:  # database unreachable mid-call: no answer without audit
        return call.plain_error(errors.AUDIT_DOWN)
    finally:
        call.release()


def _verify(call: _Call, version: int) -> Response:
    service = call.service
    if service.engine is None:
        return call.plain_error(errors.NO_REGISTRY)
    accepted = frozenset(scopes.ALL if version >= 5 else scopes.ALL[:-1])
    refused = _authenticate(call)
    if refused is not None:
        return refused
    token = call.token
    assert token is not None
    if not token.scopes & accepted:
        return call.error(errors.FORBIDDEN)
    verdict = service.guard.check(token.id)
    if verdict.flagged:
        call.flag = "enumeration"
        call.headers["X-Ralentissement"] = f"{verdict.delay:.2f}"
    if verdict.blocked:
        call.headers["Retry-After"] = str(verdict.retry_after)
        return call.error(errors.ENUMERATION, "enumeration")
    if verdict.delay > 0:
        service.sleep(verdict.delay)
    now = service.clock()
    parsed = verification.parse(call.params, now.date())
    if isinstance(parsed, list):
        return call.finish(422, "parametres", {"errors": [p.body() for p in parsed]})
    result = matching.find(call.connection(), parsed)
    if result.kind is matching.MatchKind.AMBIGUOUS:
        service.guard.miss(token.id)
        return call.error(errors.AMBIGUOUS, "ambigu")
    record = result.record
    if record is None:
        service.guard.miss(token.id)
        return call.error(errors.NOT_FOUND, "inconnu")
    left = record["date_sortie"]
    if left is not None and left <= now.date():
        return call.error(errors.NOT_ENROLLED, "sorti")
    meta: dict[str, Any] = {}
    if record["synthetique"]:
        meta["donnees_synthetiques"] = True
        meta["avertissement"] = "Registre synthétique : aucun élève réel."
    body: dict[str, Any] = {
        "data": verification.answer_data(record, token.scopes, version),
        "links": {},
        "meta": meta,
    }
    return call.finish(200, "trouve", body)


def build_router(service: ScolariteService) -> APIRouter:
    install_log_redaction()
    router = APIRouter(tags=["Scolarité (administrations)"])

    def make(version: int) -> Any:
        def identite(request: Request) -> Response:
            return _identite(service, request, version)

        identite.__doc__ = (
            "Statut élève scolarisé (compatible API Particulier v3) : réservé aux "
            "administrations munies d'un jeton. Paramètres : recipient, nomNaissance, "
            "prenoms[], sexeEtatCivil, anneeDateNaissance, moisDateNaissance, "
            "jourDateNaissance, anneeScolaire, codeEtablissement ou "
            "codesBcnDepartements[]/codesBcnRegions[] avec degreEtablissement."
        )
        return identite

    for version in (3, 4, 5):
        router.add_api_route(
            f"/v{version}/men/scolarites/identite",
            make(version),
            methods=["GET"],
            name=f"scolarite_identite_v{version}",
            include_in_schema=False,
        )

    @router.get("/api/introspect", name="scolarite_introspect", include_in_schema=False)
    def introspect(request: Request) -> Response:
        """Les droits du jeton présenté (identifiant, intitulé, scopes)."""
        call = _Call(service, request, "/api/introspect")
        if call.bearer is None:
            call.bearer = next((v for k, v in call.params if k == "token"), None)
        if service.engine is None:
            return call.plain_error(errors.NO_REGISTRY)
        try:
            refused = _authenticate(call)
        except SQLAlchemyError:
            return call.plain_error(errors.AUDIT_DOWN)
        finally:
            call.release()
        if refused is not None:
            return refused
        token = call.token
        assert token is not None
        return call.finish(
            200,
            "introspection",
            {"_id": token.id, "name": token.intitule, "scopes": sorted(token.scopes)},
        )

    return router
