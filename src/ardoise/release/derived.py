"""Derived tables (referential, indicators) are a pure function of their inputs and of the
code that computes them: cache their files by that content, as the geometries are.

The indicators' key hashes the build's Parquet files, the referential outputs and the
indicator package's source and declarations; the referential's key hashes its input files
and the referential package. A hit links the cached files into the build; a miss computes,
then stores a copy (written under a temporary name, renamed).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import ardoise.indicators as indicators_pkg
import ardoise.referential as referential_pkg
from ardoise.indicators import compute_indicators
from ardoise.referential.build import build_referential
from ardoise.referential.inputs import locate_inputs
from ardoise.release.files import sha256_file
from ardoise.release.manifest import IndicatorsInfo, ReferentialInfo
from ardoise.release.store import link_or_copy

_KEEP = 3  # cached generations kept


def _code_hash(package: ModuleType = indicators_pkg) -> str:
    root = Path(str(package.__file__)).parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".yaml") and path.is_file():
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def _key(build: Path) -> str:
    h = hashlib.sha256(_code_hash().encode())
    for folder in ("data", "referential"):
        for path in sorted((build / folder).rglob("*.parquet")):
            h.update(f"{folder}/{path.name}:{sha256_file(path)}".encode())
    return h.hexdigest()


def indicators_cached(build: Path, cache_dir: Path) -> IndicatorsInfo:
    """The indicators summary of the manifest; files land in ``build/indicators``."""
    summary = _cached(
        cache_dir / "indicators",
        _key(build),
        build / "indicators",
        lambda: compute_indicators(build).to_json(),
    )
    return IndicatorsInfo.from_json(summary)


def referential_cached(
    mirror: Path, node_modules: Path, out: Path, cache_dir: Path
) -> ReferentialInfo:
    """The referential of the manifest, built (or taken from the cache); files land in
    ``out``, whose hashes the caller adds (``outputs_sha256``)."""
    inputs = locate_inputs(mirror, node_modules)
    h = hashlib.sha256(_code_hash(referential_pkg).encode())
    h.update(f"{inputs.mapshaper_version}|{inputs.decoupage_version}".encode())
    for f in sorted(inputs.all_files(), key=lambda f: f.name):
        h.update(f"{f.name}:{sha256_file(f.path)}".encode())
    summary = _cached(
        cache_dir / "referential-full",
        h.hexdigest(),
        out,
        lambda: build_referential(mirror, node_modules, out, cache_dir / "referential").to_json(),
    )
    return ReferentialInfo.built(summary)


def _cached(
    folder: Path, key: str, out: Path, compute: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    entry = folder / key
    summary_file = entry / "summary.json"
    if summary_file.is_file():
        shutil.copytree(entry / "files", out, copy_function=link_or_copy)
        cached: dict[str, Any] = json.loads(summary_file.read_text("utf-8"))
        return cached
    summary = compute()
    tmp = entry.with_name(f".{key}.{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(out, tmp / "files")
    (tmp / "summary.json").write_text(json.dumps(summary, sort_keys=True), "utf-8")
    try:
        os.replace(tmp, entry)
    except OSError:  # another ingest stored the same entry first
        shutil.rmtree(tmp, ignore_errors=True)
    _prune(entry.parent)
    return summary


def _prune(folder: Path) -> None:
    entries = sorted(
        (p for p in folder.iterdir() if not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in entries[_KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
