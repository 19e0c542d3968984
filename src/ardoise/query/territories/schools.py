"""Every school (UAI) of a release, joined across all datasets that carry a ``_uai`` link.

Built once per release with one DuckDB query over the union of those datasets: the best
name (official spelling first: ``appellation_officielle`` of the géolocalisation file, then
the annuaire's…, most recent school year first), nature, sector, location, the commune and
the territories it is linked to, and the datasets where it appears (links: those of its most recent row). Each school gets a kind
(école, collège, lycée…) from its nature label or, when no dataset states it, from the
datasets that hold only one kind of school (the IPS of écoles…). The same kinds tell which
national datasets would be expected to hold a given school.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ardoise.query.model import CompiledQuery
from ardoise.query.release import DatasetView, ServedRelease
from ardoise.referential.keys import name_key
from ardoise.referential.load import Referential
from ardoise.release.school_descriptors import DERIVED_IDS
from ardoise.sql import quote_identifier as _q

# Fields naming a school, best first (descriptor field names).
NAME_FIELDS: tuple[str, ...] = (
    "appellation_officielle",
    "nom_etablissement",
    "nom_de_l_etablissement",
    "nom_de_l_etablissment",
    "etablissement",
    "ecole",
)
NATURE_FIELDS: tuple[str, ...] = (
    "nature_uai_libe",
    "libelle_nature",
    "nature_de_l_etablissement",
    "nature_uai",
    "type_d_etablissement",
    "type_etablissement",
    "type_de_lycee",
)
SECTOR_FIELDS: tuple[str, ...] = (
    "secteur_public_prive_libe",
    "statut_public_prive",
    "secteur",
    "secteur_d_enseignement",
)
KINDS: dict[str, str] = {
    "ecole": "école",
    "college": "collège",
    "lycee": "lycée général, technologique ou polyvalent",
    "lycee_pro": "lycée professionnel",
    "erea": "établissement régional d'enseignement adapté",
    "autre": "autre établissement",
}
DOMINANT_SHARE = 0.9  # a dataset whose named schools are ≥ 90 % of one kind holds that kind
EXPECTED_SHARE = 0.1  # a national dataset is expected to hold the kinds ≥ 10 % of its schools
_MIN_KNOWN = 20
BUILD_TIME_LIMIT_MS = 120_000  # building the index of a release (once), not a request


@dataclass(frozen=True, slots=True)
class School:
    uai: str
    nom: str | None
    nature: str | None
    kind: str | None  # a key of KINDS
    secteur: str | None  # "public", "privé" or the source's word
    commune: str | None  # the linked commune code (may be an arrondissement)
    departement: str | None
    academie: str | None
    region: str | None
    lat: float | None
    lon: float | None
    datasets: tuple[str, ...]  # ids of the datasets holding at least one row of it
    rows: tuple[int, ...]  # rows of it in each of those datasets


@dataclass(frozen=True)
class Schools:
    by_uai: Mapping[str, School]
    expected_kinds: Mapping[str, frozenset[str]]  # national dataset id → kinds it holds
    counts: Mapping[tuple[str, str], Counter[str]]  # (niveau, code) → schools by kind

    def count(self, niveau: str, code: str) -> Counter[str]:
        return self.counts.get((niveau, code), Counter())


@functools.lru_cache(maxsize=4096)
def kind_of(nature: str | None) -> str | None:
    """École, collège, lycée (GT or polyvalent), lycée professionnel… from a nature label."""
    words = name_key(nature or "").split()
    if not words:
        return None
    if "EREA" in words or "ADAPTE" in words:
        return "erea"
    if "COLLEGE" in words:
        return "college"
    if words[0] in ("LP", "LPA") or (
        "PROFESSIONNEL" in words
        and "POLYVALENT" not in words
        and ("LYCEE" in words or "LYCEES" in words)
    ):
        return "lycee_pro"
    if words[0] in ("LPO", "LEGT", "LGT", "LEG", "LET", "SGT") or {"LYCEE", "LYCEES"} & set(words):
        return "lycee"
    if words[0] == "ECOLE" and "SECONDAIRE" not in words:
        return "ecole"
    return "autre"


@functools.lru_cache(maxsize=4096)
def sector_of(value: str | None) -> str | None:
    key = name_key(value or "")
    if key.startswith("PU"):
        return "public"
    if key.startswith("PR"):
        return "privé"
    return value or None


def build_schools(release: ServedRelease, referential: Referential | None) -> Schools:
    views = [  # the derived tables (#18) repeat the others' schools: not one more source
        v for v in release.datasets.values() if v.id not in DERIVED_IDS and _has_uai(release, v)
    ]
    if not views:
        return Schools({}, {}, {})
    union = " UNION ALL ".join(_select(i, v) for i, v in enumerate(views))
    # Streamed and folded here: a DuckDB GROUP BY with these aggregates keeps ~150 MB.
    found: dict[str, _Best] = {}
    for batch in release.engine.stream_arrow(
        CompiledQuery(union), time_limit_ms=BUILD_TIME_LIMIT_MS
    ):
        for row in zip(
            *(batch.column(i).to_pylist() for i in range(batch.num_columns)), strict=True
        ):
            best = found.get(row[0])
            if best is None:
                best = found[row[0]] = _Best()
            best.add(row)
    ids = [v.id for v in views]
    dominant = _dominant_kinds(found)
    schools: dict[str, School] = {}
    shared: dict[str | None, str | None] = {None: None}  # one object per repeated string
    for uai, best in sorted(found.items()):
        com, dep, aca, reg = (best.links[c][1] for c in range(4))
        if referential is not None and com in referential.communes:
            commune = referential.communes[com]
            dep, aca, reg = commune.departement, commune.academie, commune.region
        com, dep, aca, reg, nature, secteur = (
            shared.setdefault(v, v)
            for v in (com, dep, aca, reg, best.nature[1], sector_of(best.secteur[1]))
        )
        datasets = sorted(best.rows)
        kind = kind_of(nature) or next((dominant[d] for d in datasets if d in dominant), None)
        schools[uai] = School(
            uai=uai,
            nom=best.nom[1],
            nature=nature,
            kind=kind,
            secteur=secteur,
            commune=com,
            departement=dep,
            academie=aca,
            region=reg,
            lat=best.point[1][0] if best.point[1] else None,
            lon=best.point[1][1] if best.point[1] else None,
            datasets=tuple(ids[i] for i in datasets),
            rows=tuple(best.rows[i] for i in datasets),
        )
    national = [v.id for v in views if v.dataset.spatial_coverage.national]
    return Schools(schools, _expected(schools, national), _counts(schools, referential))


class _Best:
    """The best value of each fact of one school over its rows: names, nature, sector and
    place from the best-ranked source (lowest ``prio``, then latest year); links from the
    latest year; rows counted per dataset."""

    __slots__ = ("links", "nature", "nom", "point", "rows", "secteur")
    _NONE: tuple[float, Any] = (float("inf"), None)

    def __init__(self) -> None:
        self.nom = self.nature = self.secteur = self.point = self._NONE
        self.links = [self._NONE] * 4
        self.rows: dict[int, int] = {}

    def add(self, row: tuple[Any, ...]) -> None:
        _, ds, prio, nom, nature, secteur, lat, lon, *links, an = row
        self.rows[ds] = self.rows.get(ds, 0) + 1
        rank = prio * 10000 - an
        if nom and rank < self.nom[0]:
            self.nom = (rank, nom)
        if nature and rank < self.nature[0]:
            self.nature = (rank, nature)
        if secteur and rank < self.secteur[0]:
            self.secteur = (rank, secteur)
        if (
            lat is not None
            and lon is not None
            and -90 <= lat <= 90
            and -180 <= lon <= 180
            and (lat, lon) != (0, 0)
            and rank < self.point[0]
        ):
            self.point = (rank, (lat, lon))
        for i, code in enumerate(links):
            if code is not None and -an < self.links[i][0]:
                self.links[i] = (-an, code)


def fetch_all(release: ServedRelease, sql: str) -> list[tuple[Any, ...]]:
    """Rows of SQL written here (never from a request), with the time a build may take."""
    return release.engine.run(CompiledQuery(sql), time_limit_ms=BUILD_TIME_LIMIT_MS).rows


def _has_uai(release: ServedRelease, view: DatasetView) -> bool:
    return "_uai" in view.entry.column_names and bool(
        fetch_all(release, f"SELECT 1 FROM {_q(view.id)} WHERE _uai IS NOT NULL LIMIT 1")
    )


def _select(index: int, view: DatasetView) -> str:
    fields = dict(view.schema.fields)
    name = next((n for n in NAME_FIELDS if n in fields), None)
    if name is not None:
        nom, prio = f"CAST({_q(name)} AS VARCHAR)", NAME_FIELDS.index(name)
    elif "denomination_principale" in fields and "patronyme" in fields:
        nom, prio = "concat_ws(' ', denomination_principale, patronyme)", len(NAME_FIELDS)
    else:
        nom, prio = "CAST(NULL AS VARCHAR)", 99
    nature = next((n for n in NATURE_FIELDS if n in fields), None)
    secteur = next((n for n in SECTOR_FIELDS if n in fields), None)
    point = next((n for n, t in fields.items() if t == "geo_point_2d"), None)
    if fields.get("latitude") == "double" and fields.get("longitude") == "double":
        lat, lon = "latitude", "longitude"
    elif point is not None:
        lat, lon = f"{_q(point)}.lat", f"{_q(point)}.lon"
    else:
        lat = lon = "NULL"
    text = "CAST({} AS VARCHAR)"
    return (
        f"SELECT _uai AS uai, {index} AS ds, {prio} AS prio, {nom} AS nom,"
        f" {text.format(_q(nature)) if nature else 'NULL'} AS nature,"
        f" {text.format(_q(secteur)) if secteur else 'NULL'} AS secteur,"
        f" CAST({lat} AS DOUBLE) AS lat, CAST({lon} AS DOUBLE) AS lon,"
        " _commune, _departement, _academie, _region,"
        " coalesce(try_cast(left(_annee_scolaire, 4) AS INTEGER), 0) AS an"
        f" FROM {_q(view.id)} WHERE _uai IS NOT NULL"
    )


def _dominant_kinds(found: Mapping[str, _Best]) -> dict[int, str]:
    """Dataset → the single kind of (nearly) all its schools whose nature is stated."""
    per_dataset: dict[int, Counter[str]] = {}
    for best in found.values():
        kind = kind_of(best.nature[1])
        if kind is not None:
            for ds in best.rows:
                counter = per_dataset.get(ds)
                if counter is None:
                    counter = per_dataset[ds] = Counter()
                counter[kind] += 1
    dominant: dict[int, str] = {}
    for ds, kinds in per_dataset.items():
        (kind, n), total = kinds.most_common(1)[0], sum(kinds.values())
        if total >= _MIN_KNOWN and n >= DOMINANT_SHARE * total:
            dominant[ds] = kind
    return dominant


def _expected(schools: Mapping[str, School], national: list[str]) -> dict[str, frozenset[str]]:
    kinds: dict[str, Counter[str]] = {ds: Counter() for ds in national}
    for s in schools.values():
        for ds in s.datasets:
            if ds in kinds and s.kind is not None:
                kinds[ds][s.kind] += 1
    out = {}
    for ds, counter in kinds.items():
        total = sum(counter.values())
        out[ds] = frozenset(k for k, n in counter.items() if total and n >= EXPECTED_SHARE * total)
    return out


def _counts(
    schools: Mapping[str, School], referential: Referential | None
) -> dict[tuple[str, str], Counter[str]]:
    counts: dict[tuple[str, str], Counter[str]] = {}
    for s in schools.values():
        kind = s.kind or "autre"
        keys = [("france", "FR")]
        if s.commune:
            keys.append(("commune", s.commune))
            parent = (
                referential.communes[s.commune].commune_parente
                if referential is not None and s.commune in referential.communes
                else None
            )
            if parent:
                keys.append(("commune", parent))
        keys += [
            (n, c)
            for n, c in (
                ("departement", s.departement),
                ("academie", s.academie),
                ("region", s.region),
            )
            if c
        ]
        for key in keys:
            counter = counts.get(key)
            if counter is None:
                counter = counts[key] = Counter()
            counter[kind] += 1
    return counts
