"""schema.org ``Dataset`` as JSON-LD, for search engines (Google Dataset Search…).

One pure function over a dataset descriptor and the release serving it; the dashboard
embeds its result in each dataset page (``<script type="application/ld+json">``)::

    from ardoise.catalog.schema_org import dataset_jsonld
    doc = dataset_jsonld(view.dataset, base_url="https://ardoise.example",
                         release_id=release.id, modified=release.created_at, rows=view.rows)
    html = f'<script type="application/ld+json">{json.dumps(doc, ensure_ascii=False)}</script>'

Dashboards must escape ``</`` (``json.dumps(...).replace("</", "<\\/")``) when inlining.
"""

from __future__ import annotations

from typing import Any

from ardoise.catalog.downloads import download_formats
from ardoise.catalog.licence import licence_url
from ardoise.catalog.model import Dataset, Field
from ardoise.catalog.period import coverage_period
from ardoise.urls import Urls, portal_dataset

CATALOG_NAME = "Ardoise — données ouvertes de l'éducation"


def _organization(name: str) -> dict[str, Any]:
    return {"@type": "Organization", "name": name}


def _spatial(dataset: Dataset) -> dict[str, Any] | list[dict[str, Any]]:
    cov = dataset.spatial_coverage
    if cov.national or not cov.territories:
        return {
            "@type": "Place",
            "name": "France" if cov.national else cov.description,
            **({"description": cov.description} if cov.description else {}),
        }
    return [
        {"@type": "Place", "name": t.nom, "identifier": f"{t.niveau}:{t.code}"}
        for t in cov.territories
    ]


def _variable(field: Field) -> dict[str, Any]:
    out: dict[str, Any] = {
        "@type": "PropertyValue",
        "name": field.name,
        "alternateName": field.label,
        "description": field.description,
    }
    if field.unit:
        out["unitText"] = field.unit
    return out


def dataset_jsonld(
    dataset: Dataset, *, base_url: str, release_id: str, modified: str, rows: int | None = None
) -> dict[str, Any]:
    """schema.org ``Dataset`` of ``dataset`` as served by the release ``release_id``.

    ``base_url`` is the site's root (``https://host``, no trailing slash needed);
    ``modified`` the release's creation time (ISO 8601); ``rows`` its row count, if known.
    Every URL in the result is absolute. The result is a plain JSON-serialisable dict.
    """
    urls = Urls.of(base_url)
    page = urls.dataset_page(dataset.id)
    doc: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": page,
        "name": dataset.title,
        "description": dataset.description.strip(),
        "identifier": dataset.id,
        "url": page,
        "sameAs": portal_dataset(dataset.id),
        "license": licence_url(dataset.licence) or dataset.licence,
        "creator": _organization(dataset.publisher),
        "publisher": _organization(dataset.publisher),
        "keywords": list(dict.fromkeys((*dataset.keywords, *dataset.themes))),
        "spatialCoverage": _spatial(dataset),
        "distribution": [
            {
                "@type": "DataDownload",
                "name": f"{dataset.title} ({fmt.label})",
                "contentUrl": urls.export(dataset.id, fmt.name),
                "encodingFormat": fmt.media_type,
            }
            for fmt in download_formats(dataset)
        ],
        "variableMeasured": [_variable(f) for f in dataset.fields],
        "dateModified": modified,
        "version": release_id,
        "isAccessibleForFree": True,
        "inLanguage": "fr",
        "includedInDataCatalog": {
            "@type": "DataCatalog",
            "name": CATALOG_NAME,
            "url": urls.catalog_page(),
        },
        "subjectOf": {
            "@type": "WebAPI",
            "name": "API Explore v2.1",
            "url": urls.dataset(dataset.id),
        },
    }
    period = coverage_period(dataset.temporal_coverage)
    if period is not None:
        doc["temporalCoverage"] = period.iso_interval()
    if rows is not None:
        doc["size"] = f"{rows} enregistrements"
    return doc
