"""A release as one citable bundle (issue #18), mounted under ``/api/v1``::

    GET /releases/{id}/bundle.zip                       streamed: every Parquet file, the
        manifest and Data Package, the codebooks (JSON, Markdown), CITATION.cff, the
        citation in CSL-JSON and BibTeX, Croissant JSON-LD, and SHA256SUMS (last)
    GET /releases/{id}/croissant.json                   Croissant JSON-LD
    GET /releases/{id}/citation.{json|bib|cff}          the release's citation
    GET /releases/{id}/jeux/{dataset}/citation.{json|bib|cff}   a dataset version's

The zip is written into a sink that is never seeked, chunk by chunk, as the response is
read: a Parquet file of any size passes through a 1 MiB buffer, never the whole zip.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from ardoise.api.codebook import markdown
from ardoise.api.jsonresponse import JSONBytes
from ardoise.errors import DatasetNotFound, ReleaseNotFound
from ardoise.query.codebook import codebook
from ardoise.query.release import ServedRelease
from ardoise.query.release_archive import ReleaseArchive
from ardoise.release.citation import (
    Citation,
    bibtex,
    citation_cff,
    csl_json,
    dataset_citation,
    release_citation,
)
from ardoise.release.croissant import croissant
from ardoise.urls import serving_base

_RELEASE_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$")
CHUNK = 1 << 20
_STAMP = (1980, 1, 1, 0, 0, 0)  # fixed member dates: the same release gives the same zip


class _Sink(io.RawIOBase):
    """A write-only, unseekable stream whose bytes are taken out as they come."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, b: object) -> int:
        data = bytes(b)  # type: ignore[call-overload]
        self._parts.append(data)
        return len(data)

    def take(self) -> bytes:
        out, self._parts = b"".join(self._parts), []
        return out


def _members(release: ServedRelease, cite: Citation) -> Iterator[tuple[str, Path | bytes]]:
    root = release.path
    for name in ("manifest.json", "datapackage.json"):
        if (root / name).is_file():
            yield name, root / name
    for path in sorted(root.rglob("*.parquet")):
        yield str(path.relative_to(root)), path
    for ds_id in sorted(release.datasets):
        book = codebook(release, ds_id)
        yield (
            f"codebooks/{ds_id}.json",
            json.dumps(book.to_json(), ensure_ascii=False, indent=2).encode(),
        )
        yield f"codebooks/{ds_id}.md", markdown(book).encode()
    yield "CITATION.cff", citation_cff(cite).encode()
    yield "citation.json", json.dumps([csl_json(cite)], ensure_ascii=False, indent=2).encode()
    yield "citation.bib", bibtex(cite).encode()
    meta = croissant(release.manifest, {k: v.dataset for k, v in release.datasets.items()}, cite)
    yield "croissant.json", json.dumps(meta, ensure_ascii=False, indent=2).encode()


def zip_stream(members: Iterator[tuple[str, Path | bytes]]) -> Iterator[bytes]:
    """The zip of ``members`` (name, file or bytes), chunk by chunk; SHA256SUMS last."""
    sink = _Sink()
    sums: list[str] = []
    with zipfile.ZipFile(sink, "w", allowZip64=True) as zf:
        for name, content in members:
            info = zipfile.ZipInfo(name, _STAMP)
            parquet = name.endswith(".parquet")  # already compressed
            info.compress_type = zipfile.ZIP_STORED if parquet else zipfile.ZIP_DEFLATED
            digest = hashlib.sha256()
            with zf.open(info, "w", force_zip64=True) as out:
                if isinstance(content, bytes):
                    digest.update(content)
                    out.write(content)
                else:
                    with content.open("rb") as f:
                        while chunk := f.read(CHUNK):
                            digest.update(chunk)
                            out.write(chunk)
                            yield sink.take()
            sums.append(f"{digest.hexdigest()}  {name}")
            yield sink.take()
        info = zipfile.ZipInfo("SHA256SUMS", _STAMP)
        zf.writestr(info, "\n".join(sums) + "\n", compress_type=zipfile.ZIP_DEFLATED)
    yield sink.take()


def _release(request: Request, release_id: str) -> ServedRelease:
    if not _RELEASE_ID.match(release_id):
        raise ReleaseNotFound(f"Release inconnue : « {release_id[:40]} » (voir /api/v1/releases).")
    archive: ReleaseArchive = request.app.state.archive
    return archive.get(release_id)


def _base(request: Request) -> str:
    settings = request.app.state.settings
    return serving_base(settings.public_url_set, str(request.base_url))


def _citation_response(cite: Citation, ext: str) -> Response:
    if ext == "json":
        return JSONBytes([csl_json(cite)])
    if ext == "bib":
        return Response(bibtex(cite), media_type="application/x-bibtex; charset=utf-8")
    if ext == "cff":
        return Response(citation_cff(cite), media_type="application/x-yaml; charset=utf-8")
    raise DatasetNotFound(f"Format de citation inconnu : « {ext[:20]} » (json, bib ou cff).")


def build_router() -> APIRouter:
    router = APIRouter(tags=["recherche"])

    def release_cite(request: Request, release: ServedRelease) -> Citation:
        prefix = request.app.state.settings.ark_prefix
        return release_citation(release.manifest, prefix, _base(request))

    @router.get("/releases/{release_id}/bundle.zip", summary="La release en un seul zip citable")
    def bundle(request: Request, release_id: str) -> StreamingResponse:
        release = _release(request, release_id)
        stream = zip_stream(_members(release, release_cite(request, release)))
        name = f"ardoise-{release.id}.zip"
        return StreamingResponse(
            stream,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @router.get("/releases/{release_id}/croissant.json", summary="Métadonnées Croissant")
    def croissant_json(request: Request, release_id: str) -> JSONBytes:
        release = _release(request, release_id)
        descriptors = {k: v.dataset for k, v in release.datasets.items()}
        return JSONBytes(croissant(release.manifest, descriptors, release_cite(request, release)))

    @router.get("/releases/{release_id}/citation.{ext}", summary="Citer une release")
    def cite_release(request: Request, release_id: str, ext: str) -> Response:
        release = _release(request, release_id)
        return _citation_response(release_cite(request, release), ext)

    @router.get("/releases/{release_id}/jeux/{dataset_id}/citation.{ext}", summary="Citer un jeu")
    def cite_dataset(request: Request, release_id: str, dataset_id: str, ext: str) -> Response:
        release = _release(request, release_id)
        view = release.dataset(dataset_id)
        cite = dataset_citation(
            release.manifest,
            view.id,
            view.dataset.publisher,
            view.dataset.licence,
            request.app.state.settings.ark_prefix,
            _base(request),
        )
        return _citation_response(cite, ext)

    return router
