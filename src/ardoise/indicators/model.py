"""Values of the indicators layer: declarations (one YAML each), what a computation reads
(:class:`Input`, :class:`Part`) and what publishing produced.

Everything here is a frozen dataclass: a declaration is read once, published as
``indicators/definitions.json`` in the release, and read back by the query layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ardoise.catalog.model import Dataset
from ardoise.errors import ArdoiseError
from ardoise.referential.levels import ladder
from ardoise.sql import quote_identifier, quote_literal

# An indicator is computed at its start level and every rung above (up to France).
START_LEVELS: tuple[str, ...] = ladder(last="academie")
THEMES: dict[str, str] = {
    "mixite_sociale": "Mixité sociale",
    "resultats": "Résultats",
    "effectifs": "Effectifs",
    "personnels": "Personnels",
    "numerique": "Numérique",
}
STATUSES: tuple[str, ...] = ("ok", "non_significatif", "absent")
YEAR_KINDS: dict[str, str] = {
    "session": "l'année N (session d'examen, millésime) correspond à l'année scolaire N-1-N",
    "rentree": "l'année N (rentrée) correspond à l'année scolaire N-N+1",
}

Filters = tuple[tuple[str, tuple[str, ...]], ...]  # (field, accepted values), ANDed


class IndicatorDefinitionError(ArdoiseError):
    """A declaration is invalid: the message names the file and what is wrong (French)."""


@dataclass(frozen=True)
class Source:
    """A dataset an indicator reads; earlier sources win a school year found in several."""

    dataset: str
    years: tuple[str, ...] = ()  # only these school years (empty: every year of the dataset)
    year_field: str | None = None  # for datasets without a school year: the year column…
    year_kind: str | None = None  # …and how it maps to a school year (YEAR_KINDS)

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "years": list(self.years),
            "year_field": self.year_field,
            "year_kind": self.year_kind,
        }


@dataclass(frozen=True)
class Term:
    """A numerator or denominator: the sum of ``fields`` (or of 1 per row: ``count``),
    over the rows matching ``subset`` (numerator only; its single field is then grouped on
    in the Explore query that reproduces the figure)."""

    fields: tuple[str, ...] = ()
    count: bool = False
    subset: Filters = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "fields": list(self.fields),
            "count": self.count,
            "subset": {k: list(v) for k, v in self.subset},
        }


@dataclass(frozen=True)
class Formula:
    """The machine spec of an indicator; ``aggregation`` keys the AGGREGATIONS registry."""

    text: str
    aggregation: str
    field: str | None = None  # sum, mean, weighted_mean
    count: bool = False  # sum: count the rows where ``field`` is given instead of adding it
    weight: str | None = None  # weighted_mean
    numerator: Term | None = None  # ratio_of_sums
    denominator: Term | None = None
    factor: float = 1.0  # ratio_of_sums: 100 for a percentage
    references: tuple[tuple[str, str], ...] = ()  # reference: (level, field) pairs
    filters: Filters = ()  # rows kept (equality on text fields)
    required: tuple[str, ...] = ()  # more fields a row must give to count
    # ratio_of_sums: an empty cell of a term's fields is 0 (files that leave a count of no
    # pupil blank); a row counts where at least one of them is given
    blank_is_zero: bool = False

    def term_fields(self) -> tuple[str, ...]:
        names: list[str] = []
        for term in (self.numerator, self.denominator):
            if term is not None:
                names.extend(term.fields)
        return tuple(dict.fromkeys(names))

    def fields_required(self) -> tuple[str, ...]:
        """Fields that must be given for a row to count (a row missing one is left out)."""
        names: list[str] = list(self.required)
        if self.field:
            names.append(self.field)
        if self.weight:
            names.append(self.weight)
        if not self.blank_is_zero:
            names.extend(self.term_fields())
        return tuple(dict.fromkeys(names))

    def fields_any(self) -> tuple[str, ...]:
        """Fields of which a row must give at least one (``blank_is_zero``)."""
        return self.term_fields() if self.blank_is_zero else ()

    def fields_used(self) -> tuple[str, ...]:
        names = [*self.fields_required(), *self.fields_any()] + [f for f, _ in self.filters]
        names += [f for _, f in self.references]
        if self.numerator is not None:
            names += [f for f, _ in self.numerator.subset]
        return tuple(dict.fromkeys(names))

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "aggregation": self.aggregation,
            "field": self.field,
            "count": self.count,
            "weight": self.weight,
            "numerator": self.numerator.to_json() if self.numerator else None,
            "denominator": self.denominator.to_json() if self.denominator else None,
            "factor": self.factor,
            "references": dict(self.references),
            "filters": {k: list(v) for k, v in self.filters},
            "required": list(self.required),
            "blank_is_zero": self.blank_is_zero,
        }


@dataclass(frozen=True)
class Definition:
    id: str
    version: int
    title: str
    short_description: str
    description: str
    unit: str
    theme: str
    sources: tuple[Source, ...]
    formula: Formula
    start_level: str
    levels: tuple[str, ...]  # computed levels, from the start level up
    min_base: int
    caveats: tuple[str, ...]
    methodology: str
    decimals: int = 1  # display hint
    # The sources cover part of France: an académie or a région gets a value only when all
    # its départements have one (never a France value made of a few départements).
    partial_coverage: bool = False

    @property
    def dataset_ids(self) -> tuple[str, ...]:
        return tuple(s.dataset for s in self.sources)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "short_description": self.short_description,
            "description": self.description,
            "unit": self.unit,
            "theme": self.theme,
            "sources": [s.to_json() for s in self.sources],
            "formula": self.formula.to_json(),
            "start_level": self.start_level,
            "levels": list(self.levels),
            "min_base": self.min_base,
            "caveats": list(self.caveats),
            "methodology": self.methodology,
            "decimals": self.decimals,
            "partial_coverage": self.partial_coverage,
        }


@dataclass(frozen=True)
class Input:
    """A dataset of the release being built, as the indicators read it."""

    id: str
    path: Path
    dataset: Dataset
    columns: dict[str, str]  # column → DuckDB type

    def scan(self) -> str:
        return f"read_parquet({quote_literal(str(self.path))}) t"


@dataclass(frozen=True)
class Part:
    """The school years one source gives an indicator (earlier sources win a year)."""

    source: Source
    input: Input | None
    years: tuple[str, ...]  # the years it gives
    overridden: tuple[str, ...]  # its years given by an earlier source
    problem: str | None = None  # why it gives nothing (absent, missing column)

    @property
    def year_sql(self) -> str:
        return year_sql(self.source)


def year_sql(source: Source) -> str:
    """The school year of a row of ``t``: ``_annee_scolaire``, or the declared year column."""
    if source.year_field is None:
        return "t._annee_scolaire"
    y = f"TRY_CAST(t.{quote_identifier(source.year_field)} AS INTEGER)"
    if source.year_kind == "session":
        return f"(CAST({y} - 1 AS VARCHAR) || '-' || CAST({y} AS VARCHAR))"
    return f"(CAST({y} AS VARCHAR) || '-' || CAST({y} + 1 AS VARCHAR))"


@dataclass(frozen=True)
class IndicatorsSummary:
    """What ``compute_indicators`` wrote; ``to_json`` goes to the manifest ("indicators")."""

    indicators: int
    rows: int
    statuses: dict[str, int]
    years: dict[str, list[str]]  # indicator id → school years with data
    files: dict[str, str]  # file (relative to indicators/) → sha256
    sha256: str  # one hash over every file, for the release fingerprint
    anomalies: int
    seconds: float = field(default=0.0, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "indicators": self.indicators,
            "rows": self.rows,
            "statuses": self.statuses,
            "years": self.years,
            "files": self.files,
            "sha256": self.sha256,
            "anomalies": self.anomalies,
            "seconds": round(self.seconds, 2),
        }
