"""Scopes of the scolarité endpoint, as in API Particulier: a token reaches the endpoint
with any one of them; each answer field is then present only with its own scope."""

from __future__ import annotations

IDENTITE = "men_statut_identite"
SCOLARITE = "men_statut_scolarite"
ETABLISSEMENT = "men_statut_etablissement"
MEF = "men_statut_module_elementaire_formation"
BOURSIER = "men_statut_boursier"
ECHELON = "men_echelon_bourse"
REGIME = "men_regime_pensionnat"

# answer key -> scope that reveals it
FIELD_SCOPES: dict[str, str] = {
    "identite": IDENTITE,
    "annee_scolaire": SCOLARITE,
    "est_scolarise": SCOLARITE,
    "statut_eleve": SCOLARITE,
    "etablissement": ETABLISSEMENT,
    "module_elementaire_formation": MEF,
    "est_boursier": BOURSIER,
    "echelon_bourse": ECHELON,
    "regime_pensionnat": REGIME,
}

ALL: tuple[str, ...] = (IDENTITE, SCOLARITE, ETABLISSEMENT, MEF, BOURSIER, ECHELON, REGIME)


def unknown(scopes: list[str]) -> list[str]:
    return [s for s in scopes if s not in ALL]
