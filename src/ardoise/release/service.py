"""Service datasets: published in every release like the catalogue's, but whose source is
the platform itself rather than the mirror. One so far, ``ardoise-usages`` (issue #17): the
complete days of the usage counters (``ardoise.usage.dataset``).

``service_datasets`` says, for one build, which of them join the catalogue, where their
descriptor is, and the folder their source was written to (none: nothing new to publish,
so a previous version is carried over as it was).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ardoise.catalog.declared import declared_datasets, declared_dir
from ardoise.catalog.loader import load_descriptor
from ardoise.catalog.model import Dataset
from ardoise.release.manifest import Manifest
from ardoise.settings import Settings
from ardoise.usage import dataset as usages
from ardoise.usage.store import UsageStore, configured_store

log = logging.getLogger(__name__)

SERVICE_IDS = (usages.DATASET_ID,)  # ids no producer may declare


@dataclass(frozen=True)
class ServiceDatasets:
    datasets: tuple[Dataset, ...] = ()
    descriptors: Mapping[str, Path] = field(default_factory=dict)  # id → its YAML
    sources: Mapping[str, Path] = field(default_factory=dict)  # id → folder of a new source


def service_datasets(
    settings: Settings,
    previous: Manifest | None,
    folder: Path,
    named: Collection[str] = (),
) -> ServiceDatasets:
    """``ardoise-usages`` when the counters hold a complete day (its CSV written under
    ``folder``), the previous release has it (carried over) or ``--only`` names it (the
    daily publication before the first complete day: nothing to publish, not an error)."""
    try:
        store = _store(settings)
        written = usages.write_source(store, folder) if store is not None else 0
    except Exception:  # the counters' database is down: the previous version is kept
        log.warning(
            "ardoise-usages : compteurs illisibles, version précédente gardée", exc_info=True
        )
        written = 0
    in_previous = previous is not None and usages.DATASET_ID in previous.datasets
    if not written and not in_previous and usages.DATASET_ID not in named:
        return ServiceDatasets()
    return ServiceDatasets(
        (load_descriptor(usages.DESCRIPTOR),),
        {usages.DATASET_ID: usages.DESCRIPTOR},
        {usages.DATASET_ID: folder} if written else {},
    )


def with_declared(
    service: ServiceDatasets,
    settings: Settings,
    previous: Manifest | None,
    sources: Mapping[str, Path],
) -> ServiceDatasets:
    """``service`` and the datasets producers declared (``catalog.declared``) that have data:
    in the previous release (carried over) or given a source (a submitted version). A
    declaration with neither is not in the build at all (no data until its first approval)."""
    joined = [
        d
        for d in declared_datasets(settings)
        if d.id in sources or (previous is not None and d.id in previous.datasets)
    ]
    if not joined:
        return service
    folder = declared_dir(settings)
    return ServiceDatasets(
        service.datasets + tuple(joined),
        {**service.descriptors, **{d.id: folder / f"{d.id}.yaml" for d in joined}},
        {**service.sources, **{d.id: sources[d.id] for d in joined if d.id in sources}},
    )


def _store(settings: Settings) -> UsageStore | None:
    """The configured store; None for an embedded one never created (nothing counted)."""
    url = settings.usage_database_url.reveal().strip()
    if not url and not (settings.var_dir / "usage.sqlite").is_file():
        return None
    return configured_store(settings)
