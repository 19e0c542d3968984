"""Croissant JSON-LD (MLCommons, 1.0) of a release (issue #18): one ``cr:FileObject`` per
Parquet file, one ``cr:RecordSet`` per dataset with its declared fields; validated by
``mlcroissant`` in the tests. Paths are relative to the bundle (``data/<id>.parquet``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ardoise.catalog.model import Dataset
from ardoise.release.citation import Citation, bibtex
from ardoise.release.manifest import Manifest

CONTEXT: dict[str, Any] = {
    "@language": "fr",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "sc": "https://schema.org/",
    "samplingRate": "cr:samplingRate",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
_TYPES = {
    "text": "sc:Text",
    "int": "sc:Integer",
    "double": "sc:Float",
    "boolean": "sc:Boolean",
    "date": "sc:Date",
    "datetime": "sc:DateTime",
}


def croissant(
    manifest: Manifest, descriptors: Mapping[str, Dataset], citation: Citation
) -> dict[str, Any]:
    """The Croissant metadata of the release (datasets without a descriptor are skipped)."""
    files: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    for ds_id, entry in sorted(manifest.datasets.items()):
        ds = descriptors.get(ds_id)
        if entry.parquet is None or ds is None:
            continue
        file_id = entry.parquet.path
        files.append(
            {
                "@type": "cr:FileObject",
                "@id": file_id,
                "name": file_id,
                "description": ds.title,
                "contentUrl": file_id,
                "encodingFormat": "application/x-parquet",
                "sha256": entry.parquet.sha256,
                "contentSize": f"{entry.parquet.bytes} B",
            }
        )
        columns = set(entry.column_names)
        fields = [
            {
                "@type": "cr:Field",
                "@id": f"{ds_id}/{f.name}",
                "name": f.name,
                "description": f"{f.label} : {f.description}" if f.description else f.label,
                "dataType": _TYPES[f.type],
                "source": {"fileObject": {"@id": file_id}, "extract": {"column": f.name}},
            }
            for f in ds.fields
            if f.type in _TYPES and f.name in columns
        ]
        if fields:
            records.append(
                {
                    "@type": "cr:RecordSet",
                    "@id": ds_id,
                    "name": ds_id,
                    "description": ds.title,
                    "field": fields,
                }
            )
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": f"ardoise-{manifest.release_id}",
        "description": (
            "Données ouvertes de l'éducation nationale, vérifiées et versionnées par Ardoise : "
            f"release {manifest.release_id}."
        ),
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "citeAs": bibtex(citation),
        "license": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        "url": citation.url,
        "version": "1.0.0",
        "identifier": citation.identifier,
        "datePublished": manifest.created_at[:10],
        "creator": {"@type": "sc:Organization", "name": citation.publisher},
        "distribution": files,
        "recordSet": records,
    }
