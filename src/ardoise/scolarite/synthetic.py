"""``ardoise scolarite generate``: a synthetic registry, marked synthetic everywhere.

Pupils are spread over real schools in proportion to their known enrolments, read from
the current release (``fr-en-annuaire-education`` pupils per school, the first-degree
``fr-en-ecoles-effectifs-nb_classes`` and ``fr-en-effectifs-second-degre``); without a
release, a small built-in list of real schools is used. Names come from
``synthetic_names`` with frequency-like weights, so frequent names repeat; on top of that
one pupil in 500 gets a deliberate homonym in the same school (same birth name, first
given name, sex and birth date; the second given name differs or is absent), and 3 % carry
a usage name. Each pupil gets one or two invented legal representatives
(:func:`ardoise.scolarite.representatives.synthetic_rows`, marked synthetic too).
Everything is seeded: the same seed gives the same registry.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, update

from ardoise.scolarite import representatives
from ardoise.scolarite.loader import COLUMNS, clear_synthetic, load_rows
from ardoise.scolarite.normalise import name_key
from ardoise.scolarite.schema import meta
from ardoise.scolarite.synthetic_names import BOYS, GIRLS, SURNAMES


@dataclass(frozen=True)
class School:
    uai: str
    region_academique: str | None
    degre: str
    pupils: int


# Real schools (UAI, académie, degree, pupils) from the annuaire: used when no release.
FALLBACK: tuple[tuple[str, str, str, int], ...] = (
    ("0090473R", "16", "1D", 51), ("0460270U", "16", "1D", 40), ("0660562C", "11", "1D", 237),
    ("0820518T", "16", "1D", 216), ("0480568G", "11", "1D", 180), ("0660166X", "11", "1D", 134),
    ("0811128L", "16", "1D", 78), ("0301345Z", "11", "1D", 139), ("0310584S", "16", "1D", 277),
    ("0312004K", "16", "1D", 86), ("0312151V", "16", "1D", 167), ("0300748A", "11", "1D", 65),
    ("0312077P", "16", "1D", 252), ("0650886K", "16", "2D", 201), ("0120858T", "16", "1D", 39),
    ("0340996Y", "11", "2D", 725), ("0300006U", "11", "2D", 514), ("0300101X", "11", "2D", 391),
    ("0341278E", "11", "2D", 833), ("0820014V", "16", "2D", 302), ("0350027P", "14", "2D", 621),
    ("0352367H", "14", "1D", 234), ("0352278L", "14", "1D", 165), ("0351930H", "14", "2D", 372),
)  # fmt: skip

# (code, label, age at the start of the school year)
LEVELS_1D = (
    ("00111000000", "PETITE SECTION", 3), ("00112000000", "MOYENNE SECTION", 4),
    ("00113000000", "GRANDE SECTION", 5), ("00121000000", "CP", 6),
    ("00122000000", "CE1", 7), ("00123000000", "CE2", 8), ("00124000000", "CM1", 9),
    ("00125000000", "CM2", 10),
)  # fmt: skip
LEVELS_2D = (
    ("10010012110", "6EME", 11), ("10110001110", "5EME", 12), ("10210001110", "4EME", 13),
    ("10310019110", "3EME", 14), ("20010018110", "2NDE GENERALE ET TECHNO YC BT", 15),
    ("20111000110", "1ERE GENERALE", 16), ("20211000110", "TERMINALE GENERALE", 17),
    ("24000008110", "1CAP2 CUISINE", 16),
)  # fmt: skip


def _academies() -> dict[str, str | None]:
    from ardoise.referential.academies import load_academy_table

    return {a.code: a.region_academique for a in load_academy_table().academies}


def schools_from_release(data_dir: Path) -> list[School]:
    """Schools and enrolments from a release's ``data/`` folder (empty if unusable)."""
    import duckdb

    sources = {
        "fr-en-annuaire-education": "SELECT _uai, _academie, CASE WHEN type_etablissement = "
        "'Ecole' THEN '1D' ELSE '2D' END, nombre_d_eleves FROM t WHERE nombre_d_eleves > 0",
        "fr-en-ecoles-effectifs-nb_classes": "SELECT _uai, _academie, '1D', "
        "nombre_total_eleves FROM t WHERE nombre_total_eleves > 0 QUALIFY row_number() "
        "OVER (PARTITION BY _uai ORDER BY rentree_scolaire DESC) = 1",
        "fr-en-effectifs-second-degre": "SELECT _uai, _academie, '2D', nombre_d_eleves "
        "FROM t WHERE nombre_d_eleves > 0",
    }
    best: dict[str, tuple[str | None, str, int]] = {}
    con = duckdb.connect()
    try:
        for dataset, sql in sources.items():
            path = data_dir / f"{dataset}.parquet"
            if not path.is_file():
                continue
            try:
                con.execute(f"CREATE OR REPLACE VIEW t AS SELECT * FROM read_parquet('{path}')")
                rows = con.execute(sql).fetchall()
            except duckdb.Error:
                continue
            for uai, academie, degre, pupils in rows:
                if not uai or pupils is None or len(str(uai)) != 8:
                    continue
                n = int(pupils)
                if n > best.get(uai, (None, "", 0))[2]:
                    best[uai] = (academie, degre, n)
    finally:
        con.close()
    regions = _academies()
    return [
        School(uai, regions.get(acad or ""), degre, n)
        for uai, (acad, degre, n) in sorted(best.items())
    ]


def fallback_schools() -> list[School]:
    regions = _academies()
    return [School(u, regions.get(a), d, n) for u, a, d, n in FALLBACK]


@cache
def _key(value: str) -> str:
    return name_key(value)


def _weights(n: int) -> list[float]:
    return [1.0 / (i + 8) for i in range(n)]  # Zipf-like: frequent names first


def _check_letter(number: int) -> str:
    return "ABCDEFGHJKLMNPRSTUVWXYZ"[number % 23]


def pupils(
    count: int, schools: list[School], annee: str, seed: int = 7
) -> Iterator[tuple[Any, ...]]:
    """Rows in :data:`COLUMNS` order."""
    rnd = random.Random(seed)
    start = int(annee[:4])
    rentree = date(start, 9, 1)
    cum = list(itertools.accumulate(s.pupils for s in schools))
    chosen = rnd.choices(schools, cum_weights=cum, k=count)
    sur_w = list(itertools.accumulate(_weights(len(SURNAMES))))
    boy_w = list(itertools.accumulate(_weights(len(BOYS))))
    girl_w = list(itertools.accumulate(_weights(len(GIRLS))))
    index = {c: i for i, c in enumerate(COLUMNS)}
    previous: tuple[Any, ...] | None = None
    previous_school = schools[0]
    for n, school in enumerate(chosen):
        sexe = "F" if rnd.random() < 0.49 else "M"
        pool, w = (GIRLS, girl_w) if sexe == "F" else (BOYS, boy_w)
        homonym = previous is not None and n % 500 == 499
        if homonym:
            assert previous is not None
            school = previous_school
            sexe = previous[index["sexe"]]
            pool, w = (GIRLS, girl_w) if sexe == "F" else (BOYS, boy_w)
            nom = previous[index["nom_naissance"]]
            prenoms = [previous[index["prenom1"]]]
            if rnd.random() < 0.5:
                prenoms.append(rnd.choices(pool, cum_weights=w)[0])
            naissance = previous[index["date_naissance"]]
            code, label = previous[index["code_mef"]], previous[index["libelle_mef"]]
        else:
            nom = rnd.choices(SURNAMES, cum_weights=sur_w)[0]
            k = rnd.choices((1, 2, 3), weights=(55, 35, 10))[0]
            prenoms = list(dict.fromkeys(rnd.choices(pool, cum_weights=w, k=k)))
            levels = LEVELS_1D if school.degre == "1D" else LEVELS_2D
            code, label, age = rnd.choice(levels)
            if rnd.random() < 0.04:
                age += 1  # a repeated year
            naissance = date(start - age, 1, 1) + timedelta(days=rnd.randrange(365))
        usage = None
        if rnd.random() < 0.03:
            other = rnd.choices(SURNAMES, cum_weights=sur_w)[0]
            usage = f"{nom}-{other}" if rnd.random() < 0.6 else other
        boursier = school.degre == "2D" and rnd.random() < 0.27
        echelon = (
            rnd.randint(1, 6 if label.startswith(("2", "1", "T")) else 3) if boursier else None
        )
        entree = rentree if rnd.random() < 0.93 else rentree + timedelta(days=rnd.randrange(200))
        sortie = entree + timedelta(days=rnd.randrange(30, 250)) if rnd.random() < 0.02 else None
        statut = "AP" if label.startswith("1CAP") and rnd.random() < 0.3 else "ST"
        regime = rnd.choices("0123456", weights=(20, 5, 60, 8, 1, 1, 5))[0]
        number = 10_000_000 * seed + n
        row = (
            f"{number:010d}{_check_letter(number)}", nom, usage, prenoms[0],
            prenoms[1] if len(prenoms) > 1 else None, prenoms[2] if len(prenoms) > 2 else None,
            sexe, naissance, school.uai, school.uai[:3], school.region_academique, school.degre,
            "06", annee, code, label, statut, regime, boursier, echelon, entree, sortie, True,
            _key(nom), _key(usage) if usage else None, "|".join(_key(p) for p in prenoms),
        )  # fmt: skip
        previous, previous_school = row, school
        yield row


@dataclass(frozen=True)
class GenerationResult:
    pupils: int
    schools: int
    source: str
    representatives: int = 0


def generate(
    engine: Engine,
    count: int,
    annee: str,
    release_data: Path | None,
    seed: int = 7,
    progress: Callable[[int], None] | None = None,
) -> GenerationResult:
    """Replace the synthetic pupils by ``count`` new ones, in one transaction."""
    schools = schools_from_release(release_data) if release_data is not None else []
    source = "release" if schools else "repli"
    if not schools:
        schools = fallback_schools()

    def rows() -> Iterator[tuple[Any, ...]]:
        for i, row in enumerate(pupils(count, schools, annee, seed), start=1):
            if progress is not None and i % 50_000 == 0:
                progress(i)
            yield row

    with engine.begin() as conn:
        representatives.clear_synthetic(conn)
        clear_synthetic(conn)
        loaded = load_rows(conn, rows())
        again = pupils(count, schools, annee, seed)  # seeded: the same pupils
        linked = representatives.load(conn, representatives.synthetic_rows(again, COLUMNS, seed))
        done = conn.execute(
            update(meta).where(meta.c.cle == "synthetique").values(valeur="1")
        ).rowcount
        if not done:
            conn.execute(insert(meta).values(cle="synthetique", valeur="1"))
    if conn.dialect.name == "postgresql":
        with engine.connect() as c2:
            c2.exec_driver_sql("ANALYZE scolarite_eleves")
            c2.commit()
    return GenerationResult(loaded, len(schools), source, linked)
