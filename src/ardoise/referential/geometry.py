"""Simplified TopoJSON contours of the referential, made by mapshaper and cached.

Levels: ``regions``, ``departements`` (france-geojson 2018, overseas départements at
their true position), ``academies`` (contours 2020) and, optionally, ``communes`` (one
file per département; 2018 communes merged since are dissolved into their current
commune). Features carry {code, nom} of the current referential. Each level also gets a
``<level>.bbox.json`` sidecar {code: [minx, miny, maxx, maxy]} computed from the output.

mapshaper runs once per level, all levels at the same time, with topology-preserving
simplification (Visvalingam weighted, ``keep-shapes``). Results are cached under
``cache_dir/referential-geo/`` keyed by the sha256 of the inputs, the names written, the
mapshaper version and the parameters; a cache hit is hard-linked (or copied).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ardoise.errors import SourceMissing, SourceUnreadable
from ardoise.referential.inputs import InputFile, ReferentialInputs
from ardoise.referential.staging import Staging, copy_file
from ardoise.referential.topojson import bboxes, dumps, tidy_topology

# Bump when the post-processing below changes what is written: it invalidates the cache.
GEOMETRY_FORMAT = 2
QUANTIZATION = 100_000
# Percent of removable vertices kept. Sizes with france-geojson 2018 and mapshaper 0.7.70:
# départements ≈ 205 KB, régions ≈ 85 KB, académies ≈ 55 KB, communes ≈ 8 MB in all.
SIMPLIFY: dict[str, str] = {
    "regions": "15%",
    "departements": "20%",
    "academies": "15%",
    "communes": "10%",
}
LEVELS: tuple[str, ...] = ("regions", "departements", "academies")
CACHE_FOLDER = "referential-geo"
CACHE_KEEP = 3  # entries kept per level, most recently used first
_CODES_FILE = "_codes.json"  # cache-only: codes present, per output file
_UNMATCHED = "inconnu"


@dataclass(frozen=True)
class GeometryJob:
    level: str
    inputs: tuple[InputFile, ...]
    hashes: tuple[str, ...]  # sha256 of each input, same order
    names: Mapping[str, str]  # code → nom written in the features
    extra: bytes = b""  # a file passed to mapshaper (-include), for the communes

    def arguments(self, work: Path) -> list[str]:
        simplify = ["-simplify", SIMPLIFY[self.level], "keep-shapes"]
        topo = ["format=topojson", f"quantization={QUANTIZATION}"]
        if self.level == "communes":
            return [
                "-i",
                *(str(f.path) for f in self.inputs),
                "combine-files",
                "-merge-layers",
                "force",
                "name=communes",
                "-include",
                str(work / "communes-map.json"),
                "-each",
                "code = CUR[code] || code",
                "-dissolve",
                "code",
                *simplify,
                "-each",
                f"nom = NOM[code] || null, dep = DEP[code] || '{_UNMATCHED}'",
                "-sort",
                "code",
                "-o",
                "format=json",
                str(work / "raw" / "codes.json"),
                "-split",
                "dep",
                "-filter-fields",
                "code,nom",
                "-o",
                *topo,
                "singles",
                "extension=topojson",
                str(work / "raw" / "communes") + "/",
            ]
        rename = ["-rename-fields", "code=code_academie"] if self.level == "academies" else []
        return [
            "-i",
            str(self.inputs[0].path),
            *rename,
            "-filter-fields",
            "code",
            *simplify,
            "-o",
            *topo,
            str(work / "raw" / f"{self.level}.topojson"),
        ]

    def _portable(self, argument: str) -> str:
        """An argument without machine-specific paths (inputs are keyed by content)."""
        for f in self.inputs:
            if argument == str(f.path):
                return f.name
        return argument

    def key(self, mapshaper_version: str) -> str:
        spec = {
            "format": GEOMETRY_FORMAT,
            "level": self.level,
            "mapshaper": mapshaper_version,
            "arguments": [self._portable(a) for a in self.arguments(Path("<work>"))],
            "inputs": [[f.name, h] for f, h in zip(self.inputs, self.hashes, strict=True)],
            "names": hashlib.sha256(dumps(dict(sorted(self.names.items())))).hexdigest(),
            "extra": hashlib.sha256(self.extra).hexdigest(),
        }
        return hashlib.sha256(dumps(spec)).hexdigest()


@dataclass(frozen=True)
class GeometryResult:
    files: dict[str, int]  # path relative to the referential folder → size in bytes
    codes: dict[str, tuple[str, ...]]  # level → codes that have a geometry
    unmatched: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cache_hits: tuple[str, ...] = ()


def build_geometries(
    jobs: Sequence[GeometryJob],
    inputs: ReferentialInputs,
    cache_dir: Path,
    staging: Staging,
) -> GeometryResult:
    """Make (or take from the cache) each job's files and stage them under ``geo/``."""
    cache_root = cache_dir / CACHE_FOLDER
    cache_root.mkdir(parents=True, exist_ok=True)
    entries = {
        job.level: cache_root / f"{job.level}-{job.key(inputs.mapshaper_version)}" for job in jobs
    }
    hits = tuple(job.level for job in jobs if entries[job.level].is_dir())
    missing = [job for job in jobs if job.level not in hits]
    if missing:
        _run_jobs(missing, inputs.mapshaper, cache_root, entries)

    files: dict[str, int] = {}
    codes: dict[str, tuple[str, ...]] = {}
    unmatched: dict[str, tuple[str, ...]] = {}
    for job in jobs:
        entry = entries[job.level]
        index = json.loads((entry / _CODES_FILE).read_text(encoding="utf-8"))
        codes[job.level] = tuple(index["codes"])
        if index.get("unmatched"):
            unmatched[job.level] = tuple(index["unmatched"])
        for path in sorted(entry.rglob("*")):
            if path.is_file() and path.name != _CODES_FILE:
                rel = "geo/" + path.relative_to(entry).as_posix()
                copy_file(path, staging.path(rel))
                files[rel] = path.stat().st_size
        os.utime(entry)  # mark as recently used
        _prune(cache_root, job.level)
    return GeometryResult(files, codes, unmatched, hits)


def _prune(cache_root: Path, level: str) -> None:
    """Keep the CACHE_KEEP most recently used entries of a level (inputs change rarely)."""
    entries = sorted(
        (p for p in cache_root.glob(f"{level}-*") if p.is_dir()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in entries[CACHE_KEEP:]:
        shutil.rmtree(old, ignore_errors=True)


def _run_jobs(
    jobs: Sequence[GeometryJob], mapshaper: Path, cache_root: Path, entries: Mapping[str, Path]
) -> None:
    """Run mapshaper for every job at once, then post-process each into its cache entry."""
    work_root = Path(tempfile.mkdtemp(prefix=".work-", dir=cache_root))
    running: list[tuple[GeometryJob, Path, subprocess.Popen[bytes], IO[bytes]]] = []
    try:
        for job in jobs:
            work = work_root / job.level
            # mapshaper writes into an output folder only when it exists.
            (work / "raw" / "communes").mkdir(parents=True)
            if job.extra:
                (work / "communes-map.json").write_bytes(job.extra)
            log = (work / "stderr.log").open("w+b")
            try:
                proc = subprocess.Popen(
                    [str(mapshaper), "-quiet", *job.arguments(work)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                )
            except OSError as exc:
                log.close()
                raise SourceMissing(
                    f"Impossible de lancer mapshaper ({mapshaper}) : {exc}. "
                    "Node.js est-il installé ? Lancez `make install`."
                ) from exc
            running.append((job, work, proc, log))
        failures = []
        for job, _work, proc, output in running:
            code = proc.wait()
            output.seek(0)
            message = output.read().decode("utf-8", "replace").strip()
            if code != 0:
                failures.append(f"{job.level} (code {code}) : {message[-500:]}")
        if failures:
            raise SourceUnreadable("mapshaper a échoué : " + " | ".join(failures))
        for job, work, _proc, _log in running:
            entry_tmp = work / "entry"
            entry_tmp.mkdir()
            if job.level == "communes":
                index = _finish_communes(job, work / "raw", entry_tmp)
            else:
                index = _finish_level(job, work / "raw", entry_tmp)
            (entry_tmp / _CODES_FILE).write_bytes(dumps(index))
            try:
                os.replace(entry_tmp, entries[job.level])
            except OSError:
                if not entries[job.level].is_dir():  # not a concurrent build's identical entry
                    raise
    finally:
        for _job, _work, proc, output in running:
            if proc.poll() is None:  # an error elsewhere: stop what we started
                proc.kill()
                proc.wait()
            output.close()
        shutil.rmtree(work_root, ignore_errors=True)


def _finish_level(job: GeometryJob, raw: Path, entry: Path) -> dict[str, Any]:
    source = job.inputs[0].name
    topology = json.loads((raw / f"{job.level}.topojson").read_bytes())
    tidy = tidy_topology(topology, job.level, job.names, source)
    (entry / f"{job.level}.topojson").write_bytes(dumps(tidy))
    boxes = bboxes(tidy)
    (entry / f"{job.level}.bbox.json").write_bytes(dumps(boxes))
    return {"codes": sorted(boxes)}


def _finish_communes(job: GeometryJob, raw: Path, entry: Path) -> dict[str, Any]:
    records = json.loads((raw / "codes.json").read_bytes())
    codes = sorted(str(r["code"]) for r in records if r.get("dep") != _UNMATCHED)
    unmatched = sorted(str(r["code"]) for r in records if r.get("dep") == _UNMATCHED)
    (entry / "communes").mkdir()
    for path in sorted((raw / "communes").glob("*.topojson")):
        if path.stem == _UNMATCHED:
            continue
        topology = json.loads(path.read_bytes())
        # mapshaper names each object after its département; one name suits the web map.
        (layer,) = topology["objects"].values()
        topology["objects"] = {"communes": layer}
        (entry / "communes" / path.name).write_bytes(dumps(topology))
    return {"codes": codes, "unmatched": unmatched}


def communes_map(
    anciens_codes: Mapping[str, str],
    delegated: Mapping[str, str],
    current: Mapping[str, tuple[str, str]],
) -> bytes:
    """The JS object mapshaper ``-include``s for the communes job.

    CUR: 2018 code → current code (merged communes); NOM and DEP: current code → name and
    département.
    """
    cur = dict(sorted({**delegated, **anciens_codes}.items()))
    cur = {old: new for old, new in cur.items() if old not in current}
    return dumps(
        {
            "CUR": cur,
            "NOM": {code: nom for code, (nom, _dep) in sorted(current.items())},
            "DEP": {code: dep for code, (_nom, dep) in sorted(current.items())},
        }
    )
