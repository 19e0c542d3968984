"""Where a dataset of the release has data: its records counted per département, once per
release (issue #19, coverage maps). A record is placed by the ``_departement`` link set at
ingest or, for datasets that name no territory but the school (the Hérault TNE file), by the
département its UAI is numbered in (``0340016H`` → 34; 620/720 → Corse, 97x → overseas)."""

from __future__ import annotations

from ardoise.query.release import ServedRelease
from ardoise.sql import quote_identifier

_PLACE = (
    "CASE WHEN _departement IS NOT NULL THEN _departement "
    "WHEN _uai IS NULL THEN NULL "
    "WHEN left(_uai, 3) = '620' THEN '2A' WHEN left(_uai, 3) = '720' THEN '2B' "
    "WHEN left(_uai, 2) = '97' THEN left(_uai, 3) "
    "WHEN left(_uai, 1) = '0' THEN substr(_uai, 2, 2) END"
)


def records_by_departement(release: ServedRelease, dataset_id: str) -> dict[str, int]:
    """Département code → number of records of ``dataset_id`` placed there (records with
    no département left out); empty when the dataset is not in the release."""
    if dataset_id not in release.datasets:
        return {}

    def compute() -> dict[str, int]:
        result = release.engine.fetch(
            f"SELECT {_PLACE} AS d, count(*) FROM {quote_identifier(dataset_id)} "
            "WHERE d IS NOT NULL GROUP BY 1 ORDER BY 1",
            {},
        )
        return {str(code): int(n) for code, n in result.rows}

    return release.memo((records_by_departement, dataset_id), compute)
