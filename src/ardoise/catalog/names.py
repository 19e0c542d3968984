"""The portal's naming rule for fields: label lowercased, accents removed, other characters → ``_``."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def field_name(label: str) -> str:
    """``"Nom de l'établissement"`` → ``"nom_de_l_etablissement"``.

    >>> field_name("Taux d'accès 6ème-3ème")
    'taux_d_acces_6eme_3eme'
    >>> field_name("Nb candidats - G")
    'nb_candidats_g'
    """
    text = strip_accents(label).lower().replace("œ", "oe").replace("æ", "ae")
    return _NON_WORD.sub("_", text).strip("_")
