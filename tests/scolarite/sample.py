"""A small, deliberately awkward registry for the tests, written as an extract (CSV) and
imported through the real importer. Every name is invented and distinctive, so the log
watch can look for them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ardoise.scolarite.extract import REQUIRED

NOW = datetime(2025, 11, 20, 10, 0, tzinfo=UTC)
SIRET = "13002526500013"  # valid Luhn (DINUM)
YEAR = "2025-2026"


def pupil(**over: Any) -> dict[str, str]:
    base = {
        "identifiant": "0000000001A", "nom_naissance": "Brocéliandre", "nom_usage": "",
        "prenoms": "Aëlys", "sexe": "F", "date_naissance": "2012-03-04", "uai": "0350027P",
        "annee_scolaire": YEAR, "degre": "2D", "code_mef": "10110001110",
        "libelle_mef": "5EME", "statut": "ST", "regime": "3", "boursier": "1",
        "echelon_bourse": "2", "date_entree": "2025-09-01", "date_sortie": "",
        "region_academique": "03",
    }  # fmt: skip
    base.update(over)
    return base


PUPILS: list[dict[str, str]] = [
    # ligatures, typographic apostrophe, hyphen, compound given name, usage name
    pupil(identifiant="0000000001A", nom_naissance="Lefèvre-d’Œillardière",
          nom_usage="Kerbrazélec", prenoms="Zoé,Marie-Ève"),
    # homonyms in one school: same birth name, first given name, sex and birth date
    pupil(identifiant="0000000002B", nom_naissance="Quéménezoù", prenoms="Jean,Pierre",
          sexe="M", date_naissance="2013-05-06", uai="0340996Y", region_academique="18"),
    pupil(identifiant="0000000003C", nom_naissance="Quéménezoù", prenoms="Jean,Paul",
          sexe="M", date_naissance="2013-05-06", uai="0340996Y", region_academique="18"),
    # left the school on 1 October
    pupil(identifiant="0000000004D", nom_naissance="Partilhac", prenoms="Noëlie",
          date_sortie="2025-10-01", boursier="0", echelon_bourse=""),
    # same identity in two schools of one département (034): fine by UAI, ambiguous by perimeter
    pupil(identifiant="0000000005E", nom_naissance="Vauzelloux", prenoms="Léonie", uai="0340996Y",
          date_naissance="2014-01-01", region_academique="18"),
    pupil(identifiant="0000000006F", nom_naissance="Vauzelloux", prenoms="Léonie", uai="0341278E",
          date_naissance="2014-01-01", region_academique="18"),
    # a first-degree pupil, no scholarship, no regime
    pupil(identifiant="0000000007G", nom_naissance="Zyśkowiak", prenoms="Côme,Anatole",
          sexe="M", date_naissance="2017-07-14", uai="0352367H", degre="1D",
          code_mef="00123000000", libelle_mef="CE2", boursier="0", echelon_bourse="",
          regime=""),
]  # fmt: skip

# Strings that must never reach a log line (names only: dates are too common).
PRIVATE_STRINGS = (
    "Œillardière",
    "Oeillardière",
    "OEILLARDIERE",
    "Kerbrazélec",
    "KERBRAZELEC",
    "Quéménezoù",
    "QUEMENEZOU",
    "Partilhac",
    "PARTILHAC",
    "Vauzelloux",
    "VAUZELLOUX",
    "Zyśkowiak",
    "ZYSKOWIAK",
    "Brocéliandre",
)


def csv_text(rows: list[dict[str, str]], columns: tuple[str, ...] | None = None) -> str:
    cols = columns or (*REQUIRED, "region_academique")
    lines = [";".join(cols)] + [";".join(r.get(c, "") for c in cols) for r in rows]
    return "\n".join(lines) + "\n"


def write_extract(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text(csv_text(rows), encoding="utf-8")
    return path


def identity_params(p: dict[str, str], **over: Any) -> list[tuple[str, str]]:
    """Query parameters that identify pupil ``p`` by its school."""
    y, m, d = p["date_naissance"].split("-")
    params: dict[str, Any] = {
        "recipient": SIRET,
        "nomNaissance": p["nom_naissance"],
        "prenoms[]": p["prenoms"].split(","),
        "sexeEtatCivil": p["sexe"],
        "anneeDateNaissance": y,
        "moisDateNaissance": m,
        "jourDateNaissance": d,
        "codeEtablissement": p["uai"],
        "anneeScolaire": p["annee_scolaire"],
    }
    params.update(over)
    out: list[tuple[str, str]] = []
    for k, v in params.items():
        if v is None:
            continue
        for item in v if isinstance(v, list) else [v]:
            out.append((k, str(item)))
    return out
