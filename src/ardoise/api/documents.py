"""The documents computed from the release and the request's base URL (``llms.txt``, the
Markdown twins of pages, the DCAT catalogue), kept per release.

A release never changes, so a document is a function of the release and its key; the base
URL (from the ``Host`` header) is part of the key, so the keys are not bounded by the
release: the documents live in one bounded :class:`~ardoise.lru.LRU` per release (its memo),
sized by ``ARDOISE_DOCUMENT_CACHE_ENTRIES`` and ``ARDOISE_DOCUMENT_CACHE_MB``, and go with
the release when another one is served::

    body, media_type = document(request, release, ("llms", base), lambda: (text, PLAIN))
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from fastapi import Request

from ardoise.lru import LRU
from ardoise.query.release import ServedRelease
from ardoise.settings import Settings

Document = tuple[bytes, str]  # body, media type


def _size(doc: Document) -> int:
    return len(doc[0])


def _documents(release: ServedRelease, settings: Settings) -> LRU[Hashable, Document]:
    return release.memo(
        _documents,
        lambda: LRU(settings.document_cache_entries, settings.document_cache_mb << 20, _size),
    )


def document(
    request: Request, release: ServedRelease, key: Hashable, compute: Callable[[], Document]
) -> Document:
    """The document ``key`` of ``release``, computed on first use."""
    settings: Settings = request.app.state.settings
    return _documents(release, settings).get_or_put(key, compute)
