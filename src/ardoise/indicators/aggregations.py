"""The aggregation kinds, one registry (STYLE.md L9): ``AGGREGATIONS = {name: Aggregation}``.

Each kind says how one row contributes (``num``, ``den``: SQL summed into ``sum_num`` and
``sum_den`` over the rows of a territory, ``rows`` being their number), how these sums become
the value and its base, and which Explore API ``select`` reproduces the figure from the dataset itself.
Because they are plain sums, every kind climbs the levels exactly: the value of an
académie is computed from its schools, never as a mean of département means.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ardoise.indicators.model import Filters, Formula, Term
from ardoise.odsql.literals import quote_field, quote_string
from ardoise.sql import quote_identifier, quote_literal


def odsql_filters(filters: Filters) -> list[str]:
    out = []
    for name, values in filters:
        if len(values) == 1:
            out.append(f"{quote_field(name)} = {quote_string(values[0])}")
        else:
            out.append(f"{quote_field(name)} in ({', '.join(quote_string(v) for v in values)})")
    return out


def sql_filters(filters: Filters, alias: str = "t") -> list[str]:
    return [
        f"CAST({alias}.{quote_identifier(name)} AS VARCHAR) IN ({', '.join(quote_literal(v) for v in values)})"
        for name, values in filters
    ]


def _number(value: float) -> str:
    return repr(float(value)) if value != int(value) else str(int(value))


@dataclass(frozen=True)
class ExploreSelect:
    """The ``select`` (and ``group_by``) of the Explore query that reproduces a figure."""

    select: str
    group_by: str | None = None
    reading: str | None = None  # how to read the answer when it is not a single row


@dataclass(frozen=True)
class Aggregation:
    name: str
    label: str  # French, shown to users
    base: str  # French: what the base counts
    check: Callable[[Formula], list[str]]
    num: Callable[[Formula, str], str]  # (formula, table alias) → SQL of one row's part of sum_num
    den: Callable[[Formula, str], str]
    value: Callable[[Formula], str]  # SQL over sum_num, sum_den and the row count ``rows``
    base_sql: str
    explore: Callable[[Formula], ExploreSelect]


def _col(alias: str, name: str) -> str:
    return f"{alias}.{quote_identifier(name)}"


def _term_sql(term: Term, alias: str, blank_is_zero: bool = False) -> str:
    cols = [_col(alias, f) for f in term.fields]
    if blank_is_zero:
        cols = [f"coalesce({c}, 0)" for c in cols]
    inner = "1" if term.count else " + ".join(cols)
    if not term.subset:
        return f"({inner})"
    cond = " AND ".join(sql_filters(term.subset, alias))
    return f"(CASE WHEN {cond} THEN {inner} ELSE 0 END)"


def _term_odsql(term: Term) -> str:
    if term.count:
        return "count(*)"
    return "sum(" + " + ".join(quote_field(f) for f in term.fields) + ")"


def _needs(
    formula: Formula,
    *,
    field: bool = False,
    weight: bool = False,
    terms: bool = False,
    references: bool = False,
) -> list[str]:
    problems = []
    if field != bool(formula.field):
        problems.append("« field » est requis" if field else "« field » n'a pas de sens ici")
    if weight != bool(formula.weight):
        problems.append("« weight » est requis" if weight else "« weight » n'a pas de sens ici")
    has_terms = formula.numerator is not None and formula.denominator is not None
    if terms != has_terms:
        problems.append(
            "« numerator » et « denominator » sont requis"
            if terms
            else "« numerator »/« denominator » n'ont pas de sens ici"
        )
    if references != bool(formula.references):
        problems.append(
            "« references » est requis" if references else "« references » n'a pas de sens ici"
        )
    return problems


def _check_sum(f: Formula) -> list[str]:
    return _needs(f, field=True)


def _check_mean(f: Formula) -> list[str]:
    return _needs(f, field=True) + (["« count » n'a pas de sens ici"] if f.count else [])


def _check_weighted(f: Formula) -> list[str]:
    return _needs(f, field=True, weight=True) + (
        ["« count » n'a pas de sens ici"] if f.count else []
    )


def _check_ratio(f: Formula) -> list[str]:
    problems = _needs(f, terms=True)
    num, den = f.numerator, f.denominator
    if num is None or den is None:
        return problems
    for name, term in (("numerator", num), ("denominator", den)):
        if term.count == bool(term.fields):
            problems.append(f"« {name} » : donner soit « fields », soit « count: true »")
    if den.subset:
        problems.append("« denominator » ne prend pas de « subset »")
    if num.subset and (len(num.subset) != 1 or num.fields != den.fields or num.count != den.count):
        problems.append(
            "un numérateur avec « subset » porte sur un seul champ et additionne "
            "la même chose que le dénominateur (une part d'un tout)"
        )
    if f.factor <= 0:
        problems.append("« factor » doit être positif")
    if f.blank_is_zero and (num.count or den.count or num.subset):
        problems.append("« blank_is_zero » porte sur des champs additionnés, sans « subset »")
    return problems


def _check_reference(f: Formula) -> list[str]:
    problems = _needs(f, references=True)
    bad = [level for level, _ in f.references if level not in ("france", "academie", "departement")]
    if bad:
        problems.append(
            f"« references » : niveaux {', '.join(bad)} non publiés par le ministère "
            "(france, academie, departement seulement)"
        )
    return problems


def _value_col(f: Formula, alias: str) -> str:
    return "1" if f.count else _col(alias, f.field or "")


def _no_den(_f: Formula, _alias: str) -> str:
    return "NULL"


def _explore_sum(f: Formula) -> ExploreSelect:
    if f.count:
        return ExploreSelect("count(*) as valeur")
    name = quote_field(f.field or "")
    return ExploreSelect(f"sum({name}) as valeur, count({name}) as base")


def _explore_mean(f: Formula) -> ExploreSelect:
    name = quote_field(f.field or "")
    return ExploreSelect(f"avg({name}) as valeur, count({name}) as base")


def _explore_weighted(f: Formula) -> ExploreSelect:
    v, w = quote_field(f.field or ""), quote_field(f.weight or "")
    return ExploreSelect(
        f"sum({v} * {w}) / sum({w}) as valeur, sum({v} * {w}) as numerateur, "
        f"sum({w}) as denominateur, count(*) as base"
    )


def _explore_ratio(f: Formula) -> ExploreSelect:
    assert f.numerator is not None and f.denominator is not None
    num, den = _term_odsql(f.numerator), _term_odsql(f.denominator)
    factor = _number(f.factor)
    if f.numerator.subset:
        ((name, values),) = f.numerator.subset
        kept = ", ".join(f"« {v} »" for v in values)
        return ExploreSelect(
            f"{quote_field(name)}, {num} as denominateur",
            group_by=quote_field(name),
            reading=(
                f"numérateur : somme de « denominateur » sur les groupes {name} = {kept} ; "
                f"dénominateur : somme sur tous les groupes ; valeur = {factor} × "
                "numérateur / dénominateur"
            ),
        )
    scale = "" if factor == "1" else f"{factor} * "
    if f.blank_is_zero:
        return _explore_blank_is_zero(f, scale.replace("*", "×"))
    return ExploreSelect(
        f"{scale}{num} / {den} as valeur, {num} as numerateur, {den} as denominateur"
    )


def _explore_blank_is_zero(f: Formula, scale: str) -> ExploreSelect:
    """Empty cells count as 0: ODSQL has no coalesce and a sum of empty cells is empty, so
    each field is summed alone (``somme_1``…) and the reading adds them up."""
    assert f.numerator is not None and f.denominator is not None
    names = {name: f"somme_{i}" for i, name in enumerate(f.term_fields(), 1)}

    def added(term: Term) -> str:
        return " + ".join(names[name] for name in term.fields)

    return ExploreSelect(
        ", ".join(f"sum({quote_field(name)}) as {alias}" for name, alias in names.items()),
        reading=(
            "une case vide du jeu vaut 0 (une somme vide aussi) : numérateur = "
            f"{added(f.numerator)} ; dénominateur = {added(f.denominator)} ; "
            f"valeur = {scale}numérateur / dénominateur"
        ),
    )


def _explore_reference(_f: Formula) -> ExploreSelect:
    # The field depends on the level: query/indicators.py substitutes it.
    return ExploreSelect(
        "{field} as valeur, count(*) as base",
        group_by="{field}",
        reading="une seule ligne attendue : la valeur publiée pour ce territoire",
    )


def _unused(_f: Formula, _alias: str) -> str:
    raise AssertionError("reference values are not sums")


AGGREGATIONS: dict[str, Aggregation] = {
    "sum": Aggregation(
        "sum",
        "somme",
        "nombre de lignes (établissements ou unités) additionnées",
        _check_sum,
        _value_col,
        _no_den,
        lambda f: "sum_num",
        "rows",
        _explore_sum,
    ),
    "mean": Aggregation(
        "mean",
        "moyenne arithmétique",
        "nombre de valeurs moyennées",
        _check_mean,
        _value_col,
        _no_den,
        lambda f: "sum_num / rows",
        "rows",
        _explore_mean,
    ),
    "weighted_mean": Aggregation(
        "weighted_mean",
        "moyenne pondérée",
        "nombre de valeurs moyennées",
        _check_weighted,
        lambda f, a: f"({_col(a, f.field or '')} * {_col(a, f.weight or '')})",
        lambda f, a: _col(a, f.weight or ""),
        lambda f: "sum_num / sum_den",
        "rows",
        _explore_weighted,
    ),
    "ratio_of_sums": Aggregation(
        "ratio_of_sums",
        "rapport de sommes",
        "dénominateur (somme)",
        _check_ratio,
        lambda f, a: _term_sql(f.numerator or Term(), a, f.blank_is_zero),
        lambda f, a: _term_sql(f.denominator or Term(), a, f.blank_is_zero),
        lambda f: f"{_number(f.factor)} * sum_num / sum_den",
        "CAST(round(sum_den) AS BIGINT)",
        _explore_ratio,
    ),
    "reference": Aggregation(
        "reference",
        "valeur de référence publiée",
        "nombre de lignes portant la valeur",
        _check_reference,
        _unused,
        _unused,
        lambda f: "value",
        "rows",
        _explore_reference,
    ),
}
