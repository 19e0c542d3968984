"""Service datasets: published in every release like the catalogue's, but whose source is
the platform itself rather than the mirror: ``ardoise-usages`` (issue #17), the complete
days of the usage counters (``ardoise.usage.dataset``), and those a caller passes as
:class:`ServiceSource` (``ardoise-habilitations``, the public register of habilitations,
issue #16: its source is the control plane, which this layer does not import, so
``ardoise ingest`` passes it).

``service_datasets`` says, for one build, which of them join the catalogue, where their
descriptor is, and the folder their source was written to (none: nothing new to publish,
so a previous version is carried over as it was).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
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


@dataclass(frozen=True)
class ServiceSource:
    """A service dataset: its id, its descriptor, and what writes its source under a
    folder (the rows written; 0: nothing to publish)."""

    dataset_id: str
    descriptor: Path
    write: Callable[[Path], int]


def usage_source(settings: Settings) -> ServiceSource:
    def write(folder: Path) -> int:
        store = _store(settings)
        return usages.write_source(store, folder) if store is not None else 0

    return ServiceSource(usages.DATASET_ID, usages.DESCRIPTOR, write)


def service_datasets(
    settings: Settings,
    previous: Manifest | None,
    folder: Path,
    named: Collection[str] = (),
    extra: Sequence[ServiceSource] = (),
) -> ServiceDatasets:
    """Each service dataset (``ardoise-usages``, then ``extra``) when its source wrote rows
    (under ``folder``), the previous release has it (carried over) or ``--only`` names it
    (the daily publication before the first complete day: nothing to publish, not an
    error)."""
    found: list[Dataset] = []
    descriptors: dict[str, Path] = {}
    sources: dict[str, Path] = {}
    for source in (usage_source(settings), *extra):
        here = folder / source.dataset_id
        try:
            written = source.write(here)
        except Exception:  # its database is down: the previous version is kept
            log.warning(
                "%s : source illisible, version précédente gardée", source.dataset_id,
                exc_info=True,
            )  # fmt: skip
            written = 0
        in_previous = previous is not None and source.dataset_id in previous.datasets
        if not written and not in_previous and source.dataset_id not in named:
            continue
        found.append(load_descriptor(source.descriptor))
        descriptors[source.dataset_id] = source.descriptor
        if written:
            sources[source.dataset_id] = here
    return ServiceDatasets(tuple(found), descriptors, sources)


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
