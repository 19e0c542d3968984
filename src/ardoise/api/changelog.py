"""The changelog of the releases (``/api/v1``): one release's as JSON, and the Atom feed
of the latest releases reusers can follow. Both call
:func:`ardoise.release.changelog.release_changelog`; a published release never changes,
so its changelog is computed once per process (bounded cache)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ardoise.api.jsonresponse import JSONBytes
from ardoise.api.media import answers
from ardoise.errors import ReleaseNotFound
from ardoise.lru import LRU
from ardoise.query.sql_run import reader_grant
from ardoise.query.sql_tables import PUBLIC
from ardoise.release.changelog import Changelog, DatasetChange, release_changelog
from ardoise.release.store import ReleaseStore
from ardoise.urls import Urls

_RELEASE_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$")
FEED_ENTRIES = 20
_CACHE: LRU[tuple[str, str], Changelog] = LRU(entries=256)
_KINDS = {"ajoute": "ajouté", "retire": "retiré", "modifie": "modifié"}


def changelog_of(releases_dir: Path, release_id: str) -> Changelog:
    if (
        not _RELEASE_ID.match(release_id)
        or not (releases_dir / release_id / "manifest.json").is_file()
    ):
        shown = release_id if len(release_id) <= 40 else release_id[:40] + "…"
        raise ReleaseNotFound(
            f"Release inconnue : « {shown} ». La liste des releases est donnée par `ardoise releases`."
        )
    key = (str(releases_dir), release_id)
    found = _CACHE.get(key)
    if found is None:
        _CACHE.put(key, found := release_changelog(releases_dir, release_id))
    return found


def describe(change: DatasetChange) -> str:
    """One French sentence per changed dataset (the feed's text)."""
    parts = [f"{change.title or change.dataset_id} ({change.dataset_id}) : {_KINDS[change.kind]}"]
    parts.append(f"{change.rows_before} → {change.rows_after} lignes")
    if change.rows is not None:
        r = change.rows
        parts.append(f"{r.added} ajoutée(s), {r.removed} retirée(s), {r.revised} révisée(s)")
    if change.fields_added:
        parts.append("champs ajoutés : " + ", ".join(change.fields_added))
    if change.fields_removed:
        parts.append("champs retirés : " + ", ".join(change.fields_removed))
    if change.fields_retyped:
        parts.append(
            "types changés : "
            + ", ".join(f"{f.name} ({f.before} → {f.after})" for f in change.fields_retyped)
        )
    if change.note:
        parts.append(f"note du producteur : {change.note}")
    return " ; ".join(parts) + "."


def atom_feed(logs: list[Changelog], urls: Urls) -> str:
    """An Atom 1.0 feed, newest release first."""
    updated = logs[0].created_at if logs else "1970-01-01T00:00:00+00:00"
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">',
        "<title>Ardoise : nouvelles releases des données</title>",
        f"<id>{escape(urls.absolute(urls.changelog_feed()))}</id>",
        f'<link rel="self" href="{escape(urls.absolute(urls.changelog_feed()))}"/>',
        f"<updated>{escape(updated)}</updated>",
        "<author><name>Ardoise</name></author>",
    ]
    for log in logs:
        link = escape(urls.absolute(urls.changelog(log.release_id)))
        text = "\n".join(describe(c) for c in log.datasets) or "Aucun jeu de données modifié."
        out += [
            "<entry>",
            f"<title>Release {escape(log.release_id)} : {len(log.datasets)} jeu(x) modifié(s)</title>",
            f"<id>{link}</id>",
            f'<link rel="alternate" type="application/json" href="{link}"/>',
            f"<updated>{escape(log.created_at)}</updated>",
            f'<content type="text">{escape(text)}</content>',
            "</entry>",
        ]
    out.append("</feed>")
    return "\n".join(out) + "\n"


def _readable(log: Changelog, hidden: frozenset[str]) -> Changelog:
    """The changelog without the restricted datasets the reader may not see (issue #16)."""
    if not hidden:
        return log
    return replace(log, datasets=tuple(c for c in log.datasets if c.dataset_id not in hidden))


def build_router() -> APIRouter:
    router = APIRouter(tags=["Métadonnées"])

    @router.get(
        "/releases/{release_id}/changelog",
        summary="Journal des changements d'une release (par jeu : champs, lignes, note)",
    )
    def changelog(request: Request, release_id: str) -> JSONBytes:
        releases_dir: Path = request.app.state.settings.releases_dir
        hidden = reader_grant(request.app.state.releases.get(), PUBLIC).hidden
        return JSONBytes(_readable(changelog_of(releases_dir, release_id), hidden).to_json())

    @router.get(
        "/changelog.atom",
        summary="Flux Atom des nouvelles releases",
        response_class=Response,
        responses=answers("application/atom+xml"),
    )
    def feed(request: Request) -> Response:
        settings = request.app.state.settings
        store = ReleaseStore(settings.var_dir)
        latest = list(reversed(store.list()))[:FEED_ENTRIES]
        hidden = reader_grant(request.app.state.releases.get(), PUBLIC).hidden
        logs = [_readable(changelog_of(settings.releases_dir, r.id), hidden) for r in latest]
        body = atom_feed(logs, Urls.of(settings.public_url))
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    return router
