"""The ODSQL function allow-list: ``FUNCTIONS = {name: FunctionSpec}``.

A name that is not a key of ``FUNCTIONS`` is an ``UnknownFunction`` error, never a
pass-through. Each spec says where the function may appear, how many arguments it takes and
how to build its SQL; the builder's docstring is the function's documentation. The builders
live by family: :mod:`~ardoise.odsql.scalars`, :mod:`~ardoise.odsql.aggregates`,
:mod:`~ardoise.odsql.text` (search predicates), :mod:`~ardoise.odsql.geo`,
:mod:`~ardoise.odsql.grouping` (``range()``, ``random()``).
Known ODSQL functions that Ardoise does not implement are listed too, and raise
``UnsupportedFeature`` with a clear "non supporté" message.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from ardoise.odsql import aggregates, ast, geo, grouping, scalars, text
from ardoise.odsql.errors import UnsupportedFeature
from ardoise.odsql.typed import NUMERIC, TEMPORAL, Builder, Resolver, Scope, Typed

VALUE_CLAUSES = frozenset({"select", "where", "group_by", "order_by"})
AGGREGATE_CLAUSES = frozenset({"select", "order_by"})
FILTER_CLAUSES = frozenset({"where"})


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    build: Builder
    kind: str  # scalar, aggregate, predicate, grouping, ordering, unsupported
    clauses: frozenset[str]
    min_args: int
    max_args: int | None
    named: bool = False  # accepts ``name=value`` arguments (now())

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.build) or ""

    def check(self, r: Resolver, node: ast.Call, scope: Scope) -> None:
        where = f"the {scope.clause} clause"
        if self.kind == "unsupported":
            self.build(r, node, scope)
        if scope.clause not in self.clauses:
            raise r.error(f"Function {self.name}() is not allowed in {where}", node, scope)
        if self.kind == "aggregate" and not scope.aggregates:
            raise r.error(
                f"Aggregate function {self.name}() is not allowed in {where}", node, scope
            )
        n = len(node.args)
        if n < self.min_args or (self.max_args is not None and n > self.max_args):
            expected = (
                str(self.min_args)
                if self.min_args == self.max_args
                else f"{self.min_args} to {self.max_args}"
                if self.max_args is not None
                else f"at least {self.min_args}"
            )
            raise r.error(
                f"Function {self.name}() expects {expected} argument(s), got {n}", node, scope
            )
        if node.distinct and self.name != "count":
            raise r.error(f"DISTINCT is only allowed in count(), not in {self.name}()", node, scope)
        for arg in node.args:
            if isinstance(arg, ast.NamedArg) and not self.named:
                raise r.error(f"Named arguments are not allowed in {self.name}()", arg, scope)
            if isinstance(arg, ast.Star) and self.name not in (
                "count",
                "search",
                "suggest",
                "startswith",
                "range",
            ):
                raise r.error(f"'*' is not allowed in {self.name}()", arg, scope)


def unsupported(reason: str) -> Builder:
    def build(r: Resolver, call: ast.Call, scope: Scope) -> Typed:
        raise UnsupportedFeature(
            f"{call.name}() : non supporté ({reason})",
            clause=scope.clause,
            col=call.pos + 1,
            highlight=call.name,
        )

    build.__doc__ = f"Not supported by Ardoise: {reason}."
    return build


def _spec(
    name: str,
    build: Builder,
    kind: str,
    clauses: frozenset[str],
    lo: int,
    hi: int | None,
    named: bool = False,
) -> tuple[str, FunctionSpec]:
    return name, FunctionSpec(name, build, kind, clauses, lo, hi, named)


_NUM_OR_DATE = NUMERIC | TEMPORAL

FUNCTIONS: dict[str, FunctionSpec] = dict(
    [
        # scalar
        *(
            _spec(p, scalars.date_part(p), "scalar", VALUE_CLAUSES, 1, 1)
            for p in ("year", "quarter", "month", "day", "hour", "minute", "second")
        ),
        _spec("date_format", scalars.build_date_format, "scalar", VALUE_CLAUSES, 2, 2),
        _spec("now", scalars.build_now, "scalar", VALUE_CLAUSES, 0, None, named=True),
        _spec(
            "lower",
            scalars.text_function("lower", "text", "``lower(text)``: lower-case text."),
            "scalar",
            VALUE_CLAUSES,
            1,
            1,
        ),
        _spec(
            "upper",
            scalars.text_function("upper", "text", "``upper(text)``: upper-case text."),
            "scalar",
            VALUE_CLAUSES,
            1,
            1,
        ),
        _spec(
            "length",
            scalars.text_function("length", "int", "``length(text)``: number of characters."),
            "scalar",
            VALUE_CLAUSES,
            1,
            1,
        ),
        _spec("ifnull", scalars.build_ifnull, "scalar", VALUE_CLAUSES, 2, 2),
        _spec(
            "distance",
            geo.build_distance,
            "scalar",
            frozenset({"select", "where", "order_by"}),
            2,
            2,
        ),
        # aggregates
        _spec("count", aggregates.build_count, "aggregate", AGGREGATE_CLAUSES, 0, 1),
        _spec(
            "avg",
            aggregates.statistic("avg", NUMERIC, "``avg(number)``: the mean.", False),
            "aggregate",
            AGGREGATE_CLAUSES,
            1,
            1,
        ),
        _spec(
            "sum",
            aggregates.statistic("sum", NUMERIC, "``sum(number)``: the total.", True),
            "aggregate",
            AGGREGATE_CLAUSES,
            1,
            1,
        ),
        _spec(
            "min",
            aggregates.statistic(
                "min", _NUM_OR_DATE, "``min(number|date)``: the smallest value.", True
            ),
            "aggregate",
            AGGREGATE_CLAUSES,
            1,
            1,
        ),
        _spec(
            "max",
            aggregates.statistic(
                "max", _NUM_OR_DATE, "``max(number|date)``: the largest value.", True
            ),
            "aggregate",
            AGGREGATE_CLAUSES,
            1,
            1,
        ),
        _spec(
            "median",
            aggregates.statistic("median", NUMERIC, "``median(number)``: the median.", False),
            "aggregate",
            AGGREGATE_CLAUSES,
            1,
            1,
        ),
        _spec("percentile", aggregates.build_percentile, "aggregate", AGGREGATE_CLAUSES, 2, 2),
        _spec("envelope", geo.build_envelope, "aggregate", AGGREGATE_CLAUSES, 1, 1),
        _spec("bbox", geo.build_envelope, "aggregate", AGGREGATE_CLAUSES, 1, 1),
        # predicates
        _spec("search", text.build_search, "predicate", FILTER_CLAUSES, 1, None),
        _spec("suggest", text.build_suggest, "predicate", FILTER_CLAUSES, 1, None),
        _spec("startswith", text.build_startswith, "predicate", FILTER_CLAUSES, 2, None),
        _spec("within_distance", geo.build_within_distance, "predicate", FILTER_CLAUSES, 3, 3),
        _spec("in_bbox", geo.build_in_bbox, "predicate", FILTER_CLAUSES, 5, 5),
        _spec("intersects", geo.shape_predicate("intersects"), "predicate", FILTER_CLAUSES, 2, 2),
        _spec("within", geo.shape_predicate("within"), "predicate", FILTER_CLAUSES, 2, 2),
        _spec("disjoint", geo.shape_predicate("disjoint"), "predicate", FILTER_CLAUSES, 2, 2),
        # grouping and ordering
        _spec("range", grouping.build_range, "grouping", frozenset({"group_by"}), 2, None),
        _spec("random", grouping.build_random, "ordering", frozenset({"order_by"}), 0, 1),
        # known, not implemented
        _spec(
            "geo_cluster",
            unsupported("regroupement géographique"),
            "unsupported",
            VALUE_CLAUSES,
            0,
            None,
        ),
        _spec(
            "vector_similarity",
            unsupported("recherche sémantique"),
            "unsupported",
            VALUE_CLAUSES,
            0,
            None,
        ),
        _spec(
            "vector_similarity_threshold",
            unsupported("recherche sémantique"),
            "unsupported",
            VALUE_CLAUSES,
            0,
            None,
        ),
        _spec(
            "json_format", unsupported("pas de champ JSON"), "unsupported", VALUE_CLAUSES, 0, None
        ),
    ]
)
