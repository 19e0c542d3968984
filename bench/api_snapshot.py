"""Byte-identity of the API across a refactor (issue #12): record, then compare.

``record`` builds a deterministic sample of real requests over the release of a var dir
(every dataset of its manifest: Explore v2.1 records, aggregates, facets, exports, v2.0, v1
search, download and metadata, error bodies; the catalogue, DCAT, Data Package, territories,
indicators, llms.txt), sends each through the app in process and stores, per request, the
status, the headers a client reads and the sha256 of the body (of the canonical graph
for RDF) (the bodies themselves go to a
folder beside the record, for diffs). ``compare`` sends the same requests to the code as it
is now and lists every difference. The URLs are built from the raw ``manifest.json`` and the
Parquet schemas with pyarrow, never through Ardoise's code, so that a refactor of that code
cannot change the sample. The record holds real data: keep it under ``var/`` (not committed).

    .venv/bin/python bench/api_snapshot.py record  [--var-dir var] [--out var/snapshot]
    .venv/bin/python bench/api_snapshot.py compare [--var-dir var] [--out var/snapshot]

Prints JSON lines; ``compare`` exits 1 when an answer differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

V21 = "/api/explore/v2.1/catalog/datasets"
V20 = "/api/explore/v2.0/catalog/datasets"
HEADERS = ("content-type", "etag", "cache-control", "content-disposition", "link", "location")


def _url(path: str, **params: Any) -> str:
    return path + ("?" + urlencode(params, quote_via=quote) if params else "")


def _text_and_number(release: Path, entry: dict[str, Any]) -> tuple[list[str], list[str], Any]:
    """Official text and numeric fields of a dataset's Parquet, and its first row."""
    table = pq.read_table(release / entry["parquet"]["path"])
    texts, numbers = [], []
    for field in table.schema:
        if field.name.startswith("_"):
            continue
        kind = str(field.type)
        if kind in ("string", "large_string"):
            texts.append(field.name)
        elif kind in ("int64", "int32", "double", "float"):
            numbers.append(field.name)
    first = table.slice(0, 1).to_pylist()[0] if table.num_rows else {}
    return texts, numbers, first


def dataset_requests(release: Path, ds: str, entry: dict[str, Any]) -> list[str]:
    texts, numbers, first = _text_and_number(release, entry)
    urls = [
        _url(f"{V21}/{ds}"),
        _url(f"{V21}/{ds}/records", limit=5),
        _url(f"{V20}/{ds}/records", limit=2),
        _url(f"{V21}/{ds}/exports/csv", limit=20, use_labels="true"),
        _url(f"{V21}/{ds}/exports/jsonl", limit=5),
        _url("/api/records/1.0/search/", dataset=ds, rows=3),
        _url(f"/api/datasets/1.0/{ds}/"),
    ]
    if texts:
        t = texts[0]
        value = first.get(t)
        urls += [
            _url(f"{V21}/{ds}/records", limit=3, offset=7, order_by=f"{t} desc"),
            _url(
                f"{V21}/{ds}/records",
                select=f"{t}, count(*) as n",
                group_by=t,
                order_by=f"n desc, {t}",
                limit=10,
            ),
            _url(f"{V21}/{ds}/facets", facet=t),
            _url("/api/records/1.0/search/", dataset=ds, rows=2, facet=t),
        ]
        if isinstance(value, str) and value:
            urls += [
                _url(f"{V21}/{ds}/records", where=f'{t}="{value}"', limit=4),
                _url(f"{V21}/{ds}/records", refine=f"{t}:{value}", limit=2),
                _url(f"{V21}/{ds}/exports/json", where=f'{t}="{value}"', limit=3),
                _url("/api/records/1.0/search/", dataset=ds, q=value.split()[0], rows=2),
            ]
    if numbers:
        n = numbers[0]
        urls += [
            _url(f"{V21}/{ds}/records", select=f"avg({n}) as m, max({n}) as x, count(*) as c"),
            _url(f"{V21}/{ds}/records", where=f"{n} > 0", select=f"{n}", order_by=f"{n}", limit=3),
        ]
    urls.append(_url(f"{V21}/{ds}/records", where="champ_inexistant = 1"))
    return urls


def global_requests() -> list[str]:
    return [
        _url(V21),
        _url(V21, limit=5, offset=3),
        _url(V21, where='search("ips")'),
        _url(V21, where="records_count > 10000", order_by="records_count desc"),
        _url("/api/explore/v2.1/catalog/facets"),
        _url("/api/explore/v2.1/catalog/exports/dcat"),
        _url("/api/explore/v2.1/catalog/exports/ttl"),
        _url("/api/datasets/1.0/search/", rows=5),
        _url("/api/datasets/1.0/search/", q="ips"),
        _url("/api/v1/datapackage.json"),
        _url("/api/v1/territoires", q="Lyon"),
        _url("/api/v1/territoires/departement/69"),
        _url("/api/v1/territoires/academie/10/indicateurs"),
        _url("/api/v1/indicateurs"),
        _url("/api/v1/couverture"),
        _url("/llms.txt"),
        _url("/llms-full.txt"),
        _url("/api/v1/etablissements/0010005A"),
        _url("/api/v1/indicateurs/ips_moyen_colleges"),
        _url("/api/v1/indicateurs/ips_moyen_colleges/valeurs", niveau="departement"),
        _url("/api/v1/geo/academie.topojson"),
        _url("/api/v1/releases/inconnue/datapackage.json"),
        _url("/health"),
        # dashboard twins and Markdown cards (built from the same manifest and functions)
        _url("/index.json"),
        _url("/donnees.json"),
        _url("/donnees/fr-en-ips-ecoles-ap2022.json"),
        _url("/donnees/fr-en-ips-ecoles-ap2022.md"),
        _url("/a-propos.json"),
        _url("/qualite.json"),
        _url("/recherche.json", q="ips"),
        _url("/territoires/departement/69.json"),
        _url("/territoires/academie/10.md"),
        _url("/etablissements/0010005A.json"),
        _url("/indicateurs/ips_moyen_colleges.json"),
        _url(f"{V21}/jeu-inconnu/records"),
        _url(f"{V21}/fr-en-ips-ecoles-ap2022/records", where="ips >"),
        _url(f"{V21}/fr-en-ips-ecoles-ap2022/records", limit=101),
        _url(f"{V21}/fr-en-ips-ecoles-ap2022/records", limit=100, offset=9950),
        _url(f"{V21}/fr-en-ips-ecoles-ap2022/exports/xml"),
        _url(
            f"{V21}/fr-en-ips-ecoles-ap2022/records",
            where='academie="LYON"',
            order_by="ips desc",
            limit=20,
        ),
        _url(
            f"{V21}/fr-en-ips-ecoles-ap2022/records",
            select="code_du_departement, avg(ips) as ips_moyen, count(*) as n",
            group_by="code_du_departement",
            limit=200,
        ),
        _url(f"{V21}/fr-en-ips-ecoles-ap2022/records", territoire="academie:10", limit=3),
        _url(
            f"{V21}/fr-en-calendrier-scolaire/records",
            where='location="Lyon" and zones="Zone A"',
            refine="annee_scolaire:2024-2025",
            order_by="start_date, description, population",
            limit=100,
        ),
        _url(
            "/api/records/1.0/search/",
            dataset="fr-en-ips-ecoles-ap2022",
            q="academie:LYON",
            sort="-ips",
            rows=5,
        ),
        _url(
            "/api/records/1.0/search/",
            dataset="fr-en-adresse-et-geolocalisation-etablissements-premier-et-second-degre",
            **{"geofilter.distance": "45.76,4.83,1000"},
            rows=5,
        ),
        _url("/api/records/1.0/download/", dataset="fr-en-calendrier-scolaire", rows=5),
    ]


def requests_of(var_dir: Path) -> list[str]:
    release = (var_dir / "current").resolve()
    manifest = json.loads((release / "manifest.json").read_text("utf-8"))
    urls = global_requests()
    for ds, entry in sorted(manifest["datasets"].items()):
        if entry.get("parquet"):
            urls += dataset_requests(release, ds, entry)
    return urls


RDF_FORMATS = {
    "application/rdf+xml": "xml",
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
}


def _digest(content_type: str, content: bytes) -> str:
    """sha256 of the body; of the canonical graph for RDF, whose blank-node labels rdflib
    draws at random on each serialisation (the same graph, other bytes)."""
    rdf = RDF_FORMATS.get(content_type.split(";")[0].strip())
    if rdf is None:
        return hashlib.sha256(content).hexdigest()
    from rdflib import Graph
    from rdflib.compare import to_canonical_graph

    graph = to_canonical_graph(Graph().parse(data=content, format=rdf))
    lines = sorted(graph.serialize(format="nt").splitlines())
    return "rdf:" + hashlib.sha256("\n".join(lines).encode()).hexdigest()


def answer(client: Any, url: str, bodies: Path | None) -> dict[str, Any]:
    r = client.get(url)
    digest = _digest(r.headers.get("content-type", ""), r.content)
    if bodies is not None:
        (bodies / digest.removeprefix("rdf:")).write_bytes(r.content)
    return {
        "url": url,
        "status": r.status_code,
        "headers": {h: r.headers[h] for h in HEADERS if h in r.headers},
        "sha256": digest,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("record", "compare"))
    parser.add_argument("--var-dir", type=Path, default=ROOT / "var")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "snapshot")
    parser.add_argument(
        "--twice",
        action="store_true",
        help="send each request twice and keep the second answer (a hit of the response "
        "cache where the answer is kept: issue #14's front)",
    )
    args = parser.parse_args()

    from starlette.testclient import TestClient

    from ardoise.settings import load_settings
    from ardoise.web.app import create_app

    settings = load_settings(environ={}, var_dir=args.var_dir)
    record_file = args.out / "record.json"
    if args.mode == "record":
        bodies = args.out / "bodies"
        bodies.mkdir(parents=True, exist_ok=True)
        urls = requests_of(args.var_dir)
    else:
        bodies = args.out / "bodies-after"
        bodies.mkdir(parents=True, exist_ok=True)
        recorded = json.loads(record_file.read_text("utf-8"))
        urls = [r["url"] for r in recorded["answers"]]
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        answers = []
        for url in urls:
            if args.twice:
                client.get(url)
            answers.append(answer(client, url, bodies))
    if args.mode == "record":
        record_file.write_text(
            json.dumps({"answers": answers}, indent=1, ensure_ascii=False), "utf-8"
        )
        statuses: dict[int, int] = {}
        for a in answers:
            statuses[a["status"]] = statuses.get(a["status"], 0) + 1
        print(json.dumps({"recorded": len(answers), "statuses": statuses}))
        return 0
    differ = [
        {"url": before["url"], "before": before, "after": after}
        for before, after in zip(recorded["answers"], answers, strict=True)
        if before != after
    ]
    for d in differ:
        print(json.dumps(d, ensure_ascii=False))
    print(json.dumps({"compared": len(answers), "identical": len(answers) - len(differ)}))
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
