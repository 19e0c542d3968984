"""Download an official export when the mirror does not hold a dataset (DESIGN.md, Sources).

Off by default (``ARDOISE_ALLOW_DOWNLOAD=1`` turns it on). The file lands in a cache keyed
by the URL, written under a temporary name and renamed, so a failed download leaves nothing.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path

from ardoise.errors import SourceMissing

_CHUNK = 1 << 20


def cached_download(url: str, cache_dir: Path, timeout_s: float) -> Path:
    """The cached copy of ``url`` (downloaded once), or SourceMissing with the reason."""
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    name = Path(url.split("?", 1)[0]).name or "export"
    dest = cache_dir / "downloads" / key / (name if "." in name else name + ".csv")
    if dest.is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "ardoise-ingest"})
        with urllib.request.urlopen(request, timeout=timeout_s) as response, open(tmp, "wb") as out:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
        os.replace(tmp, dest)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        tmp.unlink(missing_ok=True)
        raise SourceMissing(f"Téléchargement impossible de {url} : {exc}") from exc
    return dest
