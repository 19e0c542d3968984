"""The schools of a territory page: filtered by type and sector (``type``, ``secteur`` in
the page's URL), counted per type, and paged (``page``), so that every school is reachable
from its commune without JavaScript.

>>> from ardoise.query.territories.schools import School
>>> def school(uai, nom, kind, secteur):
...     return School(uai, nom, None, kind, secteur, "42218", None, None, None, None, None, (), ())
>>> found = [school("0420001Y", "École B", "ecole", "public"),
...     school("0420002Z", "Collège A", "college", "privé"), school("0420003A", "École A", "ecole", "public")]
>>> listed = school_list(found, {"type": "ecole"}, "/territoires/commune/42218")
>>> [s.nom for s in listed.items], listed.total, listed.shown
(['École A', 'École B'], 3, 2)
>>> [(c.label, c.url) for c in listed.counts]
[('2 écoles', '/territoires/commune/42218?type=ecole#etablissements'), ('1 collège', '/territoires/commune/42218?type=college#etablissements')]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ardoise.dashboard.contexts import Filter, Link, Option, Pager, SchoolItem
from ardoise.french import plural
from ardoise.odsql.errors import InvalidParameter
from ardoise.query.territories.schools import KINDS, School
from ardoise.urls import ROOT

PAGE_SIZE = 50
ANCHOR = "#etablissements"
# each type, singular and plural, for the counts (« 3 écoles », « 1 lycée professionnel »)
KIND_NOUNS: dict[str, tuple[str, str]] = {
    "ecole": ("école", "écoles"),
    "college": ("collège", "collèges"),
    "lycee": (
        "lycée général, technologique ou polyvalent",
        "lycées généraux, technologiques ou polyvalents",
    ),
    "lycee_pro": ("lycée professionnel", "lycées professionnels"),
    "erea": ("EREA", "EREA"),
    "autre": ("autre établissement", "autres établissements"),
    "": ("établissement de type inconnu", "établissements de type inconnu"),
}


@dataclass(frozen=True)
class SchoolList:
    items: tuple[SchoolItem, ...]  # one page of the chosen schools, by name
    total: int  # every school of the territory
    shown: int  # the schools of the chosen type and sector
    counts: tuple[Link, ...]  # per type: « 12 écoles » → the list of that type
    filters: tuple[Filter, ...]
    pager: Pager | None  # None when one page holds them all


def _url(path: str, params: Mapping[str, str], **changes: str | None) -> str:
    kept = {k: v for k, v in params.items() if k in ("indicateur", "annee", "type", "secteur")}
    kept.update({k: v for k, v in changes.items() if v is not None})
    if changes.get("page") in (None, "1"):
        kept.pop("page", None)
    return path + (f"?{_encode(kept)}" if any(kept.values()) else "") + ANCHOR


def _encode(params: Mapping[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in params.items() if v})


def _page_number(raw: str | None, pages: int) -> int:
    if raw in (None, ""):
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= pages:
        raise InvalidParameter(f"Page d'établissements invalide : {raw[:12]!r} (1 à {pages}).")
    return int(raw)


def school_list(schools: Sequence[School], params: Mapping[str, str], path: str) -> SchoolList:
    kind, secteur = params.get("type") or None, params.get("secteur") or None
    if kind is not None and kind not in KINDS:
        raise InvalidParameter(f"Type d'établissement inconnu : {kind[:20]!r}.")
    by_kind = Counter(s.kind or "" for s in schools)
    sectors = sorted({s.secteur for s in schools if s.secteur})
    chosen = sorted(
        (s for s in schools if (kind is None or s.kind == kind) and (secteur in (None, s.secteur))),
        key=lambda s: ((s.nom or s.uai).casefold(), s.uai),
    )
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    number = _page_number(params.get("page"), pages)
    counts = tuple(
        Link(
            plural(by_kind[k], *KIND_NOUNS[k]),
            _url(
                path,
                {n: v for n, v in params.items() if n in ("indicateur", "annee")},
                type=k or None,
            ),
        )
        for k in (*KINDS, "")
        if by_kind[k]
    )
    filters = (
        Filter(
            "type",
            "Type d'établissement",
            (
                Option("", "Tous les types", kind is None),
                *(Option(k, KINDS[k], k == kind) for k in KINDS if by_kind[k]),
            ),
        ),
        Filter(
            "secteur",
            "Secteur",
            (
                Option("", "Public et privé", secteur is None),
                *(Option(s, s, s == secteur) for s in sectors),
            ),
        ),
    )
    pager = (
        Pager(
            number,
            pages,
            PAGE_SIZE,
            _url(path, params, page=str(number - 1)) if number > 1 else None,
            _url(path, params, page=str(number + 1)) if number < pages else None,
        )
        if pages > 1
        else None
    )
    page_rows = chosen[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    return SchoolList(
        tuple(_item(s) for s in page_rows), len(schools), len(chosen), counts, filters, pager
    )


def _item(s: School) -> SchoolItem:
    return SchoolItem(
        s.uai,
        s.nom or s.uai,
        KINDS.get(s.kind or ""),
        s.secteur,
        s.commune,
        ROOT.school_page(s.uai),
    )
