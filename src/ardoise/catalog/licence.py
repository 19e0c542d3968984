"""Licences of the catalogue, by their descriptor name: canonical URL for metadata."""

from __future__ import annotations

ETALAB_2 = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"

# Descriptor licence name (lower case) → canonical licence URL.
LICENCE_URLS: dict[str, str] = {
    "licence ouverte v2.0 (etalab)": ETALAB_2,
    "licence ouverte v2.0": ETALAB_2,
    "licence ouverte / open licence version 2.0": ETALAB_2,
    "etalab-2.0": ETALAB_2,
    "open database license (odbl)": "https://opendatacommons.org/licenses/odbl/1-0/",
    "odbl": "https://opendatacommons.org/licenses/odbl/1-0/",
}


def licence_url(name: str) -> str | None:
    """The licence's canonical URL, or ``None`` for a licence this table does not know."""
    return LICENCE_URLS.get(name.strip().lower())
