"""``/releases``: every published release, newest first, with its changelog (issue #18;
``release.changelog.release_changelog`` of issue #15), its bundle, citation and a link to
read the dashboard as it was (``?release=``)."""

from __future__ import annotations

from dataclasses import dataclass

from ardoise.dashboard.contexts import Link, Page
from ardoise.dashboard.pages import page
from ardoise.errors import ArdoiseError
from ardoise.query.release import ServedRelease
from ardoise.release.changelog import release_changelog
from ardoise.release.store import ReleaseStore

_KINDS = {"ajoute": "ajouté", "retire": "retiré", "modifie": "modifié"}


@dataclass(frozen=True)
class ReleaseItem:
    id: str
    date: str
    jeux: int
    lignes: int
    servie: bool
    changements: tuple[str, ...]  # one French sentence per changed dataset
    liens: tuple[Link, ...]


@dataclass(frozen=True)
class ReleasesPage:
    page: Page
    releases: tuple[ReleaseItem, ...]


def releases_page(release: ServedRelease, store: ReleaseStore, query: str) -> ReleasesPage:
    items = []
    for info in reversed(store.list()):
        try:
            log = release_changelog(store.releases_dir, info.id)
            changes = tuple(
                f"{c.title or c.dataset_id} ({c.dataset_id}) : {_KINDS.get(c.kind, c.kind)}, "
                f"{c.rows_before} → {c.rows_after} lignes"
                for c in log.datasets
            ) or ("Aucun jeu changé.",)
        except (ArdoiseError, OSError, ValueError):
            changes = ("Journal des changements illisible pour cette release.",)
        rid = info.id
        items.append(
            ReleaseItem(
                rid,
                info.created_at[:19].replace("T", " "),
                info.datasets,
                info.rows,
                info.current,
                changes,
                (
                    Link("Tableau de bord à cette date", f"/?release={rid}"),
                    Link("Bundle (zip)", f"/api/v1/releases/{rid}/bundle.zip"),
                    Link("Journal (JSON)", f"/api/v1/releases/{rid}/changelog"),
                    Link("Citer (BibTeX)", f"/api/v1/releases/{rid}/citation.bib"),
                ),
            )
        )
    return ReleasesPage(
        page(
            release,
            "Versions des données publiées",
            "Chaque version des données publiée, avec ses changements, son archive complète et sa citation.",
            "/releases",
            query,
        ),
        tuple(items),
    )
