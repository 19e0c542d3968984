"""One authenticated, audited call of the scolarité API, shared by the identity,
introspection and certificate endpoints.

A :class:`Call` holds the request id, the (truncated) parameters, the token and the
candidate pupils once read (one round trip, :mod:`ardoise.scolarite.lookup`) and the
answer headers. :meth:`Call.finish` writes the audit entry and awaits its commit before
the answer exists: no entry, no answer (503 without data).
"""

from __future__ import annotations

import inspect
import math
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.exc import SQLAlchemyError

from ardoise.scolarite import (
    audit,
    certificates,
    errors,
    matching,
    throttle,
    tokens,
    verification,
)
from ardoise.scolarite.errors import ApiError
from ardoise.scolarite.lookup import Lookup
from ardoise.scolarite.matching import IdentityQuery
from ardoise.scolarite.service import ScolariteService
from ardoise.scolarite.siret import is_siret

MAX_PARAM = 1000


class Call:
    """One request's state: id, token, headers and the audit entry it leaves."""

    def __init__(self, service: ScolariteService, request: Request, endpoint: str) -> None:
        self.service = service
        self.endpoint = endpoint
        self.request_id = str(uuid.uuid4())
        self.params = [(k[:100], v[:MAX_PARAM]) for k, v in request.query_params.multi_items()]
        self.headers: dict[str, str] = {
            "X-Request-ID": self.request_id,
            "Cache-Control": "no-store",
        }
        self.token: tokens.Token | None = None
        self.flag: str | None = None
        self.bearer = bearer(request)
        self.found = Lookup(None)
        self.pupil: str | None = None  # identifier of the pupil identified (audit hash)
        self.now = 0.0  # Unix time of the lookup

    def suspicion(self) -> throttle.EnumerationVerdict:
        """The enumeration throttle's verdict on this call's token (shared counts on
        PostgreSQL, the process's own otherwise)."""
        assert self.token is not None
        guard = self.service.guard
        if self.found.misses is None:
            return guard.check(self.token.id)
        return throttle.judge(self.found.misses, self.found.oldest_miss, self.now, guard.threshold)

    async def missed(self) -> None:
        """Count this call as an unsuccessful search of its token."""
        assert self.token is not None
        if self.found.misses is None:
            self.service.guard.miss(self.token.id)
        else:
            await self.service.store.miss(self.token.id, self.now)

    async def pause(self, seconds: float) -> None:
        """The enumeration throttle's delay (the service's ``sleep``, sync or async)."""
        pending = self.service.sleep(seconds)
        if inspect.isawaitable(pending):
            await pending

    def recipient(self) -> str | None:
        value = next((v for k, v in self.params if k == "recipient"), None)
        if value is None:
            return None
        return value if is_siret(value) else "invalide"

    async def audited(self, status: int, outcome: str) -> bool:
        """Write this call's audit entry and await its commit; False if it failed."""
        try:
            entry = audit.AuditEntry(
                request_id=self.request_id,
                endpoint=self.endpoint,
                statut=status,
                resultat=outcome,
                empreinte_parametres=audit.call_hash(self.service.salt, self.params, self.pupil),
                jeton_id=self.token.id if self.token else None,
                recipient=self.recipient(),
                drapeau=self.flag,
            )
            await self.service.store.writer.record(entry)
        except (audit.AuditUnavailable, SQLAlchemyError):
            return False
        return True

    async def finish(self, status: int, outcome: str, body: dict[str, Any]) -> Response:
        if not await self.audited(status, outcome):
            return self.plain_error(errors.AUDIT_DOWN)
        return Response(
            orjson.dumps(body),
            status_code=status,
            headers=self.headers,
            media_type="application/json",
        )

    async def error(self, problem: ApiError, outcome: str | None = None) -> Response:
        return await self.finish(
            problem.status, outcome or problem.code, {"errors": [problem.body()]}
        )

    def plain_error(self, problem: ApiError) -> Response:
        """An error that cannot be audited (no registry, journal down)."""
        return Response(
            orjson.dumps({"errors": [problem.body()]}),
            status_code=problem.status,
            headers=self.headers,
            media_type="application/json",
        )


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


async def authenticate(call: Call, query: IdentityQuery | None = None) -> Response | None:
    """Token checks in API Particulier's order; None when the call may proceed. With a
    ``query``, its candidates are read in the same round trip (``call.found``); only
    :func:`identify`, once the token has passed, looks at them."""
    service = call.service
    secret = call.bearer
    if not secret or not tokens.well_formed(secret):
        return await call.error(errors.TOKEN_INVALID)
    call.now = now = service.clock().timestamp()
    call.found = found = await service.store.fetch(secret, query, now)
    token = found.token
    if token is None:
        return await call.error(errors.TOKEN_INVALID)
    call.token = token
    state = token.state(service.clock())
    if state is tokens.TokenState.REVOKED:
        return await call.error(errors.TOKEN_REVOKED)
    if state is tokens.TokenState.EXPIRED:
        return await call.error(errors.TOKEN_EXPIRED)
    if found.calls is None:  # this process counts
        decision = service.limiter.hit(token.id, token.limite_par_seconde)
    else:  # counted by the database, for every process
        decision = throttle.decide(found.calls, token.limite_par_seconde, math.floor(now), now)
    call.headers.update(
        {
            "RateLimit-Limit": str(decision.limit),
            "RateLimit-Remaining": str(decision.remaining),
            "RateLimit-Reset": str(decision.reset),
        }
    )
    if not decision.allowed:
        call.headers["Retry-After"] = str(decision.reset)
        return await call.error(errors.TOO_MANY)
    return None


async def identify(
    call: Call,
    today: date,
    permitted: Callable[[frozenset[str]], bool],
    announce_delay: bool = False,
) -> Response | dict[str, Any]:
    """The course shared by the identity and certificate endpoints, in API Particulier's
    order: token, scopes (``permitted``), enumeration throttle, parameters (422), match
    (409, 404), still enrolled (404). A Response is a refusal, already audited; a dict is
    the enrolled pupil's row. ``announce_delay`` adds ``X-Ralentissement`` to slowed calls."""
    parsed = verification.parse(call.params, today)  # no effect: checked after the token
    query = parsed if isinstance(parsed, IdentityQuery) else None
    refused = await authenticate(call, query)
    if refused is not None:
        return refused
    assert call.token is not None
    if not permitted(call.token.scopes):
        return await call.error(errors.FORBIDDEN)
    verdict = call.suspicion()
    if verdict.flagged:
        call.flag = "enumeration"
        if announce_delay:
            call.headers["X-Ralentissement"] = f"{verdict.delay:.2f}"
    if verdict.blocked:
        call.headers["Retry-After"] = str(verdict.retry_after)
        return await call.error(errors.ENUMERATION, "enumeration")
    if verdict.delay > 0:
        await call.pause(verdict.delay)
    if query is None:
        assert isinstance(parsed, list)
        return await call.finish(422, "parametres", {"errors": [p.body() for p in parsed]})
    result = matching.choose(list(call.found.candidates), query)  # the token has passed
    if result.kind is matching.MatchKind.AMBIGUOUS:
        await call.missed()
        return await call.error(errors.AMBIGUOUS, "ambigu")
    if result.record is None:
        await call.missed()
        return await call.error(errors.NOT_FOUND, "inconnu")
    call.pupil = str(result.record["identifiant"])  # the families' view finds the call by it
    if not certificates.enrolled(result.record, today):
        return await call.error(errors.NOT_ENROLLED, "sorti")
    return result.record
