"""Front-end assets vendored from ``node_modules`` with content-hashed, immutable file names.

``build_assets(node_modules, out_dir)`` copies the files the pages load (DSFR, vega,
vega-lite, vega-embed, Swagger UI for ``/api/docs``, and the dashboard's own CSS and JS) into one flat folder, each named
``<stem>.<sha256[:12]>.<ext>``. CSS is rewritten so that every relative ``url(…)`` it uses
(fonts, icons) points at the hashed copy of that file. Nothing is fetched from a CDN: the
site works offline. The build is idempotent (same inputs, same names) and runs at start and
from ``make assets``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ardoise.errors import ConfigError

_OWN = Path(__file__).resolve().parent / "static"
_URL = re.compile(r"url\((['\"]?)(?!data:|https?:|/|#)([^)'\"?#]+)([^)'\"]*)\1\)")

# logical name → source file (relative to node_modules, or "@own/" for ours)
VENDOR: dict[str, str] = {
    "dsfr.css": "@gouvfr/dsfr/dist/dsfr.min.css",
    "dsfr.js": "@gouvfr/dsfr/dist/dsfr.module.min.js",
    "vega.js": "vega/build/vega.min.js",
    "vega-lite.js": "vega-lite/build/vega-lite.min.js",
    "vega-embed.js": "vega-embed/build/vega-embed.min.js",
    "swagger-ui.js": "swagger-ui-dist/swagger-ui-bundle.js",  # /api/docs only
    "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
    "swagger-ui.png": "swagger-ui-dist/favicon-32x32.png",
    "dashboard.css": "@own/dashboard.css",
    "dashboard.js": "@own/dashboard.js",
    "charts.js": "@own/charts.js",
    "api-docs.js": "@own/api-docs.js",  # starts Swagger UI on /api/docs
}
# assets only for the browser tests (never linked from a page)
TEST_ONLY: dict[str, str] = {"axe.js": "axe-core/axe.min.js"}


@dataclass(frozen=True)
class Assets:
    """Where the built files are, and the hashed name of each logical asset."""

    directory: Path
    names: dict[str, str]  # logical name → hashed file name

    def url(self, logical: str) -> str:
        return f"/static/{self.names[logical]}"


def _hashed(path: Path, data: bytes) -> str:
    """``dsfr.min.css`` → ``dsfr.<sha256[:12]>.css``."""
    digest = hashlib.sha256(data).hexdigest()[:12]
    stem, _, ext = path.name.rpartition(".")
    if not stem:
        return f"{ext}.{digest}"
    return f"{stem.removesuffix('.min')}.{digest}.{ext}"


def _write(out_dir: Path, name: str, data: bytes) -> None:
    target = out_dir / name
    if target.is_file():
        return  # content-addressed: same name, same bytes
    tmp = target.with_name(f".{name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)


def _source(node_modules: Path, spec: str) -> Path:
    path = _OWN / spec.removeprefix("@own/") if spec.startswith("@own/") else node_modules / spec
    if not path.is_file():
        raise ConfigError(
            f"Fichier front-end introuvable : {path}. Lancez `make install` (npm install)."
        )
    return path


def _copy_css(path: Path, out_dir: Path, copied: dict[Path, str]) -> bytes:
    """The CSS with each relative ``url()`` replaced by its hashed copy (copied on the way)."""
    text = path.read_text("utf-8")

    def replace(match: re.Match[str]) -> str:
        ref = (path.parent / match.group(2)).resolve()
        if not ref.is_file():
            return match.group(0)
        if ref not in copied:
            data = ref.read_bytes()
            copied[ref] = _hashed(ref, data)
            _write(out_dir, copied[ref], data)
        return f"url({copied[ref]}{match.group(3)})"

    return _URL.sub(replace, text).encode("utf-8")


@functools.lru_cache(maxsize=8)
def build_assets(node_modules: Path, out_dir: Path, *, with_test_assets: bool = True) -> Assets:
    """Copy every asset into ``out_dir`` under its hashed name; return the name table (once
    per process and folder: every app created by the tests shares it)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names: dict[str, str] = {}
    copied: dict[Path, str] = {}
    table = {**VENDOR, **(TEST_ONLY if with_test_assets else {})}
    for logical, spec in table.items():
        path = _source(node_modules, spec)
        data = _copy_css(path, out_dir, copied) if path.suffix == ".css" else path.read_bytes()
        names[logical] = _hashed(Path(logical), data)
        _write(out_dir, names[logical], data)
    return Assets(out_dir, names)


__all__ = ["TEST_ONLY", "VENDOR", "Assets", "build_assets"]
