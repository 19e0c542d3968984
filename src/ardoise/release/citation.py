"""Citations of a release and of a dataset version (issue #18): CSL-JSON, BibTeX and
``CITATION.cff``, with an ARK-style persistent identifier.

Identifiers: ``<prefix>/<release id>`` for a release, ``<prefix>/<release id>/<dataset id>``
for a dataset as that release holds it (``ARDOISE_ARK_PREFIX``, e.g.
``ark:/99999/fk4ardoise``). A release never changes, so its identifier names one content
for ever; the URL resolves it on the service (``/ark:/…`` is not served yet: the URL given
is the release's Data Package, or the dataset's page with ``?release=``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ardoise.release.manifest import Manifest

AUTHOR = "Ministère de l'Éducation nationale"


@dataclass(frozen=True)
class Citation:
    """What every rendering says: identifier, title, version, date, publisher, URL."""

    identifier: str  # ark:/…
    title: str
    version: str  # the release id
    issued: str  # AAAA-MM-JJ
    publisher: str
    licence: str
    url: str
    dataset_id: str | None = None

    @property
    def key(self) -> str:
        """The BibTeX key: ``ardoise_<release date>[_<dataset>]``."""
        base = "ardoise_" + self.version.split("T", 1)[0]
        if self.dataset_id:
            base += "_" + "".join(c if c.isalnum() else "_" for c in self.dataset_id)
        return base


def release_citation(manifest: Manifest, prefix: str, base_url: str) -> Citation:
    rid = manifest.release_id
    return Citation(
        f"{prefix.rstrip('/')}/{rid}",
        f"Ardoise : données ouvertes de l'éducation nationale, release {rid}",
        rid,
        manifest.created_at[:10],
        AUTHOR,
        "Licence Ouverte v2.0 (Etalab)",
        f"{base_url.rstrip('/')}/api/v1/releases/{rid}/datapackage.json",
    )


def dataset_citation(
    manifest: Manifest, dataset_id: str, publisher: str, licence: str, prefix: str, base_url: str
) -> Citation:
    """A dataset as ``manifest``'s release holds it (KeyError when it does not)."""
    entry = manifest.datasets[dataset_id]
    rid = manifest.release_id
    return Citation(
        f"{prefix.rstrip('/')}/{rid}/{dataset_id}",
        f"{entry.title} ({dataset_id}), version de la release {rid}",
        rid,
        manifest.created_at[:10],
        publisher,
        licence,
        f"{base_url.rstrip('/')}/donnees/{dataset_id}?release={rid}",
        dataset_id,
    )


def csl_json(c: Citation) -> dict[str, Any]:
    """CSL-JSON (one item), as Zotero and citeproc read it."""
    y, m, d = (int(p) for p in c.issued.split("-"))
    return {
        "id": c.identifier,
        "type": "dataset",
        "title": c.title,
        "author": [{"literal": c.publisher}],
        "publisher": c.publisher,
        "version": c.version,
        "issued": {"date-parts": [[y, m, d]]},
        "URL": c.url,
        "DOI": None,
        "note": f"Identifiant pérenne : {c.identifier}. Licence : {c.licence}.",
    }


def bibtex(c: Citation) -> str:
    r"""BibTeX ``@misc`` (braces protect the case; ``{``, ``}`` and ``\`` are escaped)."""

    def esc(text: str) -> str:
        return text.replace("\\", "\\textbackslash{}").replace("{", "\\{").replace("}", "\\}")

    return (
        f"@misc{{{c.key},\n"
        f"  title = {{{esc(c.title)}}},\n"
        f"  author = {{{{{esc(c.publisher)}}}}},\n"
        f"  year = {{{c.issued[:4]}}},\n"
        f"  version = {{{c.version}}},\n"
        f"  url = {{{c.url}}},\n"
        f"  note = {{Identifiant pérenne : {c.identifier}. {esc(c.licence)}}},\n"
        f"  howpublished = {{Ardoise}}\n"
        "}\n"
    )


def citation_cff(c: Citation) -> str:
    """``CITATION.cff`` (Citation File Format 1.2.0)."""

    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return (
        "cff-version: 1.2.0\n"
        'message: "Si vous utilisez ces données, citez-les comme ci-dessous."\n'
        "type: dataset\n"
        f"title: {q(c.title)}\n"
        "authors:\n"
        f"  - name: {q(c.publisher)}\n"
        f"version: {q(c.version)}\n"
        f"date-released: {q(c.issued)}\n"
        f"license-url: {q('https://www.etalab.gouv.fr/licence-ouverte-open-licence/')}\n"
        f"url: {q(c.url)}\n"
        "identifiers:\n"
        "  - type: other\n"
        f"    value: {q(c.identifier)}\n"
        f"    description: {q('Identifiant pérenne (ARK)')}\n"
    )
