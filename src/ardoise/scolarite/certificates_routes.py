"""HTTP surface of the school certificates.

* ``GET /v3/men/scolarites/certificat`` — for administrations with a token holding every
  scope whose data the certificate shows (identity, schooling, school, MEF). Same identity
  parameters and errors as ``/v3/men/scolarites/identite``; answers the PDF
  (``Accept: application/json``: the signed certificate as JSON). Audited like every call.
* ``GET /verifier/{id}`` — public, no token: is the certificate authentic and still valid?
  Shows only what the certificate shows. HTML for a browser (the QR code), JSON otherwise.
  ``?signature=`` (or a whole signed document) must then be the one issued.
* ``POST /verifier`` — public: checks a signed document ``{"document": "<payload>.<sig>"}``
  (kept in the PDF's keywords) — signature first, then the issued certificate.
* ``GET /verifier/cle-publique`` — the Ed25519 public key (PEM), to check offline.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from ardoise.query.release import ReleaseHolder
from ardoise.scolarite import certificates, errors, scopes
from ardoise.scolarite.calls import Call, identify
from ardoise.scolarite.certificates_pdf import render, verify_url
from ardoise.scolarite.certificates_signing import Signer, lazy
from ardoise.scolarite.school_names import school_name
from ardoise.scolarite.service import ScolariteService
from ardoise.scolarite.store import RegistryUnavailable
from ardoise.settings import Settings

REQUIRED_SCOPES: frozenset[str] = frozenset(
    {scopes.IDENTITE, scopes.SCOLARITE, scopes.ETABLISSEMENT, scopes.MEF}
)
_MAX_DOCUMENT = 8192


def public_view(v: certificates.Verification) -> dict[str, Any]:
    """The verification answer: verdict, message and the certificate's own content."""
    body: dict[str, Any] = {"statut": v.verdict.value, "message": v.message}
    if v.certificate is not None:
        body["certificat"] = v.certificate.payload()
        if v.certificate.synthetique:
            body["avertissement"] = "Registre synthétique : aucun élève réel."
    return body


def _html(v: certificates.Verification) -> str:
    ok = v.verdict is certificates.Verdict.VALID
    rows = ""
    c = v.certificate
    if c is not None:
        items = [
            ("Élève", f"{c.nom} {' '.join(c.prenoms)}"),
            ("Date de naissance", c.date_naissance),
            ("Établissement", f"{c.etablissement or ''} (UAI {c.uai})".strip()),
            ("Année scolaire", c.annee_scolaire),
            ("Niveau", c.niveau),
            ("Délivré le", c.date),
            ("Certificat n°", c.id),
        ]
        rows = "".join(
            f"<tr><th scope='row'>{html.escape(k)}</th><td>{html.escape(val)}</td></tr>"
            for k, val in items
        )
        rows = f"<table>{rows}</table>"
        if c.synthetique:
            rows = "<p><strong>Données synthétiques : aucun élève réel.</strong></p>" + rows
    return (
        "<!doctype html><html lang='fr'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<meta name='robots' content='noindex'>"
        "<title>Vérification d'un certificat de scolarité</title></head><body>"
        "<h1>Vérification d'un certificat de scolarité</h1>"
        f"<p class='{'valide' if ok else 'refuse'}'><strong>{html.escape(v.message)}"
        f"</strong></p>{rows}</body></html>"
    )


def _verification_response(request: Request, v: certificates.Verification) -> Response:
    headers = {"Cache-Control": "no-store"}
    status = 404 if v.verdict is certificates.Verdict.UNKNOWN else 200
    if "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(_html(v), status_code=status, headers=headers)
    return Response(
        orjson.dumps(public_view(v)),
        status_code=status,
        headers=headers,
        media_type="application/json",
    )


SchoolName = Callable[[str], str | None]


async def _certificat(
    service: ScolariteService,
    signer: Callable[[], Signer],
    public_url: str,
    names: SchoolName,
    request: Request,
) -> Response:
    call = Call(service, request, "/v3/men/scolarites/certificat")
    if service.engine is None:
        return call.plain_error(errors.NO_REGISTRY)
    try:
        return await _certify(call, signer, public_url, names, request)
    except (RegistryUnavailable, SQLAlchemyError):  # database unreachable: no answer
        return call.plain_error(errors.AUDIT_DOWN)


async def _certify(
    call: Call, signer: Callable[[], Signer], public_url: str, names: SchoolName, request: Request
) -> Response:
    service = call.service
    engine = service.engine
    assert engine is not None
    today = service.clock().date()
    found = await identify(call, today, lambda granted: granted >= REQUIRED_SCOPES)
    if isinstance(found, Response):
        return found
    record = found
    uai = str(record["uai"])
    signed = await asyncio.to_thread(  # the school's name may load the release: not on the loop
        lambda: certificates.issue(engine, signer(), record, today=today, school_name=names(uai))
    )
    if not await call.audited(200, "certificat"):  # no audit entry: no certificate
        return call.plain_error(errors.AUDIT_DOWN)
    url = verify_url(public_url, signed.certificate.id)
    headers = dict(call.headers)
    if "application/json" in request.headers.get("accept", ""):
        body = {
            "data": {
                "certificat": signed.certificate.payload(),
                "signature": signed.signature,
                "document": signed.document,
                "url_verification": url,
            },
            "links": {"verification": url},
            "meta": {"donnees_synthetiques": True} if signed.certificate.synthetique else {},
        }
        return Response(orjson.dumps(body), headers=headers, media_type="application/json")
    headers["Content-Disposition"] = (
        f'attachment; filename="certificat-scolarite-{signed.certificate.id}.pdf"'
    )
    pdf = await asyncio.to_thread(render, signed, public_url)
    return Response(pdf, headers=headers, media_type="application/pdf")


def build_router(
    service: ScolariteService,
    signer: Callable[[], Signer],
    public_url: str,
    names: SchoolName = lambda _uai: None,
) -> APIRouter:
    """Routes of the certificates; ``signer`` loads (or creates) the key on first use;
    ``names`` gives a school's name from its UAI (the release's directory)."""
    router = APIRouter(tags=["Certificats de scolarité"])

    @router.get("/v3/men/scolarites/certificat", name="scolarite_certificat")
    async def certificat(request: Request) -> Response:
        """Certificat de scolarité signé (PDF, ou JSON avec `Accept: application/json`) :
        mêmes paramètres que `/v3/men/scolarites/identite` ; le jeton doit avoir les scopes
        identité, scolarité, établissement et MEF."""
        return await _certificat(service, signer, public_url, names, request)

    @router.get("/verifier/cle-publique", name="certificat_cle_publique")
    def cle_publique() -> Response:
        """Clé publique Ed25519 (PEM) qui signe les certificats de scolarité."""
        return Response(signer().public_pem(), media_type="application/x-pem-file")

    @router.get("/verifier/{cert_id}", name="certificat_verifier")
    def verifier(request: Request, cert_id: str, signature: str | None = None) -> Response:
        """Un certificat est-il authentique et toujours valide ? (public, sans jeton)"""
        if service.engine is None:
            return _verification_response(
                request, certificates.Verification(certificates.Verdict.UNKNOWN, None)
            )
        presented = None if signature is None else signature[:_MAX_DOCUMENT]
        v = certificates.check(
            service.engine,
            signer().public,
            cert_id[:64],
            presented=presented,
            today=service.clock().date(),
        )
        return _verification_response(request, v)

    @router.post("/verifier", name="certificat_verifier_document")
    async def verifier_document(request: Request) -> Response:
        """Vérifier un certificat signé : `{"document": "<charge>.<signature>"}`."""
        raw = await request.body()
        try:
            document = orjson.loads(raw[: _MAX_DOCUMENT * 2]).get("document")
        except (orjson.JSONDecodeError, AttributeError):
            document = None
        if not isinstance(document, str) or not document or len(document) > _MAX_DOCUMENT:
            return Response(
                orjson.dumps(
                    {
                        "statut": "invalide",
                        "message": 'Corps attendu : {"document": "<charge>.<signature>"} '
                        "(le texte imprimé sous « Signature électronique »).",
                    }
                ),
                status_code=422,
                media_type="application/json",
            )
        if service.engine is None:
            v = certificates.Verification(certificates.Verdict.UNKNOWN, None)
        else:
            v = certificates.check_document(
                service.engine, signer().public, document, today=service.clock().date()
            )
        return _verification_response(request, v)

    return router


def router_for(service: ScolariteService, settings: Settings, holder: ReleaseHolder) -> APIRouter:
    """The certificate routes of an app: key under ``settings.var_dir``, links to
    ``settings.public_url``, school names from the app's current release."""
    return build_router(
        service,
        lazy(settings.var_dir),
        settings.public_url,
        lambda uai: school_name(holder, uai),
    )
