"""Load and validate the indicator declarations (``definitions/<id>.yaml``).

Every problem is reported in French with the file and the key, and all problems of a file
are listed at once. ``definition_from_json`` reads back what a release published.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ardoise.indicators.aggregations import AGGREGATIONS
from ardoise.indicators.model import (
    START_LEVELS,
    THEMES,
    YEAR_KINDS,
    Definition,
    Filters,
    Formula,
    IndicatorDefinitionError,
    Source,
    Term,
)
from ardoise.referential.levels import LADDER

DEFINITIONS_DIR = Path(__file__).parent / "definitions"

_ID = re.compile(r"[a-z][a-z0-9_]*")
_YEAR = re.compile(r"[0-9]{4}-[0-9]{4}")
_REQUIRED = (
    "id",
    "version",
    "title",
    "short_description",
    "description",
    "unit",
    "theme",
    "sources",
    "formula",
    "start_level",
    "min_base",
    "methodology",
)
_OPTIONAL = ("levels", "caveats", "decimals", "partial_coverage")
_FORMULA_KEYS = (
    "text",
    "aggregation",
    "field",
    "count",
    "weight",
    "numerator",
    "denominator",
    "factor",
    "references",
    "filters",
    "required",
    "blank_is_zero",
)


class _Problems:
    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)

    def raise_if_any(self) -> None:
        if self.items:
            listed = "\n".join(f"  - {m}" for m in self.items)
            raise IndicatorDefinitionError(
                f"Déclaration d'indicateur invalide ({self.origin}) :\n{listed}"
            )


def load_definitions(directory: Path | None = None) -> tuple[Definition, ...]:
    """Every declaration of ``directory`` (default: the package's), sorted by id."""
    folder = directory or DEFINITIONS_DIR
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise IndicatorDefinitionError(f"Aucune déclaration d'indicateur dans {folder}.")
    out = [load_definition(p) for p in paths]
    return tuple(sorted(out, key=lambda d: d.id))


def load_definition(path: Path) -> Definition:
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise IndicatorDefinitionError(f"{path.name} : lecture impossible ({exc}).") from None
    if not isinstance(raw, dict):
        raise IndicatorDefinitionError(f"{path.name} : une table YAML (clé: valeur) est attendue.")
    definition = parse_definition(raw, path.name)
    if definition.id != path.stem:
        raise IndicatorDefinitionError(
            f"{path.name} : l'identifiant {definition.id!r} doit être le nom du fichier."
        )
    return definition


def parse_definition(raw: Mapping[str, Any], origin: str = "<déclaration>") -> Definition:
    p = _Problems(origin)
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        p.add(f"clés obligatoires absentes : {', '.join(missing)}")
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        p.add(f"clés inconnues : {', '.join(unknown)}")
    p.raise_if_any()
    ident = _text(raw, "id", p)
    if ident and not _ID.fullmatch(ident):
        p.add(f"« id » {ident!r} : minuscules, chiffres et « _ » seulement")
    version = raw["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        p.add("« version » doit être un entier ≥ 1")
    theme = _text(raw, "theme", p)
    if theme and theme not in THEMES:
        p.add(f"« theme » {theme!r} inconnu (thèmes : {', '.join(THEMES)})")
    start = _text(raw, "start_level", p)
    if start and start not in START_LEVELS:
        p.add(f"« start_level » {start!r} inconnu (niveaux de départ : {', '.join(START_LEVELS)})")
    min_base = raw["min_base"]
    if not isinstance(min_base, int) or isinstance(min_base, bool) or min_base < 0:
        p.add("« min_base » doit être un entier ≥ 0")
    formula = _formula(raw["formula"], p)
    levels = _levels(raw.get("levels"), start, formula, p)
    sources = _sources(raw["sources"], p)
    caveats = raw.get("caveats") or []
    if not isinstance(caveats, list) or not all(isinstance(c, str) for c in caveats):
        p.add("« caveats » doit être une liste de textes")
    partial = raw.get("partial_coverage", False)
    if not isinstance(partial, bool):
        p.add("« partial_coverage » doit valoir true ou false")
    decimals = raw.get("decimals", 1)
    if not isinstance(decimals, int) or not 0 <= decimals <= 6:
        p.add("« decimals » doit être un entier entre 0 et 6")
    texts = {
        k: _text(raw, k, p)
        for k in ("title", "short_description", "description", "unit", "methodology")
    }
    if formula is not None and formula.aggregation == "ratio_of_sums" and min_base == 0:
        p.add("un rapport de sommes demande « min_base » ≥ 1 (pas de division par zéro)")
    p.raise_if_any()
    assert formula is not None
    return Definition(
        id=ident,
        version=int(version),
        title=texts["title"],
        short_description=texts["short_description"],
        description=texts["description"],
        unit=texts["unit"],
        theme=theme,
        sources=sources,
        formula=formula,
        start_level=start,
        levels=levels,
        min_base=int(min_base),
        caveats=tuple(str(c).strip() for c in caveats),
        methodology=texts["methodology"],
        decimals=int(decimals),
        partial_coverage=bool(partial),
    )


def _text(raw: Mapping[str, Any], key: str, p: _Problems) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        p.add(f"« {key} » doit être un texte non vide")
        return ""
    return value.strip()


def _levels(raw: Any, start: str, formula: Formula | None, p: _Problems) -> tuple[str, ...]:
    if start not in LADDER:
        return ()
    above = LADDER[LADDER.index(start) :]
    if formula is not None and formula.aggregation == "reference":
        above = tuple(level for level, _ in formula.references)
        above = tuple(level for level in LADDER if level in above)
    if raw is None:
        return above
    if not isinstance(raw, list) or not raw:
        p.add("« levels » doit être une liste non vide de niveaux")
        return above
    wrong = [str(level) for level in raw if level not in above]
    if wrong:
        p.add(f"« levels » : {', '.join(wrong)} hors des niveaux calculables ({', '.join(above)})")
    return tuple(level for level in LADDER if level in raw)


def _sources(raw: Any, p: _Problems) -> tuple[Source, ...]:
    if not isinstance(raw, list) or not raw:
        p.add("« sources » doit être une liste non vide de jeux de données")
        return ()
    out: list[Source] = []
    for i, item in enumerate(raw, start=1):
        where = f"« sources » n°{i}"
        if isinstance(item, str):
            item = {"dataset": item}
        if not isinstance(item, dict) or not isinstance(item.get("dataset"), str):
            p.add(f"{where} : « dataset » (identifiant du jeu) est requis")
            continue
        extra = sorted(set(item) - {"dataset", "years", "year_field", "year_kind"})
        if extra:
            p.add(f"{where} : clés inconnues : {', '.join(extra)}")
        years = [str(y) for y in item.get("years") or []]
        bad = [y for y in years if not _YEAR.fullmatch(y)]
        if bad:
            p.add(f"{where} : années {', '.join(bad)} au format AAAA-AAAA attendues")
        kind = item.get("year_kind")
        if (item.get("year_field") is None) != (kind is None):
            p.add(f"{where} : « year_field » et « year_kind » vont ensemble")
        if kind is not None and kind not in YEAR_KINDS:
            p.add(f"{where} : « year_kind » {kind!r} inconnu ({', '.join(YEAR_KINDS)})")
        out.append(Source(item["dataset"], tuple(years), item.get("year_field"), kind))
    ids = [s.dataset for s in out]
    if len(set(ids)) != len(ids):
        p.add("« sources » : un jeu de données est cité deux fois")
    return tuple(out)


def _filters(raw: Any, where: str, p: _Problems) -> Filters:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        p.add(f"{where} : une table champ: valeur(s) est attendue")
        return ()
    out = []
    for name, values in sorted(raw.items()):
        vals = values if isinstance(values, list) else [values]
        if not vals or not all(isinstance(v, str) for v in vals):
            p.add(f"{where} : les valeurs de {name!r} doivent être des textes")
            continue
        out.append((str(name), tuple(vals)))
    return tuple(out)


def _names(raw: Any, where: str, p: _Problems) -> tuple[str, ...]:
    values = [raw] if isinstance(raw, str) else (raw or [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        p.add(f"{where} : une liste de noms de champs est attendue")
        return ()
    return tuple(values)


def _term(raw: Any, where: str, p: _Problems) -> Term | None:
    if raw is None:
        return None
    if isinstance(raw, str | list):
        raw = {"fields": raw}
    if not isinstance(raw, dict):
        p.add(f"{where} : « fields » ou « count: true » attendu")
        return None
    extra = sorted(set(raw) - {"fields", "count", "subset"})
    if extra:
        p.add(f"{where} : clés inconnues : {', '.join(extra)}")
    fields = raw.get("fields") or []
    fields = [fields] if isinstance(fields, str) else fields
    if not all(isinstance(f, str) for f in fields):
        p.add(f"{where} : « fields » doit être une liste de noms de champs")
        fields = []
    return Term(
        tuple(fields),
        bool(raw.get("count", False)),
        _filters(raw.get("subset"), f"{where} « subset »", p),
    )


def _formula(raw: Any, p: _Problems) -> Formula | None:
    if not isinstance(raw, dict):
        p.add("« formula » doit être une table (text, aggregation…)")
        return None
    extra = sorted(set(raw) - set(_FORMULA_KEYS))
    if extra:
        p.add(f"« formula » : clés inconnues : {', '.join(extra)}")
    kind = raw.get("aggregation")
    if kind not in AGGREGATIONS:
        p.add(
            f"« formula.aggregation » {kind!r} inconnue (agrégations : {', '.join(AGGREGATIONS)})"
        )
        return None
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        p.add("« formula.text » (la formule en clair) est requis")
        text = ""
    refs = raw.get("references") or {}
    if not isinstance(refs, dict) or not all(isinstance(v, str) for v in refs.values()):
        p.add("« formula.references » : une table niveau: champ est attendue")
        refs = {}
    factor = raw.get("factor", 1)
    if not isinstance(factor, int | float) or isinstance(factor, bool):
        p.add("« formula.factor » doit être un nombre")
        factor = 1
    formula = Formula(
        text=str(text).strip(),
        aggregation=str(kind),
        field=raw.get("field"),
        count=bool(raw.get("count", False)),
        weight=raw.get("weight"),
        numerator=_term(raw.get("numerator"), "« formula.numerator »", p),
        denominator=_term(raw.get("denominator"), "« formula.denominator »", p),
        factor=float(factor),
        references=tuple(
            (str(k), str(v))
            for k, v in sorted(
                refs.items(), key=lambda kv: LADDER.index(kv[0]) if kv[0] in LADDER else 99
            )
        ),
        filters=_filters(raw.get("filters"), "« formula.filters »", p),
        required=_names(raw.get("required"), "« formula.required »", p),
        blank_is_zero=raw.get("blank_is_zero", False) is True,
    )
    if not isinstance(raw.get("blank_is_zero", False), bool):
        p.add("« formula.blank_is_zero » doit valoir true ou false")
    elif formula.blank_is_zero and formula.aggregation != "ratio_of_sums":
        p.add("« formula.blank_is_zero » ne vaut que pour un rapport de sommes")
    for problem in AGGREGATIONS[formula.aggregation].check(formula):
        p.add(f"« formula » ({formula.aggregation}) : {problem}")
    return formula


def definition_from_json(raw: Mapping[str, Any]) -> Definition:
    """A definition as published in ``indicators/definitions.json`` (already validated)."""
    f = raw["formula"]

    def term(t: Mapping[str, Any] | None) -> Term | None:
        if t is None:
            return None
        return Term(
            tuple(t["fields"]),
            bool(t["count"]),
            tuple((k, tuple(v)) for k, v in t["subset"].items()),
        )

    formula = Formula(
        text=f["text"],
        aggregation=f["aggregation"],
        field=f["field"],
        count=f["count"],
        weight=f["weight"],
        numerator=term(f["numerator"]),
        denominator=term(f["denominator"]),
        factor=float(f["factor"]),
        references=tuple(f["references"].items()),
        filters=tuple((k, tuple(v)) for k, v in f["filters"].items()),
        required=tuple(f.get("required", ())),
        blank_is_zero=bool(f.get("blank_is_zero", False)),
    )
    return Definition(
        id=raw["id"],
        version=int(raw["version"]),
        title=raw["title"],
        short_description=raw["short_description"],
        description=raw["description"],
        unit=raw["unit"],
        theme=raw["theme"],
        sources=tuple(
            Source(s["dataset"], tuple(s["years"]), s["year_field"], s["year_kind"])
            for s in raw["sources"]
        ),
        formula=formula,
        start_level=raw["start_level"],
        levels=tuple(raw["levels"]),
        min_base=int(raw["min_base"]),
        caveats=tuple(raw["caveats"]),
        methodology=raw["methodology"],
        decimals=int(raw.get("decimals", 1)),
        partial_coverage=bool(raw.get("partial_coverage", False)),
    )
