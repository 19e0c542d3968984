"""Import of school information system extracts (CSV) into the registry.

Format (version 1), defined by Ardoise:

* UTF-8 (a BOM is accepted), separator ``;``, one header line with exactly these columns,
  in any order::

    identifiant;nom_naissance;nom_usage;prenoms;sexe;date_naissance;uai;annee_scolaire;
    degre;code_mef;libelle_mef;statut;regime;boursier;echelon_bourse;date_entree;date_sortie

  and optionally ``region_academique`` (BCN code of the school's région académique).
* ``prenoms``: one to three given names separated by ``,`` (compound names keep their
  hyphen: ``Jean-Baptiste,Marie``). ``nom_usage``, ``code_mef``, ``libelle_mef``,
  ``regime``, ``echelon_bourse``, ``date_sortie`` may be empty.
* ``sexe`` ``M``/``F``; dates ``AAAA-MM-JJ``; ``uai`` 7 digits and a letter (its first
  three characters give the département); ``annee_scolaire`` ``AAAA-AAAA``; ``degre``
  ``1D``/``2D``; ``statut`` ST, AP, CQ, FC, ED, IN, FQ, SC, CP, NC; ``regime`` 0–6;
  ``boursier`` 0/1 (or non/oui); ``echelon_bourse`` 1–6, only for a scholarship holder.
* An extract is the full list of its schools for the years it covers: importing it
  replaces the enrolments of every (UAI, school year) pair it contains.

An import is one transaction. If any line is wrong nothing changes, and the report lists
every wrong line with the column and the reason, in French.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, delete, or_

from ardoise.scolarite.loader import COLUMNS, load_rows
from ardoise.scolarite.normalise import given_names_key, name_key
from ardoise.scolarite.schema import eleves
from ardoise.scolarite.verification import REGIMES, STATUTS

REQUIRED = (
    "identifiant", "nom_naissance", "nom_usage", "prenoms", "sexe", "date_naissance", "uai",
    "annee_scolaire", "degre", "code_mef", "libelle_mef", "statut", "regime", "boursier",
    "echelon_bourse", "date_entree", "date_sortie",
)  # fmt: skip
OPTIONAL = ("region_academique",)
_UAI = re.compile(r"^[0-9]{7}[A-Z]$")
_YEAR = re.compile(r"^([0-9]{4})-([0-9]{4})$")
_ID = re.compile(r"^[0-9A-Za-z]{1,16}$")
_BOOL = {"0": False, "1": True, "non": False, "oui": True, "false": False, "true": True}


@dataclass(frozen=True)
class LineProblem:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"ligne {self.line}, colonne {self.column} : {self.message}"


@dataclass(frozen=True)
class ImportReport:
    rows: int
    problems: tuple[LineProblem, ...] = field(default=())
    replaced: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


class _Line:
    def __init__(self, number: int, cells: dict[str, str], problems: list[LineProblem]):
        self.number = number
        self.cells = cells
        self.problems = problems

    def bad(self, column: str, message: str) -> None:
        self.problems.append(LineProblem(self.number, column, message))

    def text(self, column: str, *, required: bool = True, max_len: int = 100) -> str | None:
        value = (self.cells.get(column) or "").strip()
        if not value:
            if required:
                self.bad(column, "valeur manquante")
            return None
        if len(value) > max_len:
            self.bad(column, f"trop long ({len(value)} caractères, {max_len} au plus)")
            return None
        return value

    def day(self, column: str, *, required: bool = True) -> date | None:
        value = self.text(column, required=required, max_len=10)
        if value is None:
            return None
        try:
            return date.fromisoformat(value) if len(value) == 10 else date.fromisoformat("x")
        except ValueError:
            self.bad(column, f"date invalide {value!r} (format AAAA-MM-JJ attendu)")
            return None

    def choice(self, column: str, allowed: Any, *, required: bool = True) -> str | None:
        value = self.text(column, required=required, max_len=4)
        if value is None:
            return None
        value = value.upper()
        if value not in allowed:
            self.bad(column, f"valeur {value!r} inconnue ({', '.join(sorted(allowed))})")
            return None
        return value


def _name(line: _Line, column: str, *, required: bool) -> str | None:
    value = line.text(column, required=required)
    if value is not None and not name_key(value):
        line.bad(column, f"{value!r} ne contient aucune lettre")
        return None
    return value


def _parse_line(line: _Line, today: date) -> tuple[Any, ...] | None:
    start = len(line.problems)
    ident = line.text("identifiant", max_len=16)
    if ident is not None and not _ID.match(ident):
        line.bad("identifiant", "lettres et chiffres seulement")
    nom = _name(line, "nom_naissance", required=True)
    usage = _name(line, "nom_usage", required=False)
    raw_prenoms = line.text("prenoms", max_len=180) or ""
    prenoms = [p.strip() for p in raw_prenoms.split(",") if p.strip()]
    if raw_prenoms and not 1 <= len(prenoms) <= 3:
        line.bad("prenoms", "un à trois prénoms séparés par des virgules")
    elif any(len(p) > 60 or not name_key(p) for p in prenoms):
        line.bad("prenoms", "prénom vide, sans lettre ou trop long")
    sexe = line.choice("sexe", {"M", "F"})
    naissance = line.day("date_naissance")
    if naissance is not None and not date(1900, 1, 1) <= naissance <= today:
        line.bad("date_naissance", "date de naissance hors des bornes (1900 – aujourd'hui)")
    uai = line.text("uai", max_len=8)
    if uai is not None and not _UAI.match(uai.upper()):
        line.bad("uai", f"UAI {uai!r} invalide (7 chiffres et 1 lettre)")
    annee = line.text("annee_scolaire", max_len=9)
    m = _YEAR.match(annee or "")
    if annee is not None and (m is None or int(m.group(2)) != int(m.group(1)) + 1):
        line.bad("annee_scolaire", f"année scolaire {annee!r} invalide (AAAA-AAAA)")
    degre = line.choice("degre", {"1D", "2D"})
    code_mef = line.text("code_mef", required=False, max_len=16)
    libelle = line.text("libelle_mef", required=False, max_len=120)
    statut = line.choice("statut", STATUTS)
    regime = line.choice("regime", REGIMES, required=False)
    bourse_raw = (line.text("boursier", max_len=5) or "").lower()
    boursier = _BOOL.get(bourse_raw)
    if bourse_raw and boursier is None:
        line.bad("boursier", f"{bourse_raw!r} : 0/1 ou non/oui attendu")
    echelon_raw = line.text("echelon_bourse", required=False, max_len=1)
    echelon: int | None = None
    if echelon_raw is not None:
        if not echelon_raw.isdigit() or not 1 <= int(echelon_raw) <= 6:
            line.bad("echelon_bourse", "échelon de 1 à 6 attendu")
        elif not boursier:
            line.bad("echelon_bourse", "un échelon de bourse sans bourse")
        else:
            echelon = int(echelon_raw)
    entree = line.day("date_entree")
    sortie = line.day("date_sortie", required=False)
    if entree and sortie and sortie < entree:
        line.bad("date_sortie", "date de sortie avant la date d'entrée")
    region = line.text("region_academique", required=False, max_len=2)
    if len(line.problems) > start:
        return None
    assert uai is not None and nom is not None and naissance is not None
    uai = uai.upper()
    values = {
        "identifiant": ident, "nom_naissance": nom, "nom_usage": usage,
        "prenom1": prenoms[0], "prenom2": prenoms[1] if len(prenoms) > 1 else None,
        "prenom3": prenoms[2] if len(prenoms) > 2 else None, "sexe": sexe,
        "date_naissance": naissance, "uai": uai, "departement": uai[:3],
        "region_academique": region, "degre": degre, "code_ministere": "06",
        "annee_scolaire": annee, "code_mef": code_mef, "libelle_mef": libelle,
        "statut": statut, "regime": regime, "boursier": bool(boursier),
        "echelon_bourse": echelon, "date_entree": entree, "date_sortie": sortie,
        "synthetique": False, "nom_naissance_cle": name_key(nom),
        "nom_usage_cle": name_key(usage) if usage else None,
        "prenoms_cle": given_names_key(prenoms),
    }  # fmt: skip
    return tuple(values[c] for c in COLUMNS)


def read_extract(text: str, today: date) -> tuple[list[tuple[Any, ...]], list[LineProblem]]:
    problems: list[LineProblem] = []
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";")
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in REQUIRED and c not in OPTIONAL]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"colonnes manquantes : {', '.join(missing)}")
        if unknown:
            parts.append(f"colonnes inconnues : {', '.join(unknown)}")
        return [], [LineProblem(1, "en-tête", " ; ".join(parts))]
    reader.fieldnames = header
    rows: list[tuple[Any, ...]] = []
    seen: dict[tuple[Any, ...], int] = {}
    key_at = (COLUMNS.index("identifiant"), COLUMNS.index("annee_scolaire"), COLUMNS.index("uai"))
    for number, cells in enumerate(reader, start=2):
        if None in cells:
            problems.append(LineProblem(number, "*", "trop de cellules sur la ligne"))
            continue
        if any(v is None for v in cells.values()):
            problems.append(LineProblem(number, "*", "cellules manquantes sur la ligne"))
            continue
        row = _parse_line(_Line(number, cells, problems), today)
        if row is None:
            continue
        key = tuple(row[i] for i in key_at)
        if key in seen:
            problems.append(
                LineProblem(
                    number, "identifiant", f"inscription en double (voir ligne {seen[key]})"
                )
            )
            continue
        seen[key] = number
        rows.append(row)
    if not rows and not problems:
        problems.append(LineProblem(1, "*", "le fichier ne contient aucune inscription"))
    return rows, problems


def import_extract(
    engine: Engine, path: Path, today: date | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> ImportReport:  # fmt: skip
    today = today or date.today()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return ImportReport(0, (LineProblem(0, "*", f"fichier non UTF-8 ({exc.reason})"),))
    rows, problems = read_extract(text, today)
    if problems:
        return ImportReport(0, tuple(problems))
    uai_i, year_i = COLUMNS.index("uai"), COLUMNS.index("annee_scolaire")
    pairs = sorted({(r[uai_i], r[year_i]) for r in rows})
    replaced = 0
    with engine.begin() as conn:
        for i in range(0, len(pairs), 200):
            chunk = pairs[i : i + 200]
            cond = or_(*(and_(eleves.c.uai == u, eleves.c.annee_scolaire == y) for u, y in chunk))
            replaced += int(conn.execute(delete(eleves).where(cond)).rowcount)
        load_rows(conn, rows)
    if on_rows:
        on_rows(len(rows))
    return ImportReport(len(rows), (), replaced)
