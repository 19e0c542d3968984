"""The release manifest: what a release holds, with provenance and hashes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

MANIFEST_VERSION = 1


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fingerprint(
    datasets: dict[str, dict[str, Any]], referential: dict[str, Any], descriptors: dict[str, str]
) -> str:
    """Content hash of a release: equal fingerprints mean nothing to publish."""
    parts = {
        "datasets": {
            k: (v.get("parquet") or {}).get("sha256") for k, v in sorted(datasets.items())
        },
        "referential": referential.get("outputs_sha256", {}),
        "descriptors": descriptors,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(
        json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n",
        encoding="utf-8",
    )
    tmp.replace(path)
