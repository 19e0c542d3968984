"""Parameters and answer of ``/v{3,4,5}/men/scolarites/identite``, as API Particulier.

Parsing returns an :class:`IdentityQuery` or every problem found (422, French details,
``source.parameter`` naming the field). Unlike API Particulier, names with ``Œ``, ``’``
or decomposed accents are accepted (they are normalised for matching), and a missing
value is told apart from a malformed one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from ardoise.scolarite import scopes
from ardoise.scolarite.errors import ApiError, invalid
from ardoise.scolarite.matching import IdentityQuery
from ardoise.scolarite.normalise import name_key
from ardoise.scolarite.siret import is_siret

MAX_NAME = 100
_UAI = re.compile(r"^[0-9]{7}[A-Za-z]$")
_YEAR = re.compile(r"^([0-9]{4})(?:-([0-9]{4}))?$")
_DEPARTEMENT = re.compile(r"^(?:[0-9]{3}|02[AB])$")
_REGION = re.compile(r"^[0-9]{2}$")

STATUTS = {
    "ST": "Scolaire",
    "AP": "Apprenti",
    "CQ": "Contrat de qualification",
    "FC": "Formation continue",
    "ED": "Enseignement à distance",
    "IN": "Candidat individuel",
    "FQ": "Stagiaire de la formation professionnelle",
    "SC": "Scolaire ou formation initiale",
    "CP": "Contrat de professionnalisation",
    "NC": "Non connu",
}
REGIMES = {
    "0": "Externe libre",
    "1": "Externe surveillé",
    "2": "Demi-pensionnaire dans l'établissement",
    "3": "Interne dans l'établissement",
    "4": "Interne externé",
    "5": "Interne hébergé",
    "6": "Demi-pensionnaire hors l'établissement",
}


def _values(params: Sequence[tuple[str, str]], *names: str) -> list[str]:
    return [v for k, v in params if k in names]


def _one(params: Sequence[tuple[str, str]], name: str) -> str | None:
    found = _values(params, name)
    return found[0].strip() if found else None


def recipient_error(params: Sequence[tuple[str, str]]) -> ApiError | None:
    value = _one(params, "recipient")
    if not value:
        return invalid("00203", "Le paramètre recipient est obligatoire", "recipient")
    if not is_siret(value):
        return invalid(
            "00210",
            "Le paramètre recipient n'est pas un siret valide (14 chiffres, clé de Luhn) : "
            "c'est le SIRET de l'administration destinataire des données.",
            "recipient",
        )
    return None


def _int(
    params: Sequence[tuple[str, str]], name: str, code: str, label: str, lo: int, hi: int
) -> tuple[int | None, ApiError | None]:
    raw = _one(params, name)
    if not raw:
        return None, invalid(code, f"{label} est manquant(e)", name)
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 4 or not lo <= int(raw) <= hi:
        return None, invalid(code, f"{label} est mal formé(e) : entier de {lo} à {hi}", name)
    return int(raw), None


def _name_error(value: str | None, code: str, label: str, parameter: str) -> ApiError | None:
    if value is None or not value.strip():
        return invalid(code, f"{label} est manquant", parameter)
    if len(value) > MAX_NAME or not name_key(value) or any(ord(c) < 32 for c in value):
        return invalid(
            code, f"{label} est mal formé (lettres, espaces, tirets, apostrophes)", parameter
        )
    return None


def parse(params: Sequence[tuple[str, str]], today: date) -> IdentityQuery | list[ApiError]:
    """The identity query of a call, or every problem found, in the parameters' order."""
    errors: list[ApiError] = []
    problem = recipient_error(params)
    if problem:
        errors.append(problem)
    nom = _one(params, "nomNaissance")
    problem = _name_error(nom, "00420", "Le nom de naissance", "nomNaissance")
    if problem:
        errors.append(problem)
    prenoms = [p.strip() for p in _values(params, "prenoms[]", "prenoms")]
    problem = _prenoms_error(prenoms)
    if problem:
        errors.append(problem)
    sexe = (_one(params, "sexeEtatCivil") or "").upper()
    if sexe not in ("M", "F"):
        errors.append(invalid("00427", "Le sexe doit être M ou F", "sexeEtatCivil"))
    birth = _birth(params, today, errors)
    annee = _school_year(params, errors)
    uai, deps, regs, degre = _perimeter(params, errors)
    if errors:
        return errors
    assert nom is not None and birth is not None and annee is not None
    return IdentityQuery(
        nom_naissance=nom,
        prenoms=tuple(prenoms),
        sexe=sexe,
        date_naissance=birth,
        annee_scolaire=annee,
        uai=uai,
        departements=tuple(deps),
        regions=tuple(regs),
        degre=degre if uai is None else None,
    )


def _prenoms_error(prenoms: list[str]) -> ApiError | None:
    if not prenoms or not any(prenoms):
        return invalid("00421", "Le(s) prénom(s) est manquant", "prenoms[]")
    if len(prenoms) > 3:
        return invalid("00421", "Trois prénoms au plus", "prenoms[]")
    for p in prenoms:
        problem = _name_error(p, "00421", "Le prénom", "prenoms[]")
        if problem:
            return problem
    return None


def _birth(params: Sequence[tuple[str, str]], today: date, errors: list[ApiError]) -> date | None:
    """The birth date (year, month, day parameters); its problems go to ``errors``."""
    year, e1 = _int(params, "anneeDateNaissance", "00422", "L'année de naissance", 1900, 9999)
    month, e2 = _int(params, "moisDateNaissance", "00423", "Le mois de naissance", 1, 12)
    day, e3 = _int(params, "jourDateNaissance", "00424", "Le jour de naissance", 1, 31)
    errors += [e for e in (e1, e2, e3) if e]
    if year is None or month is None or day is None:
        return None
    try:
        birth = date(year, month, day)
    except ValueError:
        errors.append(invalid("00425", "Cette date de naissance n'existe pas", "jourDateNaissance"))
        return None
    if birth > today:
        errors.append(
            invalid("00425", "La date de naissance est dans le futur", "anneeDateNaissance")
        )
    return birth


def _school_year(params: Sequence[tuple[str, str]], errors: list[ApiError]) -> str | None:
    """``2025-2026`` from ``anneeScolaire`` (``2025-2026`` or ``2025``)."""
    annee_raw = _one(params, "anneeScolaire")
    m = _YEAR.match(annee_raw or "")
    if not annee_raw:
        errors.append(invalid("00411", "L'année scolaire est manquante", "anneeScolaire"))
    elif m is None or (m.group(2) and int(m.group(2)) != int(m.group(1)) + 1):
        errors.append(
            invalid("00411", "L'année scolaire doit s'écrire AAAA-AAAA ou AAAA", "anneeScolaire")
        )
    else:
        return f"{m.group(1)}-{int(m.group(1)) + 1}"
    return None


def _perimeter(
    params: Sequence[tuple[str, str]], errors: list[ApiError]
) -> tuple[str | None, list[str], list[str], str | None]:
    """The school (UAI) or the perimeter (departments or regions, with a degree)."""
    uai = _one(params, "codeEtablissement") or None
    deps = [d.strip().upper() for d in _values(params, "codesBcnDepartements[]")]
    regs = [r.strip() for r in _values(params, "codesBcnRegions[]")]
    degre = (_one(params, "degreEtablissement") or "").upper() or None
    if uai is not None and (deps or regs):
        errors.append(
            invalid(
                "00419",
                "Les paramètres codeEtablissement et périmètre (codesBcnRegions/"
                "codesBcnDepartements) sont mutuellement exclusifs",
                "codeEtablissement",
            )
        )
    elif uai is not None:
        if not _UAI.match(uai):
            errors.append(
                invalid(
                    "00410",
                    "Le code établissement (UAI) doit être composé de 7 chiffres et 1 lettre",
                    "codeEtablissement",
                )
            )
        uai = uai.upper()
    else:
        errors += _area_errors(deps, regs, degre)
    if degre is not None and degre not in ("1D", "2D") and uai is not None:
        errors.append(invalid("00412", "Le degré doit être 1D ou 2D", "degreEtablissement"))
    return uai, deps, regs, degre


def _area_errors(deps: list[str], regs: list[str], degre: str | None) -> list[ApiError]:
    """The problems of a perimeter given instead of a school."""
    if deps and regs:
        return [
            invalid(
                "00414",
                "Un seul type de périmètre : départements ou régions",
                "codesBcnDepartements[]",
            )
        ]
    if not deps and not regs:
        return [
            invalid(
                "00413",
                "Fournir le code établissement ou un périmètre (départements ou régions)",
                "codeEtablissement",
            )
        ]
    errors = []
    if deps and not all(_DEPARTEMENT.match(d) for d in deps):
        errors.append(
            invalid("00416", "Code BCN de département invalide", "codesBcnDepartements[]")
        )
    if regs and not all(_REGION.match(r) for r in regs):
        errors.append(invalid("00417", "Code BCN de région invalide", "codesBcnRegions[]"))
    if degre not in ("1D", "2D"):
        errors.append(
            invalid(
                "00412",
                "Le degré (1D ou 2D) est obligatoire avec un périmètre",
                "degreEtablissement",
            )
        )
    return errors


def answer_data(record: dict[str, Any], granted: frozenset[str], version: int) -> dict[str, Any]:
    """The ``data`` object, with only the keys the token's scopes reveal (absent, not null)."""
    full: dict[str, Any] = {
        "identite": {
            "nom": record["nom_naissance"],
            "prenom": record["prenom1"],
            "sexe": record["sexe"],
            "date_naissance": record["date_naissance"].isoformat(),
        },
        "module_elementaire_formation": {
            "code_mef_stat": record["code_mef"],
            "libelle": record["libelle_mef"],
        },
        "annee_scolaire": record["annee_scolaire"],
        "est_scolarise": True,
        "statut_eleve": {"code": record["statut"], "libelle": STATUTS.get(record["statut"])},
        "etablissement": {
            "code_uai": record["uai"],
            "code_ministere_tutelle": record["code_ministere"],
        },
        "est_boursier": bool(record["boursier"]),
        "echelon_bourse": record["echelon_bourse"],
    }
    if version >= 5:
        regime = record["regime"]
        full["regime_pensionnat"] = (
            {"code": regime, "libelle": REGIMES.get(regime)} if regime is not None else None
        )
    return {k: v for k, v in full.items() if scopes.FIELD_SCOPES[k] in granted}
