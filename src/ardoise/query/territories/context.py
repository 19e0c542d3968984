"""What the territory functions know about one release, built once and kept in memory.

``territories_of(release)`` returns the release's :class:`ReleaseTerritories`; its parts are
built on first use, each under a lock: the referential, the schools (one query over every
dataset with a ``_uai`` link, about 1 s on the full mirror), the search index, and the rows
each dataset holds per territory (one grouping-sets query per dataset).
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar, cast, overload

from ardoise.errors import ArdoiseError, NoRelease
from ardoise.lru import LRU
from ardoise.query.release import DatasetView, ServedRelease
from ardoise.query.territories.levels import FRANCE, TerritoryNotFound
from ardoise.query.territories.schools import Schools, build_schools, fetch_all
from ardoise.query.territories.search import Entry, SearchIndex, search_key
from ardoise.referential.load import Referential
from ardoise.referential.model import Commune
from ardoise.sql import quote_identifier as _q

_LINKS = ("_commune", "_departement", "_academie", "_region")
_LEVEL_OF = {
    "_commune": "commune",
    "_departement": "departement",
    "_academie": "academie",
    "_region": "region",
}
GEOMETRY_ENTRIES = 256  # TopoJSON answers kept per release (geo.py)
SCHOOL_ENTRIES = 1024  # school answers kept per release (school.py)
_T = TypeVar("_T")


def territories_of(release: ServedRelease) -> ReleaseTerritories:
    """The release's territory state (one per release, in its memo)."""
    return release.memo(territories_of, lambda: ReleaseTerritories(release))


class _Built(Generic[_T]):
    """Like ``functools.cached_property``, but built once: under the owner's lock."""

    def __init__(self, build: Callable[[ReleaseTerritories], _T]) -> None:
        self.build = build
        self.name = build.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _Built[_T]: ...

    @overload
    def __get__(self, obj: ReleaseTerritories, owner: type | None = None) -> _T: ...

    def __get__(self, obj: ReleaseTerritories | None, owner: type | None = None) -> _T | _Built[_T]:
        if obj is None:
            return self
        values = obj.__dict__
        if self.name not in values:
            with obj.lock:
                if self.name not in values:
                    values[self.name] = self.build(obj)
        return cast(_T, values[self.name])


class ReleaseTerritories:
    def __init__(self, release: ServedRelease) -> None:
        # A weak reference: this object lives in the release's memo, and a value pointing
        # back at its release would keep it alive until a full garbage collection.
        self._release = weakref.ref(release)
        self.lock = threading.RLock()
        # answers whose keys the release bounds only loosely: the most recently used kept
        self.geometry_cache: LRU[tuple[str, str], bytes] = LRU(GEOMETRY_ENTRIES)
        self.bbox_cache: dict[str, Mapping[str, tuple[float, float, float, float]]] = {}
        self._links: dict[tuple[str, str], bool] = {}
        self.school_cache: LRU[str, Any] = LRU(SCHOOL_ENTRIES)  # uai → school.Etablissement
        self.school_rows: dict[str, Any] = {}  # dataset id → school._Rows

    @property
    def release(self) -> ServedRelease:
        release = self._release()
        if release is None:
            raise NoRelease("Cette release n'est plus servie.")
        return release

    @_Built
    def referential_or_none(self) -> Referential | None:
        try:
            return Referential.load(self.release.referential_dir)
        except ArdoiseError:
            return None

    @_Built
    def referential(self) -> Referential:
        """The referential, or an empty one when the release has none: every territory is
        then unknown (404) and search finds schools only; nothing answers a 5xx."""
        ref = self.referential_or_none
        if ref is None:
            return Referential(self.release.referential_dir, {}, {}, {}, {}, {}, {})
        return ref

    @_Built
    def schools(self) -> Schools:
        return build_schools(self.release, self.referential_or_none)

    @_Built
    def search(self) -> SearchIndex:
        return SearchIndex(_entries(self.referential, self.schools))

    @_Built
    def presence(self) -> Mapping[tuple[str, str], Mapping[str, int]]:
        """(niveau, code) → {dataset id: rows linked to exactly that code}; France: totals."""
        out: dict[tuple[str, str], dict[str, int]] = {}
        links = ", ".join(_LINKS)
        for view in self.release.datasets.values():
            if not set(_LINKS) <= set(view.entry.column_names):
                continue
            rows = fetch_all(
                self.release,
                f"SELECT {links}, grouping({links}), count(*) FROM {_q(view.id)} "
                f"GROUP BY GROUPING SETS ({', '.join(f'({c})' for c in _LINKS)}, ())",
            )
            for *codes, bits, n in rows:
                if bits == 0b1111:
                    out.setdefault(("france", "FR"), {})[view.id] = int(n)
                    continue
                for column, value in zip(_LINKS, codes, strict=True):
                    if value is not None:
                        out.setdefault((_LEVEL_OF[column], value), {})[view.id] = int(n)
        return out

    @_Built
    def commune_children(self) -> Mapping[str, tuple[str, ...]]:
        """Commune actuelle → its arrondissements, communes déléguées and associées."""
        out: dict[str, list[str]] = {}
        for c in self.referential.communes.values():
            if c.commune_parente and c.commune_parente != c.code:
                out.setdefault(c.commune_parente, []).append(c.code)
        return {k: tuple(sorted(v)) for k, v in out.items()}

    @_Built
    def child_counts(self) -> Mapping[tuple[str, str], Counter[str]]:
        """(niveau, code) → number of territories of each finer level (schools apart)."""
        ref = self.referential
        out: dict[tuple[str, str], Counter[str]] = {}

        def add(niveau: str, code: str | None, child: str, n: int = 1) -> None:
            if code:
                out.setdefault((niveau, code), Counter())[child] += n

        current = [a for a in ref.academies.values() if not a.ancienne]
        add("france", FRANCE, "region", len(ref.regions))
        add("france", FRANCE, "academie", len(current))
        add("france", FRANCE, "departement", len(ref.departements))
        for a in current:
            add("region", a.region, "academie")
        for a in ref.academies.values():
            add("academie", a.code, "departement", len(a.departements))
        for d in ref.departements.values():
            add("region", d.region, "departement")
        deps_academies = {
            d: [a.code for a in ref.academies.values() if d in a.departements]
            for d in ref.departements
        }
        for c in ref.communes.values():
            if c.type != "commune-actuelle":
                add("commune", c.commune_parente, "commune")
                continue
            add("france", FRANCE, "commune")
            add("region", c.region, "commune")
            add("departement", c.departement, "commune")
            for aca in deps_academies.get(c.departement, ()):
                add("academie", aca, "commune")
        return out

    def require(self, niveau: str, code: str) -> None:
        """TerritoryNotFound (with the closest matches) unless the territory exists."""
        if not self.exists(niveau, code):
            hits = self.search.search(code, (niveau,), limit=3) or self.search.search(
                code[:-1], (niveau,), limit=3
            )
            known = "; ".join(f"{h.entry.libelle} ({niveau}:{h.entry.code})" for h in hits)
            hint = f" Vouliez-vous dire : {known} ?" if known else ""
            what = "Établissement inconnu" if niveau == "etablissement" else "Territoire inconnu"
            raise TerritoryNotFound(f"{what} : {niveau}:{code}.{hint}")

    def exists(self, niveau: str, code: str) -> bool:
        if niveau == "france":
            return code == FRANCE
        if niveau == "etablissement":
            return code in self.schools.by_uai
        ref = self.referential
        tables: dict[str, Mapping[str, object]] = {
            "commune": ref.communes,
            "departement": ref.departements,
            "academie": ref.academies,
            "region": ref.regions,
        }
        return code in tables[niveau]

    def has_links(self, view: DatasetView, column: str) -> bool:
        """Whether some row of the dataset is linked by ``column`` (``_academie``…)."""
        key = (view.id, column)
        found = self._links.get(key)
        if found is None:
            found = column in view.entry.column_names and bool(
                self.release.engine.fetch(
                    f"SELECT 1 FROM {_q(view.id)} WHERE {_q(column)} IS NOT NULL LIMIT 1", {}
                ).rows
            )
            self._links[key] = found
        return found

    def members(self, niveau: str, code: str) -> tuple[str, ...]:
        """The link codes standing for a territory: a commune with its arrondissements and
        communes déléguées, an académie with those it replaced (Normandie: Caen, Rouen)."""
        ref = self.referential_or_none
        if ref is None:
            return (code,)
        if niveau == "commune":
            return (code, *self.commune_children.get(code, ()))
        if niveau == "academie":
            return (
                code,
                *sorted(
                    a.code
                    for a in ref.academies.values()
                    if a.code != code and _replaced_by(ref, a.code) == code
                ),
            )
        return (code,)


def academie_population(ref: Referential, code: str) -> int | None:
    """Sum of the populations of the académie's départements (None if one is unknown)."""
    pops = [
        ref.departements[d].population
        for d in ref.academies[code].departements
        if d in ref.departements
    ]
    return sum(p for p in pops if p is not None) if pops and None not in pops else None


def france_population(ref: Referential) -> int | None:
    return sum(r.population or 0 for r in ref.regions.values()) or None


def elided(prefix: str, name: str) -> str:
    """``elided("Académie de", "Orléans-Tours")`` → "Académie d'Orléans-Tours"."""
    if search_key(name)[:1] in tuple("AEIOUY"):
        return f"{prefix[:-1]}'{name}"
    return f"{prefix} {name}"


def _replaced_by(ref: Referential, code: str) -> str:
    """The current académie an académie became (itself when current)."""
    seen = {code}
    after = ref.academies[code].remplacee_par
    while after is not None and after in ref.academies and after not in seen:
        code = after
        seen.add(code)
        after = ref.academies[code].remplacee_par
    return code


def _entries(ref: Referential, schools: Schools) -> Iterator[Entry]:
    yield Entry(
        "france",
        "FR",
        "France",
        "France",
        france_population(ref),
        ("FRANCE", "FRANCE ENTIERE"),
        ("FR",),
    )
    for r in ref.regions.values():
        key = search_key(r.nom)
        label = r.nom if r.zone == "com" else f"Région {r.nom}"
        yield Entry("region", r.code, r.nom, label, r.population, (key, f"REGION {key}"), (r.code,))
    for a in ref.academies.values():
        if a.ancienne:
            continue
        label = elided("Académie de", a.nom)
        keys = dict.fromkeys(
            [search_key(a.nom), search_key(label), *(search_key(x) for x in a.alias)]
        )
        yield Entry(
            "academie",
            a.code,
            a.nom,
            label,
            academie_population(ref, a.code),
            tuple(keys),
            (a.code,),
        )
    for d in ref.departements.values():
        yield Entry(
            "departement",
            d.code,
            d.nom,
            f"{d.nom} ({d.code})",
            d.population,
            (search_key(d.nom),),
            (d.code,),
        )
    for c in ref.communes.values():
        if c.type in ("commune-actuelle", "arrondissement-municipal"):
            yield Entry(
                "commune",
                c.code,
                c.nom,
                f"{c.nom} ({c.departement})",
                c.population,
                (search_key(c.nom),),
                (c.code,),
            )
    for s in schools.by_uai.values():
        commune = ref.communes.get(s.commune or "")
        place = f" — {commune.nom} ({commune.departement})" if commune else ""
        yield Entry(
            "etablissement",
            s.uai,
            s.nom or s.uai,
            f"{s.nom or s.uai}{place}",
            None,
            (search_key(s.nom),) if s.nom else (),
            (s.uai,),
            s.kind,
            s.secteur,
            _places(ref, commune, s.departement),
        )


def _places(ref: Referential, commune: Commune | None, departement: str | None) -> tuple[str, ...]:
    """A school's place keys: its commune, the commune it belongs to (Lyon for Lyon 3e),
    its département."""
    out = []
    if commune is not None:
        out.append(search_key(commune.nom))
        parent = ref.communes.get(commune.commune_parente or "")
        if parent is not None and parent.code != commune.code:
            out.append(search_key(parent.nom))
    dep = ref.departements.get(departement or "")
    if dep is not None:
        out.append(search_key(dep.nom))
    return tuple(dict.fromkeys(out))
