"""Benchmark (not a test) of the school certificates and the registry statistics.

Certificates: in-process ASGI client over a small synthetic SQLite registry, one request at
a time: ``/health`` (baseline), issuing a certificate (PDF, audited), ``GET /verifier/{id}``
and ``POST /verifier``. Statistics: disclosure control of random registries of growing
size, beside primary suppression alone measured in the same run (the baseline).
Each line is a JSON object; ratios compare with the baseline of the same run.

    .venv/bin/python bench/scolarite_certificats.py [--requests 200] [--schools 1000 3000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics as stats
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

# bench/ holds a script named mcp.py: keep it from shadowing the mcp package create_app uses.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from fastapi.testclient import TestClient  # noqa: E402

from ardoise.disclosure import Rules, primary  # noqa: E402
from ardoise.scolarite import scopes, tokens  # noqa: E402
from ardoise.scolarite.database import make_engine, migrate  # noqa: E402
from ardoise.scolarite.normalise import given_names_key, name_key  # noqa: E402
from ardoise.scolarite.schema import eleves  # noqa: E402
from ardoise.scolarite.statistics import Count, Place, linked_table, statistics  # noqa: E402
from ardoise.settings import load_settings  # noqa: E402
from ardoise.web.app import create_app  # noqa: E402

SIRET = "13002526500013"


def _pupil(i: int) -> dict[str, Any]:
    return {
        "identifiant": f"{i:011d}",
        "nom_naissance": f"NOM{i}",
        "nom_usage": None,
        "prenom1": "Camille",
        "prenom2": None,
        "prenom3": None,
        "sexe": "FM"[i % 2],
        "date_naissance": date(2012, 1, 1) + timedelta(days=i % 700),
        "uai": "0750001A",
        "departement": "075",
        "region_academique": "11",
        "degre": "2D",
        "code_ministere": "06",
        "annee_scolaire": "2025-2026",
        "code_mef": "10010012110",
        "libelle_mef": "6EME",
        "statut": "ST",
        "regime": "0",
        "boursier": False,
        "echelon_bourse": None,
        "date_entree": date(2025, 9, 1),
        "date_sortie": None,
        "synthetique": True,
        "nom_naissance_cle": name_key(f"NOM{i}"),
        "nom_usage_cle": None,
        "prenoms_cle": given_names_key(["Camille"]),
    }


def _timed(n: int, call: Callable[[int], Any]) -> dict[str, float]:
    times = []
    for i in range(n):
        start = time.perf_counter()
        call(i)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "n": n,
        "p50_ms": round(stats.median(times), 3),
        "p99_ms": round(times[min(n - 1, int(n * 0.99))], 3),
        "per_s": round(n / (sum(times) / 1000), 1),
    }


def bench_certificates(requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        engine = make_engine(f"sqlite:///{var / 'scolarite.db'}")
        migrate(engine)
        with engine.begin() as conn:
            conn.execute(eleves.insert(), [_pupil(i) for i in range(requests)])
        _, secret = tokens.create(
            engine,
            siret=SIRET,
            intitule="banc",
            scopes=[scopes.IDENTITE, scopes.SCOLARITE, scopes.ETABLISSEMENT, scopes.MEF],
            expire_le=datetime.now(UTC) + timedelta(days=1),
            limite_par_seconde=100_000,
        )
        engine.dispose()
        settings = load_settings(var_dir=var, mirror=var / "none")
        auth = {"Authorization": f"Bearer {secret}"}
        issued: list[str] = []
        documents: list[str] = []
        with TestClient(create_app(settings)) as client:

            def issue(i: int) -> None:
                p = _pupil(i)
                d = p["date_naissance"]
                r = client.get(
                    "/v3/men/scolarites/certificat",
                    headers={**auth, "Accept": "application/json"},
                    params={
                        "recipient": SIRET,
                        "nomNaissance": p["nom_naissance"],
                        "prenoms[]": "Camille",
                        "sexeEtatCivil": p["sexe"],
                        "anneeDateNaissance": d.year,
                        "moisDateNaissance": d.month,
                        "jourDateNaissance": d.day,
                        "codeEtablissement": "0750001A",
                        "anneeScolaire": "2025-2026",
                    },
                )
                assert r.status_code == 200, r.text
                issued.append(r.json()["data"]["certificat"]["id"])
                documents.append(r.json()["data"]["document"])

            def pdf(i: int) -> None:
                p = _pupil(i)
                d = p["date_naissance"]
                r = client.get(
                    "/v3/men/scolarites/certificat",
                    headers=auth,
                    params={
                        "recipient": SIRET,
                        "nomNaissance": p["nom_naissance"],
                        "prenoms[]": "Camille",
                        "sexeEtatCivil": p["sexe"],
                        "anneeDateNaissance": d.year,
                        "moisDateNaissance": d.month,
                        "jourDateNaissance": d.day,
                        "codeEtablissement": "0750001A",
                        "anneeScolaire": "2025-2026",
                    },
                )
                assert r.status_code == 200 and r.content.startswith(b"%PDF")

            health = _timed(requests, lambda i: client.get("/health"))
            runs = {
                "certificat_json": _timed(requests, issue),
                "certificat_pdf": _timed(max(1, requests // 4), pdf),
                "verifier_id": _timed(requests, lambda i: client.get(f"/verifier/{issued[i]}")),
                "verifier_document": _timed(
                    requests, lambda i: client.post("/verifier", json={"document": documents[i]})
                ),
            }
        print(json.dumps({"bench": "certificats", "endpoint": "/health", **health}), flush=True)
        for name, r in runs.items():
            print(
                json.dumps(
                    {
                        "bench": "certificats",
                        "endpoint": name,
                        **r,
                        "ratio_p50_to_health": round(r["p50_ms"] / health["p50_ms"], 1),
                    }
                ),
                flush=True,
            )


def _registry(schools: int, seed: int = 0) -> tuple[list[Count], dict[str, Place]]:
    rng = random.Random(seed)
    counts: list[Count] = []
    places: dict[str, Place] = {}
    for s in range(schools):
        uai = f"{s:07d}X"
        commune = s // 4
        dep = commune % 100
        places[uai] = Place(f"C{commune}", f"D{dep}", f"A{dep % 30}")
        levels = ["CP", "CE1", "CE2", "CM1", "CM2"] if s % 3 else ["6EME", "5EME", "4EME", "3EME"]
        size = rng.choice([5, 10, 20, 40, 80])
        for level in levels:
            for sexe in "FM":
                n = max(0, int(rng.gauss(size / 2, size / 5)))
                counts.append(Count(uai, level, sexe, n))
    return counts, places


def bench_statistics(sizes: list[int]) -> None:
    for schools in sizes:
        counts, places = _registry(schools)
        start = time.perf_counter()
        table = linked_table(counts, places)
        primary(table, Rules())
        baseline = time.perf_counter() - start
        start = time.perf_counter()
        result = statistics(counts, places)
        took = time.perf_counter() - start
        print(
            json.dumps(
                {
                    "bench": "statistiques",
                    "schools": schools,
                    "pupils": sum(c.effectif for c in counts),
                    "cells": len(result.cells),
                    "suppressed": result.suppressed,
                    "seconds": round(took, 2),
                    "baseline_primary_s": round(baseline, 3),
                    "ratio_to_baseline": round(took / baseline, 1),
                }
            ),
            flush=True,
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--schools", type=int, nargs="*", default=[1000, 3000])
    args = parser.parse_args(argv)
    bench_certificates(args.requests)
    bench_statistics(args.schools)


if __name__ == "__main__":
    sys.exit(main())
