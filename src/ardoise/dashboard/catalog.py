"""``/donnees`` (the catalog) and ``/donnees/{dataset_id}``: metadata, fields, coverage,
quality, a table explorer with paging, downloads in every format, API examples."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ardoise.catalog.downloads import download_formats
from ardoise.catalog.schema_org import dataset_jsonld
from ardoise.dashboard.contexts import (
    ApiExample,
    CatalogPage,
    DatasetItem,
    DatasetPage,
    FieldInfo,
    Filter,
    Link,
    Option,
    Pager,
    Table,
)
from ardoise.dashboard.pages import page
from ardoise.errors import DatasetNotFound
from ardoise.french import accented
from ardoise.query.catalog import CatalogQuery, search_catalog
from ardoise.query.limits import RECORDS_MAX_WINDOW, parse_int_parameter
from ardoise.query.model import RecordsQuery
from ardoise.query.release import DatasetView, ServedRelease
from ardoise.query.run import run_facets, run_records
from ardoise.query.territories import levels
from ardoise.urls import ROOT, Urls

PAGE_SIZES = (10, 20, 50, 100)
MAX_OFFSET = RECORDS_MAX_WINDOW  # the records window: the last page the API can serve
MAX_FACETS = 4  # facet fields offered as filters on a dataset page
CATALOG = Link("Données", ROOT.catalog_page())


def catalog_page(release: ServedRelease, params: Mapping[str, str], query: str) -> CatalogPage:
    theme = params.get("theme") or ""
    themes = sorted({t for v in release.datasets.values() for t in v.dataset.themes})
    found = search_catalog(
        release, CatalogQuery(text=params.get("q") or "", theme=theme or None)
    ).datasets
    kept = [
        DatasetItem(
            v.id,
            v.dataset.title,
            _first_sentence(v.dataset.description),
            v.dataset.publisher,
            v.rows,
            v.dataset.themes,
            ROOT.dataset_page(v.id),
        )
        for v in found
    ]
    return CatalogPage(
        page(
            release,
            "Catalogue des données",
            "Tous les jeux de données de la version servie, avec leurs métadonnées, leur "
            "qualité et leurs téléchargements.",
            ROOT.catalog_page(),
            query,
        ),
        (
            Filter(
                "theme",
                "Thème",
                (
                    Option("", "Tous les thèmes", not theme),
                    *(Option(t, t, t == theme) for t in themes),
                ),
            ),
        ),
        tuple(kept),
        len(kept),
    )


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    cut = text.find(". ")
    return text if cut < 0 or cut > 240 else text[: cut + 1]


def dataset_page(
    release: ServedRelease, dataset_id: str, params: Mapping[str, str], query: str, *, base_url: str
) -> DatasetPage:
    view = release.datasets.get(dataset_id)
    if view is None:
        raise DatasetNotFound(f"Jeu de données inconnu : {dataset_id[:80]!r}.")
    d = view.dataset
    explorer = _explorer(release, view, params)
    urls = Urls.of(base_url)
    return DatasetPage(
        page(
            release,
            d.title,
            _first_sentence(d.description),
            ROOT.dataset_page(d.id),
            query,
            (CATALOG,),
        ),
        d.id,
        d.title,
        d.description.strip(),
        d.publisher,
        d.licence,
        d.source_url,
        d.frequency,
        _years(d.temporal_coverage.years, d.temporal_coverage.description),
        d.spatial_coverage.description
        or ("France entière" if d.spatial_coverage.national else "partielle"),
        view.rows,
        tuple(
            FieldInfo(f.name, accented(f.label), f.type, f.description, f.unit) for f in d.fields
        ),
        view.entry.quality.to_json(),
        explorer.filtres,
        explorer.table,
        explorer.pager,
        tuple(Link(f.label, urls.export(d.id, f.name)) for f in download_formats(d)),
        _examples(urls.records(d.id)),
        _jsonld(d, base_url, release, view.rows),
    )


@dataclass(frozen=True)
class _Explorer:
    """The table explorer of a dataset page: its filters, one page of rows, the pager."""

    filtres: tuple[Filter, ...]
    table: Table
    pager: Pager


def _explorer(release: ServedRelease, view: DatasetView, params: Mapping[str, str]) -> _Explorer:
    d = view.dataset
    size = parse_int_parameter("taille", params.get("taille")) or 20
    if size not in PAGE_SIZES:
        size = 20
    number = max(1, parse_int_parameter("page", params.get("page")) or 1)
    territoire = levels.parse(params["territoire"]) if params.get("territoire") else None
    annee = params.get("annee") or None
    refine: tuple[tuple[str, str], ...] = ()
    if annee and d.school_year is not None:
        refine = ((d.school_year.field, annee),)
    facets = [
        f for f in d.fields if f.facet and (d.school_year is None or f.name != d.school_year.field)
    ][:MAX_FACETS]
    chosen = {f.name: params.get(f"f_{f.name}") or "" for f in facets}
    refine += tuple((k, v) for k, v in chosen.items() if v)
    number = min(number, MAX_OFFSET // size)
    result = run_records(
        release,
        d.id,
        RecordsQuery(limit=size, offset=(number - 1) * size, territoire=territoire, refine=refine),
    )
    pages = max(1, min(-(-result.total_count // size), MAX_OFFSET // size))
    names = tuple(c.name for c in result.columns)
    labels = {f.name: accented(f.label) for f in d.fields}
    table = Table(
        f"{d.title} : lignes {(number - 1) * size + 1} à "
        f"{(number - 1) * size + len(result.rows)} sur {result.total_count}",
        names,
        tuple(labels.get(n, n) for n in names),
        tuple({k: _cell(r.get(k)) for k in names} for r in result.rows),
    )
    kept = ("taille", "territoire", "annee", *(f"f_{f.name}" for f in facets))
    base = {k: v for k, v in params.items() if k in kept and v}

    def at(n: int) -> str:
        return ROOT.dataset_page(d.id, **{**base, "page": str(n)})

    filtres = [
        Filter(
            "taille",
            "Lignes par page",
            tuple(Option(str(s), str(s), s == size) for s in PAGE_SIZES),
        )
    ]
    if d.school_year is not None and d.temporal_coverage.years:
        filtres.append(
            Filter(
                "annee",
                "Année",
                (
                    Option("", "Toutes les années", not annee),
                    *(Option(y, y, y == annee) for y in reversed(d.temporal_coverage.years)),
                ),
            )
        )
    filtres += _facet_filters(release, d.id, facets, chosen, territoire)
    pager = Pager(
        number,
        pages,
        size,
        at(number - 1) if number > 1 else None,
        at(number + 1) if number < pages else None,
    )
    return _Explorer(tuple(filtres), table, pager)


def _facet_filters(
    release: ServedRelease,
    dataset_id: str,
    facets: list[Any],
    chosen: dict[str, str],
    territoire: tuple[str, str] | None,
) -> list[Filter]:
    """A select per facet field (sector, type of school… where the data has them)."""
    if not facets:
        return []
    groups = run_facets(
        release, dataset_id, [f.name for f in facets], RecordsQuery(territoire=territoire)
    )
    out = []
    for f, group in zip(facets, groups, strict=True):
        values = [v.name for v in group.facets]
        if chosen[f.name] and chosen[f.name] not in values:
            values.insert(0, chosen[f.name])
        out.append(
            Filter(
                f"f_{f.name}",
                accented(f.label),
                (
                    Option("", "Toutes les valeurs", not chosen[f.name]),
                    *(Option(v, v, v == chosen[f.name]) for v in values),
                ),
            )
        )
    return out


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return str(value)
    return value


def _years(years: tuple[str, ...], description: str) -> str:
    if description:
        return description
    if not years:
        return "non précisée"
    return years[0] if len(years) == 1 else f"{years[0]} à {years[-1]} ({len(years)} années)"


def _examples(api: str) -> tuple[ApiExample, ...]:
    return (
        ApiExample("curl", f"curl '{api}?limit=20'"),
        ApiExample(
            "Python",
            "import requests\n\n"
            f'reponse = requests.get("{api}", params={{"limit": 20}})\n'
            'lignes = reponse.json()["results"]',
        ),
        ApiExample("R", f'library(jsonlite)\n\nlignes <- fromJSON("{api}?limit=20")$results'),
    )


def _jsonld(dataset: Any, base_url: str, release: ServedRelease, rows: int) -> dict[str, Any]:
    doc: dict[str, Any] = dataset_jsonld(
        dataset, base_url=base_url, release_id=release.id, modified=release.created_at, rows=rows
    )
    return doc
