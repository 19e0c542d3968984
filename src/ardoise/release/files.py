"""The files of a release: content hashes, the release fingerprint, atomic JSON writes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fingerprint(
    parquets: Mapping[str, str | None],
    referential: Mapping[str, str],
    descriptors: Mapping[str, str],
    indicators: str,
) -> str:
    """Content hash of a release: equal fingerprints mean nothing to publish.

    ``parquets``: dataset id → sha256 of its Parquet file (None when blocked without a
    previous version); ``referential``: the referential's output files → sha256;
    ``descriptors``: dataset id → sha256 of its descriptor; ``indicators``: the one hash
    over the indicator files.
    """
    parts = {
        "datasets": dict(sorted(parquets.items())),
        "referential": dict(referential),
        "descriptors": dict(descriptors),
    }
    content = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
    return hashlib.sha256((content + indicators).encode()).hexdigest()


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON with sorted keys, atomically (temporary name, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(
        json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n",
        encoding="utf-8",
    )
    tmp.replace(path)
