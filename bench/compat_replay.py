"""Compatibility replay (issue #13): realistic calls of programs written for
data.education.gouv.fr, replayed over a release, with what each program reads.

The calls are in ``bench/compat_calls.jsonl``, one JSON object a line::

    {"class": "like", "family": "records", "url": "...", "reads": {...}, "why": "..."}

A line whose ``url`` holds ``{ds}`` is replayed on every dataset of the release; ``{t}``
is then the dataset's first text field, ``{v}`` that field's value in its first record,
``{n}`` its first numeric field (a template needing a placeholder the dataset lacks is
skipped for that dataset). ``reads`` says what the program reads, each key one check:

    status        the HTTP status (200 when absent)
    rows_min      at least this many rows (``results``, v2.0/v1 ``records``, GeoJSON
                  ``features``, JSON export items, JSONL or CSV lines)
    error         true: a JSON body with ``error_code`` and ``message`` (the portal's shape)
    content_type  the media type of the answer
    headers       headers that must be present
    types         true: every value of every field of ``results`` has the JSON type of the
                  field's declared type in the dataset's metadata
    declared      {field: type}: the dataset's metadata declares these portal types
    v1_fields     true: every v1 record carries every field its v2.1 twin has non-null
    null_geometry true: every GeoJSON feature has a ``geometry`` key (null allowed)
    json_keys     keys the JSON body must have
    paths         paths the OpenAPI document must list

The app runs in process (Starlette's TestClient) over ``--var-dir`` (default: the
release of the real mirror in ``var``). Prints one JSON line per class (calls, passed,
rate) and a total, then the failures with ``--failures``.

    .venv/bin/python bench/compat_replay.py [--var-dir var] [--failures]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
CALLS = Path(__file__).resolve().parent / "compat_calls.jsonl"
V21 = "/api/explore/v2.1/catalog/datasets"
JSON_TYPES = {
    "text": (str,),
    "int": (int,),
    "double": (int, float),
    "date": (str,),
    "datetime": (str,),
    "boolean": (bool,),
    "geo_point_2d": (dict,),
    "geo_shape": (dict,),
}


def load_calls(path: Path = CALLS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


class Replay:
    """The release's datasets, their metadata and first record, and the checks."""

    def __init__(self, client: Any, var_dir: Path) -> None:
        self.client = client
        manifest = json.loads((var_dir / "current" / "manifest.json").read_text("utf-8"))
        self.datasets = sorted(k for k, v in manifest["datasets"].items() if v.get("parquet"))
        self._meta: dict[str, dict[str, Any]] = {}

    def meta(self, ds: str) -> dict[str, Any]:
        if ds not in self._meta:
            info = self.client.get(f"{V21}/{ds}").json()
            first = self.client.get(f"{V21}/{ds}/records", params={"limit": 1}).json()
            info["_first"] = (first.get("results") or [{}])[0]
            self._meta[ds] = info
        return self._meta[ds]

    def placeholders(self, ds: str) -> dict[str, str]:
        info = self.meta(ds)
        fields = info.get("fields", [])
        texts = [f["name"] for f in fields if f["type"] == "text"]
        numbers = [f["name"] for f in fields if f["type"] in ("int", "double")]
        out = {"ds": ds}
        if texts:
            out["t"] = texts[0]
            value = info["_first"].get(texts[0])
            if isinstance(value, str) and value:
                out["v"] = value
        if numbers:
            out["n"] = numbers[0]
        return out

    def expand(self, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for call in calls:
            if "{ds}" not in call["url"]:
                out.append(call)
                continue
            for ds in self.datasets:
                values = self.placeholders(ds)
                try:
                    url = call["url"].format_map(_Strict(values))
                except KeyError:
                    continue
                out.append({**call, "url": url, "dataset": ds})
        return out

    def run(self, call: dict[str, Any]) -> list[str]:
        """The checks of ``call`` that fail (empty: the program gets what it reads)."""
        headers = call.get("headers") or {}
        url = call["url"]
        raw = url.encode("utf-8") if call.get("raw") else None
        if raw is not None:
            response = _raw_get(self.client, raw, headers)
        else:
            response = self.client.get(url, headers=headers)
        reads = call.get("reads", {})
        failed = []
        expected = reads.get("status", 200)
        if response.status_code != expected:
            failed.append(f"status {response.status_code} != {expected}")
        if response.status_code >= 500 or (not response.content and expected == 200):
            return [*failed, "no parsable answer"]
        for key, want in reads.items():
            if key == "status":
                continue
            problem = getattr(self, f"check_{key}")(response, want, call)
            if problem:
                failed.append(f"{key}: {problem}")
        return failed

    # --- checks -----------------------------------------------------------------------------

    def check_rows_min(self, response: Any, want: int, call: dict[str, Any]) -> str | None:
        n = _rows(response)
        return None if n is not None and n >= want else f"{n} rows < {want}"

    def check_error(self, response: Any, want: bool, call: dict[str, Any]) -> str | None:
        try:
            body = response.json()
        except ValueError:
            return "not JSON"
        ok = isinstance(body, dict) and "error_code" in body and "message" in body
        return None if ok == want else f"body {str(body)[:80]}"

    def check_content_type(self, response: Any, want: str, call: dict[str, Any]) -> str | None:
        got = response.headers.get("content-type", "").split(";")[0].strip()
        return None if got == want else got

    def check_headers(self, response: Any, want: list[str], call: dict[str, Any]) -> str | None:
        missing = [h for h in want if h.lower() not in response.headers]
        return f"missing {missing}" if missing else None

    def check_json_keys(self, response: Any, want: list[str], call: dict[str, Any]) -> str | None:
        try:
            body = response.json()
        except ValueError:
            return "not JSON"
        missing = [k for k in want if k not in body]
        return f"missing {missing}" if missing else None

    def check_paths(self, response: Any, want: list[str], call: dict[str, Any]) -> str | None:
        paths = response.json().get("paths", {})
        missing = [p for p in want if p not in paths]
        return f"missing {missing}" if missing else None

    def check_types(self, response: Any, want: bool, call: dict[str, Any]) -> str | None:
        ds = call.get("dataset") or _dataset_of(call["url"])
        declared = {f["name"]: f["type"] for f in self.meta(ds).get("fields", [])}
        for row in response.json().get("results", []):
            for name, value in row.items():
                kinds = JSON_TYPES.get(declared.get(name, ""), ())
                if value is not None and kinds and not isinstance(value, kinds):
                    return f"{name} declared {declared[name]}, served {value!r}"
                if value is not None and isinstance(value, bool) and bool not in kinds:
                    return f"{name} declared {declared[name]}, served {value!r}"
        return None

    def check_declared(self, response: Any, want: dict[str, str], call: dict[str, Any]) -> str:
        fields = {f["name"]: f["type"] for f in response.json().get("fields", [])}
        wrong = {k: fields.get(k) for k, v in want.items() if fields.get(k) != v}
        return f"declared {wrong}" if wrong else ""

    def check_v1_fields(self, response: Any, want: bool, call: dict[str, Any]) -> str | None:
        body = response.json()
        ds = body["records"][0]["datasetid"] if body.get("records") else None
        for record in body.get("records", [])[:10]:
            twin = self.client.get(f"{V21}/{ds}/records/{record['recordid']}").json()
            expected = {k for k, v in twin.items() if v is not None and not k.startswith("_")}
            lacking = expected - set(record.get("fields", {}))
            if lacking:
                return f"record {record['recordid'][:8]} lacks {sorted(lacking)[:4]}"
        return None

    def check_null_geometry(self, response: Any, want: bool, call: dict[str, Any]) -> str | None:
        body = response.json()
        if body.get("type") != "FeatureCollection":
            return "not a FeatureCollection"
        bad = [f for f in body.get("features", []) if "geometry" not in f]
        return f"{len(bad)} features without geometry key" if bad else None


class _Strict(dict[str, str]):
    def __missing__(self, key: str) -> str:
        raise KeyError(key)


def _dataset_of(url: str) -> str:
    rest = url.split("/catalog/datasets/", 1)[1]
    return rest.split("/", 1)[0].split("?", 1)[0].split("@", 1)[0]


def _raw_get(client: Any, raw: bytes, headers: dict[str, str]) -> Any:
    """GET with a query string of raw bytes, as some HTTP clients send it (no encoding):
    httpx refuses such a URL, so the ASGI app is called directly."""
    import anyio
    import httpx

    path, _, query = raw.partition(b"?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path.decode(), "raw_path": path, "query_string": query,
        "root_path": "", "server": ("testserver", 80), "client": ("127.0.0.1", 5000),
        "headers": [(b"host", b"testserver")]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def call() -> None:
        await client.app(scope, receive, send)

    anyio.run(call)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return httpx.Response(
        start["status"], headers=[(k.decode(), v.decode()) for k, v in start["headers"]],
        content=body,
    )  # fmt: skip


def _rows(response: Any) -> int | None:
    kind = response.headers.get("content-type", "")
    text = response.content.decode("utf-8", "replace")
    if "csv" in kind:
        return max(0, len(list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))) - 1)
    if "ndjson" in kind or "jsonl" in kind:
        return len([line for line in text.splitlines() if line.strip()])
    try:
        body = json.loads(text)
    except ValueError:
        return None
    if isinstance(body, list):
        return len(body)
    for key in ("results", "records", "features", "facets", "datasets", "facet_groups"):
        if isinstance(body.get(key), list):
            return len(body[key])
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--var-dir", type=Path, default=ROOT / "var")
    parser.add_argument("--calls", type=Path, default=CALLS)
    parser.add_argument("--failures", action="store_true")
    args = parser.parse_args()

    from starlette.testclient import TestClient

    from ardoise.settings import load_settings
    from ardoise.web.app import create_app

    settings = load_settings(environ={}, var_dir=args.var_dir)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        replay = Replay(client, args.var_dir)
        calls = replay.expand(load_calls(args.calls))
        results = [(call, replay.run(call)) for call in calls]
    by_class: dict[str, list[int]] = {}
    for call, failed in results:
        tally = by_class.setdefault(call["class"], [0, 0])
        tally[0] += 1
        tally[1] += not failed
    for name, (n, ok) in by_class.items():
        print(json.dumps({"bench": "compat", "class": name, "calls": n, "passed": ok,
                          "rate": round(ok / n, 3)}))  # fmt: skip
    total = sum(n for n, _ in by_class.values())
    passed = sum(ok for _, ok in by_class.values())
    print(json.dumps({"bench": "compat", "class": "total", "calls": total, "passed": passed,
                      "rate": round(passed / total, 3)}))  # fmt: skip
    if args.failures:
        for call, failed in results:
            if failed:
                print(json.dumps({"failed": call["url"], "class": call["class"],
                                  "why": failed}, ensure_ascii=False))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
