"""The lookup used to link data rows to the referential: (niveau, cle) → code.

* ``commune``: every known code → the current commune: current codes, codes of communes
  déléguées/associées (→ their chef-lieu), pre-merger codes (``anciensCodes``; the current
  status wins when a code has both); an arrondissement municipal keeps its own code (its
  city is ``commune_parente`` in communes.parquet);
* ``departement``, ``region``, ``academie``, ``region_academique``: the code itself and the
  :func:`~ardoise.referential.keys.name_key` of the name and of each alias, plus generated
  spellings: "ST"/"STE" for "SAINT"/"SAINTE", "ACADEMIE DE …", "REGION ACADEMIQUE …".
  A former académie (Caen, Rouen) keys to its own code: academies.parquet says what
  replaced it.

Codes are the canonical forms ingest normalises to (``ardoise.ingest.normalise``).
A key meaning two codes within one level is an error of the referential, not guessed.
"""

from __future__ import annotations

from collections.abc import Iterable

from ardoise.errors import SourceUnreadable
from ardoise.referential.academies import AcademyTable
from ardoise.referential.communes import AdminTables
from ardoise.referential.keys import name_key
from ardoise.referential.model import TerritoryCode

_VOWELS = frozenset("AEIOUY")


def territory_codes(admin: AdminTables, academies: AcademyTable) -> tuple[TerritoryCode, ...]:
    """Every (niveau, cle, code), sorted, without duplicates; raise on a conflicting key."""
    pairs: dict[tuple[str, str], str] = {}
    conflicts: list[str] = []

    def add(niveau: str, keys: Iterable[str], code: str) -> None:
        for key in keys:
            if not key:
                continue
            known = pairs.setdefault((niveau, key), code)
            if known != code:
                conflicts.append(f"{niveau} « {key} » → {known} et {code}")

    current = {c.code for c in admin.communes if c.type == "commune-actuelle"}
    for c in admin.communes:
        if c.type == "commune-actuelle" or c.type == "arrondissement-municipal":
            add("commune", [c.code], c.code)
    for c in admin.communes:
        if c.type in ("commune-deleguee", "commune-associee") and c.code not in current:
            add("commune", [c.code], c.commune_parente or c.code)
    # A code's current status wins over its history: Lamarche-en-Woëvre (55273), once
    # merged into 55245, is today a commune associée of 55386.
    for old, new in admin.anciens_codes.items():
        if ("commune", old) not in pairs:
            add("commune", [old], new)

    for d in admin.departements:
        names = (d.nom, *academies.departements_alias.get(d.code, ()))
        add("departement", [d.code, *(k for n in names for k in name_keys(n))], d.code)
    for r in admin.regions:
        add("region", [r.code, *name_keys(r.nom)], r.code)
    for ra in academies.regions_academiques:
        # A région académique's aliases are spellings of the same territory's name.
        add("region", [k for n in ra.alias for k in name_keys(n)], ra.region)
        keys = [k for n in (ra.nom, *ra.alias) for k in name_keys(n)]
        add(
            "region_academique",
            [ra.code, *keys, *(f"REGION ACADEMIQUE {k}" for k in keys)],
            ra.code,
        )
    for a in academies.academies:
        keys = [k for n in (a.nom, *a.alias) for k in name_keys(n)]
        add("academie", [a.code, *keys, *(p for k in keys for p in academie_prefixed(k))], a.code)

    if conflicts:
        raise SourceUnreadable(
            "Clés de territoire ambiguës : " + " ; ".join(sorted(conflicts)) + "."
        )
    return tuple(TerritoryCode(n, k, c) for (n, k), c in sorted(pairs.items()))


def name_keys(name: str) -> list[str]:
    """The name key, and its "ST"/"STE" spelling when it has a "SAINT"/"SAINTE" word.

    >>> name_keys("Seine-Saint-Denis")
    ['SEINE SAINT DENIS', 'SEINE ST DENIS']
    """
    key = name_key(name)
    words = key.split(" ")
    short = " ".join({"SAINT": "ST", "SAINTE": "STE"}.get(w, w) for w in words)
    return [key] if short == key else [key, short]


def academie_prefixed(key: str) -> list[str]:
    """ "Académie de …" keys; the elided form too before a vowel.

    >>> academie_prefixed("LYON")
    ['ACADEMIE DE LYON']
    >>> academie_prefixed("AMIENS")
    ['ACADEMIE DE AMIENS', 'ACADEMIE D AMIENS']
    """
    keys = [f"ACADEMIE DE {key}"]
    if key[:1] in _VOWELS:
        keys.append(f"ACADEMIE D {key}")
    return keys
