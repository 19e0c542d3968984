"""Citations: every figure an MCP tool returns names its datasets, the release, the licence,
and an absolute URL of the public API that gives exactly the same figure.

URLs are built on ``settings.public_url``; relative API paths (the indicator provenance) are
made absolute the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ardoise.mcp.schemas import Citation
from ardoise.query.model import RecordsQuery
from ardoise.query.release import ServedRelease
from ardoise.urls import Urls, query_string


def _portal_licences(release: ServedRelease) -> dict[str, str]:
    """Dataset id → licence, from the portal catalogue of the release (read once)."""
    return release.memo(
        _portal_licences,
        lambda: {
            str(d["id"]): str(d["licence"])
            for d in release.portal_catalog()
            if d.get("id") and d.get("licence")
        },
    )


@dataclass(frozen=True)
class Citer:
    """The release being cited and the public base URL of its API."""

    release: ServedRelease
    base: str

    @classmethod
    def of(cls, release: ServedRelease, public_url: str) -> Citer:
        return cls(release, public_url.rstrip("/"))

    @property
    def urls(self) -> Urls:
        """The public URLs, absolute on ``base``."""
        return Urls(self.base)

    def absolute(self, path: str | None) -> str | None:
        return None if path is None else self.urls.absolute(path)

    def licence(self, dataset_ids: Iterable[str]) -> str:
        """The licence of the datasets (the portal catalogue's for one not held)."""
        found: list[str] = []
        for ds in dataset_ids:
            view = self.release.datasets.get(ds)
            licence = view.dataset.licence if view else _portal_licences(self.release).get(ds)
            if licence and licence not in found:
                found.append(licence)
        return " ; ".join(found) or "non précisée"

    def cite(
        self,
        jeux: Iterable[str],
        url: str | None,
        *,
        version: int | None = None,
        lecture: str | None = None,
    ) -> Citation:
        ids = list(dict.fromkeys(jeux))
        return Citation(
            jeux=ids,
            release=self.release.id,
            date_release=self.release.created_at,
            licence=self.licence(ids),
            version_definition=version,
            url=self.absolute(url),
            lecture=lecture,
        )

    def records_url(self, dataset_id: str, query: RecordsQuery) -> str:
        """The Explore records URL running exactly ``query``."""
        params: list[tuple[str, str]] = []
        if query.select:
            params.append(("select", query.select))
        params += [("where", w) for w in query.where_clauses]
        if query.group_by:
            params.append(("group_by", query.group_by))
        if query.order_by:
            params.append(("order_by", query.order_by))
        if query.limit is not None:
            params.append(("limit", str(query.limit)))
        if query.offset:
            params.append(("offset", str(query.offset)))
        params += [("refine", f"{k}:{v}") for k, v in query.refine]
        params += [("exclude", f"{k}:{v}") for k, v in query.exclude]
        if query.territoire:
            params.append(("territoire", f"{query.territoire[0]}:{query.territoire[1]}"))
        return self.urls.records(dataset_id, query_string(params))
