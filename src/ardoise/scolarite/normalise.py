"""Identity keys: both sides of a match (registry and query) go through :func:`name_key`.

Steps, in order: Unicode NFC; typographic apostrophes (’ ‘ ʼ ` ´) → ``'``; Œ→OE, Æ→AE,
ß→SS; accents removed (NFKD, combining marks dropped); upper case; hyphens, apostrophes
and any other punctuation → space; spaces collapsed. Letters outside Latin (Greek,
Cyrillic…) are kept, upper-cased, so that they still compare equal to themselves.

>>> name_key("  Lefèvre-d’Œillet ")
'LEFEVRE D OEILLET'
>>> name_key("Zoe\u0301")
'ZOE'
"""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'"})
_LIGATURES = str.maketrans({"Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "ß": "ss"})
_SPACES = re.compile(r"\s+")


def name_key(value: str) -> str:
    text = unicodedata.normalize("NFC", value).translate(_APOSTROPHES).translate(_LIGATURES)
    text = "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).upper()
    text = "".join(c if c.isalnum() else " " for c in text)
    return _SPACES.sub(" ", text).strip()


def given_names_key(names: list[str]) -> str:
    """The registry column ``prenoms_cle``: keys of each given name, ``|``-joined."""
    return "|".join(k for k in (name_key(n) for n in names) if k)
