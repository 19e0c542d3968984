"""The static table of académies and régions académiques (``academies.yaml``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ardoise.errors import SourceUnreadable
from ardoise.referential.model import Academie, RegionAcademique

ACADEMIES_YAML = Path(__file__).with_name("academies.yaml")

_CODE = re.compile(r"[0-9]{2}")
_DEPARTEMENT = re.compile(r"[0-9]{2}|2[AB]|9[78][0-9]")


@dataclass(frozen=True)
class AcademyTable:
    regions_academiques: tuple[RegionAcademique, ...]
    academies: tuple[Academie, ...]
    departements_alias: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def current(self) -> tuple[Academie, ...]:
        return tuple(a for a in self.academies if not a.ancienne)

    def academie_of_departement(self) -> dict[str, str]:
        """Département code → code of its current académie."""
        return {d: a.code for a in self.current for d in a.departements}


def load_academy_table(path: Path = ACADEMIES_YAML) -> AcademyTable:
    """Read and check ``academies.yaml``; raise SourceUnreadable when it is inconsistent."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SourceUnreadable(f"Table des académies illisible ({path}) : {exc}") from exc
    if not isinstance(raw, dict):
        raise SourceUnreadable(f"Table des académies invalide ({path}) : mapping attendu.")
    regions = tuple(
        _region_academique(item, path) for item in _items(raw, "regions_academiques", path)
    )
    by_code = {r.code: r for r in regions}
    academies = tuple(_academie(item, by_code, path) for item in _items(raw, "academies", path))
    table = AcademyTable(regions, academies, _departements_alias(raw, path))
    _check(table, path)
    return table


def _items(raw: Mapping[str, Any], key: str, path: Path) -> list[Mapping[str, Any]]:
    items = raw.get(key)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise SourceUnreadable(f"Table des académies invalide ({path}) : liste « {key} » attendue.")
    return items


def _departements_alias(raw: Mapping[str, Any], path: Path) -> dict[str, tuple[str, ...]]:
    aliases = raw.get("departements_alias", {})
    if not isinstance(aliases, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(n, str) for n in v)
        for k, v in aliases.items()
    ):
        raise SourceUnreadable(
            f"Table des académies invalide ({path}) : « departements_alias » doit associer un "
            "code de département à une liste de noms."
        )
    return {code: tuple(names) for code, names in sorted(aliases.items())}


def _text(item: Mapping[str, Any], key: str, path: Path) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise SourceUnreadable(
            f"Table des académies invalide ({path}) : « {key} » manquant dans {dict(item)!r}."
        )
    return value


def _aliases(item: Mapping[str, Any], path: Path) -> tuple[str, ...]:
    alias = item.get("alias", [])
    if not isinstance(alias, list) or not all(isinstance(a, str) for a in alias):
        raise SourceUnreadable(f"Table des académies invalide ({path}) : alias de {dict(item)!r}.")
    return tuple(alias)


def _region_academique(item: Mapping[str, Any], path: Path) -> RegionAcademique:
    return RegionAcademique(
        code=_text(item, "code", path),
        nom=_text(item, "nom", path),
        region=_text(item, "region", path),
        alias=_aliases(item, path),
    )


def _academie(
    item: Mapping[str, Any], regions: Mapping[str, RegionAcademique], path: Path
) -> Academie:
    code = _text(item, "code", path)
    ra_code = item.get("region_academique")
    if ra_code is not None and ra_code not in regions:
        raise SourceUnreadable(
            f"Table des académies invalide ({path}) : région académique {ra_code!r} inconnue "
            f"pour l'académie {code}."
        )
    deps = item.get("departements")
    if not isinstance(deps, list) or not deps or not all(isinstance(d, str) for d in deps):
        raise SourceUnreadable(
            f"Table des académies invalide ({path}) : départements de l'académie {code}."
        )
    remplacee_par = item.get("remplacee_par")
    return Academie(
        code=code,
        nom=_text(item, "nom", path),
        region_academique=ra_code,
        region_academique_nom=regions[ra_code].nom if ra_code is not None else None,
        region=_text(item, "region", path),
        departements=tuple(deps),
        alias=_aliases(item, path),
        ancienne=bool(item.get("ancienne", False)),
        remplacee_par=str(remplacee_par) if remplacee_par is not None else None,
    )


def _check(table: AcademyTable, path: Path) -> None:
    problems: list[str] = []
    codes = [a.code for a in table.academies]
    if len(set(codes)) != len(codes):
        problems.append("codes d'académie en double")
    problems += [f"code d'académie {c!r} mal formé" for c in codes if not _CODE.fullmatch(c)]
    problems += [
        f"code de région académique {r.code!r} mal formé"
        for r in table.regions_academiques
        if not _CODE.fullmatch(r.code)
    ]
    current = set(codes)
    ra_region = {r.code: r.region for r in table.regions_academiques}
    for a in table.academies:
        if a.region_academique is not None and ra_region[a.region_academique] != a.region:
            problems.append(
                f"académie {a.code} : région {a.region} ≠ celle de sa région académique"
            )
        if a.ancienne and a.remplacee_par not in current:
            problems.append(f"académie {a.code} : remplacee_par {a.remplacee_par!r} inconnue")
        if not a.ancienne and a.remplacee_par is not None:
            problems.append(f"académie {a.code} : remplacee_par sans ancienne: true")
        problems += [
            f"académie {a.code} : département {d!r} mal formé"
            for d in a.departements
            if not _DEPARTEMENT.fullmatch(d)
        ]
    problems += [
        f"alias du département {d!r} : code mal formé"
        for d in table.departements_alias
        if not _DEPARTEMENT.fullmatch(d)
    ]
    seen: dict[str, str] = {}
    for a in table.current:
        for d in a.departements:
            if d in seen:
                problems.append(f"département {d} dans les académies {seen[d]} et {a.code}")
            seen[d] = a.code
    if problems:
        raise SourceUnreadable(
            f"Table des académies incohérente ({path}) : " + " ; ".join(problems) + "."
        )
