"""Keys used to match territory names written in many ways ("Orléans-Tours", "ORLEANS TOURS").

The same rule exists as SQL in :func:`name_key_sql`, so that ingest can match in DuckDB.
"""

from __future__ import annotations

import re

from ardoise.catalog.names import strip_accents

_NON_ALNUM = re.compile(r"[^A-Z0-9]+")


def name_key(text: str) -> str:
    """Accent-free upper-case words separated by one space.

    >>> name_key("Orléans-Tours")
    'ORLEANS TOURS'
    >>> name_key("  Provence-Alpes-Côte d'Azur ")
    'PROVENCE ALPES COTE D AZUR'
    """
    upper = strip_accents(text).upper().replace("Œ", "OE").replace("Æ", "AE")
    return _NON_ALNUM.sub(" ", upper).strip()


def name_key_sql(expr: str) -> str:
    """DuckDB SQL computing :func:`name_key` of the SQL expression ``expr``."""
    return (
        "trim(regexp_replace(replace(replace(upper(strip_accents(" + expr + ")), 'Œ', 'OE'),"
        " 'Æ', 'AE'), '[^A-Z0-9]+', ' ', 'g'))"
    )
