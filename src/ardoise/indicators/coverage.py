"""What is missing, written to ``couverture.json`` so that users (and we) see the gaps.

For each indicator: the school years it covers and the holes between them; for each of its
source datasets, the years it gives, the years an earlier source gives instead, the rows
used and the rows that could not be placed at each level; for each level and year, how many
territories have no value (listed by code for départements, académies and régions) or a
non-significant one; and the data problems met (contradictory reference values, missing
columns, absent datasets).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

from ardoise.indicators.model import Definition, Part
from ardoise.referential.levels import ladder

LISTED_LEVELS = ladder("departement")  # few territories: the codes without a value in full
EXAMPLES = 20  # codes shown for the levels with many territories


def conflicts(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Reference values that differ between rows of one territory and year (status absent)."""
    rows = conn.execute("""
        SELECT indicateur, niveau, code, annee, nd FROM _ind_rows WHERE nd > 1
        ORDER BY indicateur, niveau, code, annee""").fetchall()
    return [
        {
            "type": "valeurs_de_reference_contradictoires",
            "indicateur": i,
            "niveau": n,
            "code": c,
            "annee_scolaire": a,
            "valeurs_distinctes": int(nd),
            "message": (
                f"{nd} valeurs de référence différentes publiées pour {n} {c} en {a} : "
                "aucune n'est retenue (statut absent)."
            ),
        }
        for i, n, c, a, nd in rows
    ]


def _school_years(first: str, last: str) -> list[str]:
    a, b = int(first[:4]), int(last[:4])
    return [f"{y}-{y + 1}" for y in range(a, b + 1)]


def build(
    conn: duckdb.DuckDBPyConnection,
    defs: Sequence[Definition],
    plans: Mapping[str, Sequence[Part]],
    stats: Mapping[tuple[str, str], dict[str, int]],
    anomalies: list[dict[str, Any]],
) -> dict[str, Any]:
    counts: dict[tuple[str, str, str], dict[str, int]] = {}
    for ind, level, year, status, n in conn.execute(
        "SELECT indicateur, niveau, annee, statut, count(*) FROM _ind_rows GROUP BY ALL"
    ).fetchall():
        counts.setdefault((ind, level, year), {})[status] = int(n)
    missing: dict[tuple[str, str, str], list[str]] = {}
    for ind, level, year, codes in conn.execute("""
            SELECT indicateur, niveau, annee, list(code ORDER BY code)
            FROM _ind_rows WHERE statut = 'absent' GROUP BY ALL""").fetchall():
        shown = list(codes) if level in LISTED_LEVELS else list(codes)[:EXAMPLES]
        missing[(ind, level, year)] = shown
    out = []
    for d in defs:
        years = sorted({y for (i, _, y) in counts if i == d.id})
        holes = [y for y in _school_years(years[0], years[-1]) if y not in years] if years else []
        problems = [a for a in anomalies if a["indicateur"] == d.id]
        sources = []
        for part in plans[d.id]:
            entry: dict[str, Any] = {
                "jeu": part.source.dataset,
                "present": part.input is not None,
                "annees": list(part.years),
                "annees_donnees_par_une_autre_source": list(part.overridden),
                **stats.get((d.id, part.source.dataset), {}),
            }
            if part.problem:
                entry["probleme"] = part.problem
                problems.append(
                    {
                        "type": "source_inutilisable",
                        "indicateur": d.id,
                        "jeu": part.source.dataset,
                        "message": part.problem,
                    }
                )
            sources.append(entry)
        levels = []
        for level in d.levels:
            per_year = []
            for year in years:
                c = counts.get((d.id, level, year), {})
                per_year.append(
                    {
                        "annee_scolaire": year,
                        "territoires": sum(c.values()),
                        "ok": c.get("ok", 0),
                        "non_significatifs": c.get("non_significatif", 0),
                        "absents": c.get("absent", 0),
                        "codes_absents": missing.get((d.id, level, year), []),
                        "codes_absents_complets": level in LISTED_LEVELS,
                    }
                )
            levels.append({"niveau": level, "annees": per_year})
        out.append(
            {
                "indicateur": d.id,
                "version": d.version,
                "annees": years,
                "annees_manquantes": holes,
                "sources": sources,
                "niveaux": levels,
                "anomalies": problems,
            }
        )
    return {"indicateurs": out}
