"""Read a release's ``referential/`` folder into memory, with the lookups other stages need.

>>> ref = Referential.load(release_dir / "referential")        # doctest: +SKIP
>>> ref.academie_of_departement("42").nom                      # doctest: +SKIP
'Lyon'
>>> ref.resolve("academie", "ACADÉMIE D'ORLÉANS-TOURS")         # doctest: +SKIP
'18'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pyarrow.parquet as pq

from ardoise.errors import NotFound, ReleaseCorrupt
from ardoise.referential.keys import name_key
from ardoise.referential.model import (
    Academie,
    Commune,
    Departement,
    Region,
    RegionAcademique,
)
from ardoise.referential.tables import SCHEMAS

GEO_LEVELS = ("regions", "departements", "academies")
_FOUR_DIGITS = re.compile(r"[0-9]{4}")
_DIGITS = re.compile(r"0*([0-9]+)")
_CORSE = re.compile(r"0*(2[AB])")
_ONE_DIGIT = re.compile(r"[0-9]")
_T = TypeVar("_T")


@dataclass(frozen=True)
class Referential:
    path: Path
    regions: Mapping[str, Region]
    departements: Mapping[str, Departement]
    academies: Mapping[str, Academie]  # current and former (``ancienne``) académies
    regions_academiques: Mapping[str, RegionAcademique]
    communes: Mapping[str, Commune]  # one per code; a commune actuelle wins a shared code
    codes: Mapping[tuple[str, str], str]  # (niveau, cle) → code

    @classmethod
    def load(cls, folder: Path) -> Referential:
        tables = {name: _rows(folder, name) for name in SCHEMAS}
        communes: dict[str, Commune] = {}
        for row in tables["communes.parquet"]:
            commune = Commune(**{**row, "codes_postaux": tuple(row["codes_postaux"])})
            if commune.code not in communes or commune.type == "commune-actuelle":
                communes[commune.code] = commune
        return cls(
            path=folder,
            regions={r["code"]: Region(**r) for r in tables["regions.parquet"]},
            departements={d["code"]: Departement(**d) for d in tables["departements.parquet"]},
            academies={
                a["code"]: Academie(
                    **{**a, "departements": tuple(a["departements"]), "alias": tuple(a["alias"])}
                )
                for a in tables["academies.parquet"]
            },
            regions_academiques={
                r["code"]: RegionAcademique(
                    code=r["code"], nom=r["nom"], region=r["region"], alias=tuple(r["alias"])
                )
                for r in tables["regions_academiques.parquet"]
            },
            communes=communes,
            codes={(t["niveau"], t["cle"]): t["code"] for t in tables["territory_codes.parquet"]},
        )

    # --- lookups by code -------------------------------------------------------------

    def region(self, code: str) -> Region:
        return _get(self.regions, code, "Région inconnue")

    def departement(self, code: str) -> Departement:
        return _get(self.departements, code, "Département inconnu")

    def academie(self, code: str) -> Academie:
        return _get(self.academies, code, "Académie inconnue")

    def region_academique(self, code: str) -> RegionAcademique:
        return _get(self.regions_academiques, code, "Région académique inconnue")

    def commune(self, code: str) -> Commune:
        """The commune of this exact code (an arrondissement or a commune déléguée too)."""
        return _get(self.communes, code, "Commune inconnue")

    def current_commune(self, code: str) -> Commune:
        """The commune actuelle a code stands for today (merged, delegated, arrondissement)."""
        found = self.codes.get(("commune", code))
        if found is None:
            raise NotFound(f"Commune inconnue : {code!r}.")
        commune = self.commune(found)
        return self.commune(commune.commune_parente) if commune.commune_parente else commune

    def academie_of_departement(self, code: str) -> Academie | None:
        """Current académie of a département (None for the TAAF and Clipperton)."""
        academie = self.departement(code).academie
        return self.academie(academie) if academie else None

    def current_academie(self, code: str) -> Academie:
        """The académie itself, or the one that replaced it (Caen, Rouen → Normandie)."""
        academie = self.academie(code)
        while academie.remplacee_par:
            academie = self.academie(academie.remplacee_par)
        return academie

    def departements_of_academie(self, code: str) -> tuple[Departement, ...]:
        return tuple(self.departement(d) for d in self.academie(code).departements)

    # --- linking -------------------------------------------------------------------------

    def resolve(self, niveau: str, value: str) -> str | None:
        """Code of a code or a name as written in data, at one level; None when unknown.

        Codes are first put in canonical form, as ingest does: "009" → "09", "02A" → "2A",
        "1001" → "01001" (commune), "1" → "01" (académie, région, région académique).
        """
        return self.codes.get((niveau, canonical_code(niveau, value))) or self.codes.get(
            (niveau, name_key(value))
        )

    def geometry_path(self, level: str) -> Path:
        """``geo/<level>.topojson``; ``level`` may also be ``communes/<département>``."""
        if level not in GEO_LEVELS and not level.startswith("communes/"):
            raise NotFound(f"Niveau de contours inconnu : {level!r}.")
        return self.path / "geo" / f"{level}.topojson"


def canonical_code(niveau: str, value: str) -> str:
    """The canonical form of a code written in data (the rules of ingest's normalisation)."""
    text = value.strip().upper()
    if niveau == "commune" and _FOUR_DIGITS.fullmatch(text):
        return "0" + text
    if niveau == "departement":
        digits = _DIGITS.fullmatch(text)
        if digits:
            number = digits.group(1)
            corse = {"620": "2A", "720": "2B"}.get(number)  # DEPP spelling of 2A / 2B
            return corse or (number.zfill(2) if int(number) < 100 else number)
        corsica = _CORSE.fullmatch(text)
        if corsica:
            return corsica.group(1)
    if niveau in ("academie", "region", "region_academique") and _ONE_DIGIT.fullmatch(text):
        return "0" + text
    return text


def _rows(folder: Path, name: str) -> list[dict[str, Any]]:
    path = folder / name
    if not path.is_file():
        raise ReleaseCorrupt(f"Référentiel incomplet : {path} est absent.")
    try:
        table = pq.read_table(path, schema=SCHEMAS[name])
    except (OSError, ValueError) as exc:
        raise ReleaseCorrupt(f"Référentiel illisible : {path} ({exc}).") from exc
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def _get(table: Mapping[str, _T], code: str, unknown: str) -> _T:
    try:
        return table[code]
    except KeyError:
        raise NotFound(f"{unknown} : {code!r}.") from None
