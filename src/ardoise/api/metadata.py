"""Dataset metadata in the portal's shape (``catalog/datasets/{id}``), plus Ardoise's own
coverage and quality block under ``metas.ardoise``."""

from __future__ import annotations

from typing import Any

from ardoise.query.release import DatasetView, ServedRelease

FEATURES = ["analyze", "timeserie"]


def dataset_metas(view: DatasetView, release: ServedRelease) -> dict[str, Any]:
    ds = view.dataset
    quality = view.entry.quality
    return {
        "default": {
            "title": ds.title,
            "description": ds.description,
            "publisher": ds.publisher,
            "license": ds.licence,
            "license_url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
            "keyword": list(ds.keywords),
            "theme": list(ds.themes),
            "language": "fr",
            "modified": release.created_at,
            "data_processed": release.created_at,
            "metadata_processed": release.created_at,
            "records_count": view.rows,
            "territory": ["France"]
            if ds.spatial_coverage.national
            else [t.nom for t in ds.spatial_coverage.territories],
            "source_domain_address": ds.source_url,
        },
        "ardoise": {
            "release_id": release.id,
            "national": ds.spatial_coverage.national,
            "spatial_coverage": ds.spatial_coverage.description,
            "territories": [t.__dict__ for t in ds.spatial_coverage.territories],
            "temporal_coverage": {
                "kind": ds.temporal_coverage.kind,
                "years": list(ds.temporal_coverage.years),
            },
            "school_years": dict(quality.years),
            "frequency": ds.frequency,
            "caveats": list(ds.caveats),
            "key": list(ds.key),
            "quality": quality.to_json(),
            "sources": [s.to_json() for s in view.entry.sources],
        },
    }


def fields_json(view: DatasetView) -> list[dict[str, Any]]:
    out = []
    for f in view.dataset.fields:
        annotations: dict[str, Any] = {}
        if f.facet:
            annotations["facet"] = []
        if f.unit:
            annotations["unit"] = [f.unit]
        out.append(
            {
                "name": f.name,
                "label": f.label,
                "type": f.type,
                "description": f.description,
                "annotations": annotations,
            }
        )
    return out


def dataset_json(view: DatasetView, release: ServedRelease) -> dict[str, Any]:
    return {
        "dataset_id": view.id,
        "dataset_uid": "da_" + view.parquet_file.sha256[:6],
        "attachments": [],
        "has_records": view.rows > 0,
        "data_visible": True,
        "visibility": "domain",
        "features": FEATURES
        + (
            ["geo"]
            if any(f.type in ("geo_point_2d", "geo_shape") for f in view.dataset.fields)
            else []
        ),
        "metas": dataset_metas(view, release),
        "fields": fields_json(view),
    }
