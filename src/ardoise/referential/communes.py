"""Régions, départements and communes from the COG tables of decoupage-administratif.

Populations are the INSEE populations légales carried by the package; a département's
and a région's population is the sum over its communes actuelles (None when none is known).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ardoise.errors import SourceUnreadable
from ardoise.referential.academies import AcademyTable
from ardoise.referential.model import COMMUNE_TYPES, ZONES, Commune, Departement, Region


@dataclass(frozen=True)
class AdminTables:
    regions: tuple[Region, ...]
    departements: tuple[Departement, ...]
    communes: tuple[Commune, ...]  # sorted by (code, type)
    anciens_codes: Mapping[str, str]  # pre-merger code → current commune code


def read_json_list(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise SourceUnreadable(
            f"Fichier du découpage administratif illisible ({path}) : {exc}"
        ) from exc
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise SourceUnreadable(
            f"Fichier du découpage administratif inattendu ({path}) : liste attendue."
        )
    return data


def admin_tables(
    regions: Sequence[Mapping[str, Any]],
    departements: Sequence[Mapping[str, Any]],
    communes: Sequence[Mapping[str, Any]],
    academies: AcademyTable,
) -> AdminTables:
    """Assemble the three levels and check that they reference each other."""
    aca_of_dep = academies.academie_of_departement()
    commune_rows = tuple(
        sorted((_commune(row, aca_of_dep) for row in communes), key=lambda c: (c.code, c.type))
    )
    current = {c.code: c for c in commune_rows if c.type == "commune-actuelle"}

    dep_pop: dict[str, int] = {}
    reg_pop: dict[str, int] = {}
    for c in current.values():
        if c.population is not None:
            dep_pop[c.departement] = dep_pop.get(c.departement, 0) + c.population
            reg_pop[c.region] = reg_pop.get(c.region, 0) + c.population

    region_rows = tuple(
        sorted(
            (
                Region(
                    code=_str(r, "code"),
                    nom=_str(r, "nom"),
                    zone=_zone(r),
                    chef_lieu=_str(r, "chefLieu"),
                    population=reg_pop.get(_str(r, "code")),
                )
                for r in regions
            ),
            key=lambda r: r.code,
        )
    )
    dep_rows = tuple(
        sorted(
            (
                Departement(
                    code=_str(d, "code"),
                    nom=_str(d, "nom"),
                    region=_str(d, "region"),
                    academie=aca_of_dep.get(_str(d, "code")),
                    zone=_zone(d),
                    chef_lieu=_str(d, "chefLieu"),
                    population=dep_pop.get(_str(d, "code")),
                )
                for d in departements
            ),
            key=lambda d: d.code,
        )
    )

    anciens: dict[str, str] = {}
    for row in communes:
        if row.get("type") == "commune-actuelle":
            for old in row.get("anciensCodes", []) or []:
                anciens[str(old)] = _str(row, "code")

    tables = AdminTables(region_rows, dep_rows, commune_rows, anciens)
    _check(tables, current, academies)
    return tables


def _commune(row: Mapping[str, Any], aca_of_dep: Mapping[str, str]) -> Commune:
    kind = _str(row, "type")
    if kind not in COMMUNE_TYPES:
        raise SourceUnreadable(f"Type de commune inconnu : {kind!r} ({dict(row)!r}).")
    parent: str | None = None
    if kind == "arrondissement-municipal":
        parent = _str(row, "commune")
    elif kind != "commune-actuelle":
        parent = _str(row, "chefLieu")
    population = row.get("population")
    departement = _str(row, "departement")
    return Commune(
        code=_str(row, "code"),
        nom=_str(row, "nom"),
        type=kind,
        departement=departement,
        region=_str(row, "region"),
        academie=aca_of_dep.get(departement),
        population=int(population) if isinstance(population, int) else None,
        commune_parente=parent,
        codes_postaux=tuple(sorted(str(p) for p in row.get("codesPostaux", []) or [])),
    )


def _str(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value:
        raise SourceUnreadable(
            f"Champ « {key} » absent du découpage administratif : {dict(row)!r}."
        )
    return value


def _zone(row: Mapping[str, Any]) -> str:
    zone = _str(row, "zone")
    if zone not in ZONES:
        raise SourceUnreadable(f"Zone inconnue {zone!r} dans le découpage administratif.")
    return zone


def _check(tables: AdminTables, current: Mapping[str, Commune], academies: AcademyTable) -> None:
    problems: list[str] = []
    region_codes = {r.code for r in tables.regions}
    dep_codes = {d.code for d in tables.departements}
    problems += [
        f"département {d.code} : région {d.region} inconnue"
        for d in tables.departements
        if d.region not in region_codes
    ]
    for c in tables.communes:
        if c.departement not in dep_codes:
            problems.append(f"commune {c.code} : département {c.departement} inconnu")
        if c.commune_parente is not None and c.commune_parente not in current:
            problems.append(f"commune {c.code} : commune parente {c.commune_parente} inconnue")
    problems += [
        f"ancien code {old} : commune {new} inconnue"
        for old, new in tables.anciens_codes.items()
        if new not in current
    ]
    problems += [
        f"alias de département : {d} inconnu"
        for d in academies.departements_alias
        if d not in dep_codes
    ]
    for a in academies.academies:
        problems += [
            f"académie {a.code} : département {d} inconnu"
            for d in a.departements
            if d not in dep_codes
        ]
        if a.region not in region_codes:
            problems.append(f"académie {a.code} : région {a.region} inconnue")
    if problems:
        shown = " ; ".join(problems[:10])
        more = f" (et {len(problems) - 10} autres)" if len(problems) > 10 else ""
        raise SourceUnreadable(f"Découpage administratif incohérent : {shown}{more}.")
