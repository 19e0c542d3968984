"""Codebooks (issue #18), mounted under ``/api/v1``::

    GET /codebooks/{dataset_id}.json   the codebook (``query.codebook.codebook``) as JSON
    GET /codebooks/{dataset_id}.md     the same, as Markdown

``release=`` / ``date=`` read an older release, as on every read endpoint.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from ardoise.api.deps import CurrentRelease
from ardoise.api.jsonresponse import JSONBytes
from ardoise.errors import DatasetNotFound
from ardoise.query.codebook import Codebook, codebook


def build_router() -> APIRouter:
    router = APIRouter(tags=["recherche"])

    @router.get("/codebooks/{name}", summary="Dictionnaire des données d'un jeu (JSON ou Markdown)")
    def codebook_file(name: str, release: CurrentRelease) -> Response:
        dataset_id, _, ext = name.rpartition(".")
        if ext not in ("json", "md") or not dataset_id:
            raise DatasetNotFound(
                f"Dictionnaire inconnu : « {name[:80]} » (attendu : <jeu>.json ou <jeu>.md)."
            )
        book = codebook(release, dataset_id)
        if ext == "json":
            return JSONBytes(book.to_json())
        return Response(markdown(book), media_type="text/markdown; charset=utf-8")

    return router


def markdown(book: Codebook) -> str:
    """The codebook as Markdown (``/api/v1/codebooks/{id}.md``)."""
    lines = [
        f"# Dictionnaire des données : {book.title}",
        "",
        f"Jeu `{book.dataset_id}`, release `{book.release}`, {book.rows} lignes. "
        f"Licence : {book.licence}.",
        "",
        book.description,
        "",
        f"Couverture temporelle : {book.temporal_coverage or '—'}.",
        f"Couverture spatiale : {book.spatial_coverage or '—'}.",
        "",
        "## Champs",
        "",
        "| champ | libellé | type | unité | description |",
        "|---|---|---|---|---|",
    ]
    for f in book.fields:
        lines.append(
            f"| `{f.name}` | {_cell(f.label)} | {f.type} | {_cell(f.unit or '')} | {_cell(f.description)} |"
        )
    for f in book.fields:
        if not (f.domain or f.missing):
            continue
        lines += ["", f"### `{f.name}`", ""]
        if f.domain:
            lines.append("Valeurs : " + ", ".join(f"`{v}` ({n})" for v, n in f.domain) + ".")
        if f.missing:
            lines += ["", "| année | valeur manquante | lignes |", "|---|---|---|"]
            lines += [f"| {y or '—'} | {r} | {n} |" for y, r, n in f.missing]
    if book.caveats:
        lines += ["", "## Précautions", ""] + [f"- {c}" for c in book.caveats]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
