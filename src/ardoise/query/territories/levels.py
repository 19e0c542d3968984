"""The territorial levels of the API and how a ``niveau:code`` pair is read.

Levels are linked upward: établissement → commune → département → académie → région →
France (the table is ``ardoise.referential.levels``). Codes take the referential's form (``canonical_code``): département "1" → "01",
académie "1" → "01", commune "1053" → "01053", UAI upper-cased.
"""

from __future__ import annotations

import re

from ardoise.catalog.names import strip_accents
from ardoise.errors import NotFound
from ardoise.odsql.errors import InvalidParameter
from ardoise.referential.levels import FRANCE as FRANCE
from ardoise.referential.levels import LADDER
from ardoise.referential.load import canonical_code

LEVELS: tuple[str, ...] = LADDER  # from the school up to France
# Levels with contours (geo/<file>.topojson); communes are stored one file per département.
GEO_FILES: dict[str, str] = {
    "region": "regions",
    "departement": "departements",
    "academie": "academies",
    "commune": "communes",
}
UAI = re.compile(r"[0-9]{7}[A-Z]")
# "académies" / "Région" → "academie" / "region"
_ALIASES = {f"{level}s": level for level in LEVELS}


class TerritoryNotFound(NotFound):
    """No territory (or school) has this code at this level."""


def level(raw: str, *, parameter: str = "niveau", allowed: tuple[str, ...] = LEVELS) -> str:
    """The level named by ``raw`` (accents and case ignored); InvalidParameter otherwise."""
    name = strip_accents(raw.strip()).lower()
    name = _ALIASES.get(name, name)
    if name not in allowed:
        raise InvalidParameter(
            f"Valeur invalide pour le paramètre {parameter} : niveau {raw[:40]!r} inconnu "
            f"(niveaux possibles : {', '.join(allowed)})."
        )
    return name


def code(niveau: str, raw: str) -> str:
    """The code of ``raw`` at ``niveau`` in the referential's form (UAI format checked)."""
    text = raw.strip()
    if niveau == "etablissement":
        return uai(text)
    if niveau == "france":
        return FRANCE
    return canonical_code(niveau, text)


def uai(raw: str) -> str:
    text = raw.strip().upper()
    if not UAI.fullmatch(text):
        raise InvalidParameter(
            f"UAI invalide : {raw[:40]!r} (attendu : 7 chiffres et une lettre, ex. 0420001K)."
        )
    return text


def parse(raw: str, *, parameter: str = "territoire") -> tuple[str, str]:
    """``"academie:10"`` → ``("academie", "10")``; ``"france"`` alone is accepted."""
    name, sep, value = raw.partition(":")
    if not sep and level(name, parameter=parameter) == "france":
        return "france", FRANCE
    if not sep or not value.strip():
        raise InvalidParameter(
            f"Valeur invalide pour le paramètre {parameter} : {raw[:60]!r} ; attendu "
            "niveau:code (ex. academie:10, departement:42, commune:42218, "
            "etablissement:0420001K, france:FR)."
        )
    niveau = level(name, parameter=parameter)
    if niveau == "france" and value.strip().upper() not in (FRANCE, "FRANCE"):
        raise InvalidParameter(
            f"Valeur invalide pour le paramètre {parameter} : le seul code du niveau france est FR."
        )
    return niveau, code(niveau, value)
