"""Compile a :class:`RecordsQuery` into one DuckDB statement with bound parameters.

>>> schema = Schema("records", (("academie", "text"), ("ips", "double")))
>>> q = compile_records(RecordsQuery(where='academie = "Lyon"', limit=10), schema)
>>> q.sql
'SELECT "records"."academie", "records"."ips" FROM "records" WHERE "records"."academie" = $p0 LIMIT 10'
>>> q.params
{'p0': 'Lyon'}

Phases: parse each clause (``odsql.parser``) → resolve names, types and functions against
the schema while building sqlglot expressions (``odsql.resolve``) → assemble the statement
here → render with ``.sql("duckdb", identify=True)``. Every value from the input is a
``$pN`` parameter; every identifier is quoted; the only table is ``schema.table``, and every
column is qualified with it (``"records"."ips"``) so that a select alias can never capture a
column name in ``order_by``.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlglot import exp

from ardoise.odsql import ast, dates, limits, parser
from ardoise.odsql.errors import InvalidParameter, LimitExceeded, OdsqlSyntaxError, UnknownField
from ardoise.odsql.resolve import Resolver
from ardoise.odsql.schema import Schema
from ardoise.odsql.typed import GEO, Env, Params, Scope, Typed
from ardoise.query.limits import Window, check_window
from ardoise.query.model import Column, CompiledQuery, RecordsQuery
from ardoise.referential.levels import LINKS
from ardoise.referential.load import canonical_code

_ALIAS = re.compile(r"\w+")  # AS aliases are identifier tokens; other names are input text


@dataclass(frozen=True)
class TerritoryFilter:
    """Rows whose link ``column`` holds one of ``codes`` (bound parameters, ORed).

    ``column`` None is France: every row. ``ardoise.query.territories`` builds richer
    filters (a commune with its arrondissements, an académie with those it replaced).
    """

    column: str | None
    codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowFilter:
    """The rows a reader's grant admits (issue #16): an ODSQL condition resolved against the
    dataset's full ``schema`` (it may name fields the reader cannot), ANDed before the
    reader's own clauses."""

    where: str
    schema: Schema


def _plain_territory(niveau: str, code: str) -> TerritoryFilter:
    """The plain filter of ``territoire=niveau:code`` (the level's link column, the code in
    the referential's form), used when the caller gives no richer ``TerritoryFilter``."""
    if niveau not in LINKS:
        raise InvalidParameter(
            f"Valeur invalide pour le paramètre territoire : niveau {niveau[:40]!r} inconnu "
            f"(niveaux possibles : {', '.join(LINKS)})."
        )
    column = LINKS[niveau]
    if column is None:
        return TerritoryFilter(None)
    value = code.strip().upper() if niveau == "etablissement" else canonical_code(niveau, code)
    return TerritoryFilter(column, (value,))


@dataclass(frozen=True)
class _Parsed:
    where: tuple[ast.Expr, ...]
    select: tuple[ast.SelectItem, ...] | None
    group_by: tuple[ast.GroupItem, ...]
    order_by: tuple[ast.OrderItem, ...]


@dataclass(frozen=True)
class _Output:
    name: str
    typed: Typed


def parse_query(query: RecordsQuery) -> _Parsed:
    wheres = query.where_clauses
    limits.check_count("where parameters", len(wheres), limits.MAX_WHERE_CLAUSES, "where")
    return _Parsed(
        where=tuple(parser.parse_where(w) for w in wheres),
        select=parser.parse_select(query.select) if query.select and query.select.strip() else None,
        group_by=parser.parse_group_by(query.group_by)
        if query.group_by and query.group_by.strip()
        else (),
        order_by=parser.parse_order_by(query.order_by)
        if query.order_by and query.order_by.strip()
        else (),
    )


def compile_records(
    query: RecordsQuery,
    schema: Schema,
    *,
    export: bool = False,
    now: datetime | None = None,
    extra_columns: tuple[str, ...] = (),
    territory: TerritoryFilter | None = None,
    row_filter: RowFilter | None = None,
) -> CompiledQuery:
    """Compile ``query`` against ``schema``; raise a ``QueryError`` subclass on bad input.

    ``export`` lifts the records caps (``limit=-1`` means all rows). ``now`` pins ``now()``.
    ``extra_columns`` are stored columns outside the ODSQL schema (``_recordid``…) appended,
    as text, to the outputs of a query that is not aggregated; ODSQL itself cannot name them.
    ``territory`` filters on a link column; by default it is read from ``query.territoire``.
    ``row_filter`` keeps the rows of a reader's grant (``query/access.py``).
    """
    parsed = parse_query(query)
    limits.check_count(
        "refine/exclude filters",
        len(query.refine) + len(query.exclude),
        limits.MAX_REFINES,
        "refine",
    )
    env = Env(
        schema, dates.zone(query.timezone), dates.lang_code(query.lang), now or datetime.now(UTC)
    )
    window = check_window(query.limit, query.offset, grouped=bool(parsed.group_by), export=export)
    if territory is None and query.territoire is not None:
        territory = _plain_territory(*query.territoire)
    try:
        main = _Statement(query, parsed, env, Params(), extra_columns, territory, row_filter)
        count = _Statement(query, parsed, env, Params(), (), territory, row_filter)
        return _assemble(main.build(window), count.build(None))
    except RecursionError:  # belt and braces: MAX_DEPTH keeps resolving and rendering shallow
        raise LimitExceeded("ODSQL query is malformed: the query is nested too deeply.") from None


def _assemble(main: CompiledQuery, count: CompiledQuery) -> CompiledQuery:
    return CompiledQuery(main.sql, main.params, main.columns, main.grouped, count)


class _Statement:
    def __init__(
        self,
        query: RecordsQuery,
        parsed: _Parsed,
        env: Env,
        params: Params,
        extra_columns: tuple[str, ...] = (),
        territory: TerritoryFilter | None = None,
        row_filter: RowFilter | None = None,
    ) -> None:
        self.extra_columns = extra_columns
        self.row_filter = row_filter
        self.territory = territory
        self.query = query
        self.parsed = parsed
        self.env = env
        self.params = params
        self.r = Resolver(env, params)
        # Built, not parsed: exp.to_table() would parse its argument as SQL.
        self.table = exp.Table(this=exp.Identifier(this=env.schema.table, quoted=True))

    def build(self, window: Window | None) -> CompiledQuery:
        """The records statement, or (``window`` None) the statement counting its rows/groups."""
        conditions = self.conditions()
        keys = self.group_keys()
        key_sql = frozenset(k.sql.sql("duckdb", identify=True) for _, k in keys)
        outputs = self.outputs(keys, key_sql)
        grouped = bool(keys)
        aggregated = grouped or any(o.typed.aggregate for o in outputs)
        if window is None:
            return self.count(conditions, keys, aggregated)
        projections = [self.projection(o, i) for i, o in enumerate(outputs)]
        extras = () if aggregated else self.extra_columns
        projections += [
            exp.Column(
                this=exp.Identifier(this=name, quoted=True),
                table=exp.Identifier(this=self.env.schema.table, quoted=True),
            )
            for name in extras
        ]
        # The statement is built in place (copy=False: no deep copy of the whole tree at each
        # step, half the cost of compiling); nodes that also appear elsewhere (group keys,
        # sorted outputs) are copied once, as the builders did.
        select = exp.select(*projections)
        select = select.from_(self.table, copy=False)
        if conditions is not None:
            select = select.where(conditions, copy=False)
        if keys:
            select = select.group_by(*[k.sql.copy() for _, k in keys], copy=False)
        order = self.order(outputs, keys, key_sql, aggregated)
        if order:
            select = select.order_by(*[o.copy() for o in order], copy=False)
        if window.limit is not None:
            select = select.limit(window.limit, copy=False)
        if window.offset:
            select = select.offset(window.offset, copy=False)
        columns = tuple(Column(o.name, o.typed.type) for o in outputs)
        columns += tuple(Column(name, "text") for name in extras)
        return CompiledQuery(self.render(select), self.used_params(select), columns, grouped)

    def used_params(self, statement: exp.Expr) -> dict[str, object]:
        """The parameters the statement uses (DuckDB refuses unused named parameters)."""
        used = {p.name for p in statement.find_all(exp.Placeholder)}
        return {k: v for k, v in self.params.values.items() if k in used}

    @staticmethod
    def projection(o: _Output, index: int) -> exp.Expr:
        """The select item; an output named after its text (``count(*)``) gets a positional
        alias so that no input text reaches the SQL. Names come from ``columns``."""
        sql = o.typed.sql
        if isinstance(sql, exp.Column) and sql.name == o.name:
            return sql
        alias = o.name if _ALIAS.fullmatch(o.name) else f"c{index}"
        return exp.alias_(sql, alias, quoted=True)

    def render(self, statement: exp.Expr) -> str:
        return statement.sql(dialect="duckdb", identify=True)

    # --- where, refine, exclude -------------------------------------------------------------

    def conditions(self) -> exp.Expr | None:
        parts = [self.r.condition(w, Scope("where")).sql for w in self.parsed.where]
        if self.row_filter is not None:
            parts.insert(0, exp.Paren(this=self.granted_rows(self.row_filter)))
        parts += self.refines()
        parts += [self.refine(f, v, "exclude") for f, v in self.query.exclude]
        if self.territory is not None and self.territory.column is not None:
            parts.append(self.territory_condition(self.territory.column, self.territory.codes))
        if len(parts) <= 1:
            return parts[0] if parts else None
        out = parts[0] if not isinstance(parts[0], exp.Connector) else exp.Paren(this=parts[0])
        for part in parts[1:]:
            out = exp.And(
                this=out,
                expression=exp.Paren(this=part) if isinstance(part, exp.Connector) else part,
            )
        return out

    def granted_rows(self, row_filter: RowFilter) -> exp.Expr:
        """The grant's condition, resolved against the full schema with the same parameters."""
        env = Env(row_filter.schema, self.env.tz, self.env.lang, self.env.now)
        where = parser.parse_where(row_filter.where)
        return Resolver(env, self.params).condition(where, Scope("where")).sql

    def territory_condition(self, column: str, codes: tuple[str, ...]) -> exp.Expr:
        target = exp.Column(
            this=exp.Identifier(this=column, quoted=True),
            table=exp.Identifier(this=self.env.schema.table, quoted=True),
        )
        if len(codes) == 1:
            return exp.EQ(this=target, expression=self.params.add(codes[0]))
        if not codes:
            return exp.false()
        return exp.In(this=target, expressions=[self.params.add(c) for c in codes])

    def refines(self) -> list[exp.Expr]:
        """One condition per refined field: several values of one field are ORed (the
        portal selects records having any of them), different fields are ANDed."""
        by_field: dict[str, list[exp.Expr]] = {}
        for name, value in self.query.refine:
            by_field.setdefault(name, []).append(self.refine(name, value, "refine"))
        out = []
        for tests in by_field.values():
            either = tests[0]
            for test in tests[1:]:
                either = exp.Or(this=either, expression=test)
            out.append(exp.Paren(this=either) if len(tests) > 1 else either)
        return out

    def refine(self, name: str, raw: str, clause: str) -> exp.Expr:
        limits.check_clause_length(raw, clause)
        found = self.env.schema.lookup(name)
        if found is None:
            raise UnknownField(name, clause=clause, col=None)
        column, kind = self.r.column(found[0]), found[1]
        value = raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] == '"' else raw
        if kind in GEO:
            raise OdsqlSyntaxError(f"Cannot {clause} on geo field {name}", clause=clause, col=None)
        span = (
            dates.period(value, self.env.tz, instants=kind == "datetime")
            if kind in ("date", "datetime")
            else None
        )
        if span is not None:
            test: exp.Expr = exp.And(
                this=exp.GTE(this=column, expression=self.params.add(span[0])),
                expression=exp.LT(this=column.copy(), expression=self.params.add(span[1])),
            )
        else:
            target = (
                column
                if kind == "text"
                else exp.Cast(this=column, to=exp.DataType.build("VARCHAR"))
            )
            test = exp.EQ(this=target, expression=self.params.add(value))
        if clause == "exclude":
            return exp.Not(this=exp.Paren(this=exp.func("coalesce", test, exp.false())))
        return test

    # --- group_by and select --------------------------------------------------------------------

    def select_aliases(self) -> dict[str, ast.Expr]:
        return {i.alias: i.expr for i in self.parsed.select or () if i.alias is not None}

    def group_keys(self) -> list[tuple[ast.GroupItem, Typed]]:
        scope = Scope("group_by", aliases=self.select_aliases())
        keys = []
        for item in self.parsed.group_by:
            t = self.r.expr(item.expr, scope)
            if t.aggregate:
                raise self.r.error("Cannot group by an aggregate", item, scope)
            if t.constant:
                raise self.r.error("Cannot group by a constant", item, scope)
            if t.type in GEO:
                raise self.r.error(
                    "Cannot group by a geo field (geo_cluster is not supported)", item, scope
                )
            keys.append((item, t))
        return keys

    def outputs(
        self, keys: list[tuple[ast.GroupItem, Typed]], key_sql: frozenset[str]
    ) -> list[_Output]:
        if self.parsed.select is None:
            if keys:
                return [_Output(item.alias or item.text, t) for item, t in keys]
            return self.fields(self.env.schema.names)
        group_aliases = {item.alias: t for item, t in keys if item.alias is not None}
        scope = Scope("select", aggregates=True, aliases=group_aliases, group_keys=key_sql)
        items = self.parsed.select
        out: list[_Output] = []
        if all(isinstance(i.expr, ast.Include) and i.expr.exclude for i in items):
            out = self.fields(self.env.schema.names)
        for item in items:
            if isinstance(item.expr, ast.Star):
                out += self.fields(self.env.schema.names)
            elif isinstance(item.expr, ast.Include):
                out = self.include(out, item.expr)
            else:
                out.append(_Output(item.alias or item.text, self.r.expr(item.expr, scope)))
        aggregated = bool(keys) or any(o.typed.aggregate for o in out)
        for o in out:
            if aggregated and o.typed.free:
                item = next((i for i in items if (i.alias or i.text) == o.name), items[0])
                raise OdsqlSyntaxError(
                    f"'{o.name}' must be aggregated or used in group_by",
                    clause="select",
                    col=item.pos + 1,
                    highlight=o.name,
                )
        if not out:
            raise OdsqlSyntaxError("The select clause selects no field", clause="select", col=1)
        return out

    def fields(self, names: tuple[str, ...]) -> list[_Output]:
        return [
            _Output(name, Typed(self.r.column(name), kind, free=True))
            for name, kind in self.env.schema.fields
            if name in names
        ]

    def include(self, current: list[_Output], node: ast.Include) -> list[_Output]:
        regexes = [re.compile(fnmatch.translate(p)) for p in node.patterns]
        matching = tuple(n for n in self.env.schema.names if any(rx.match(n) for rx in regexes))
        if node.exclude:
            return [o for o in current if o.name not in matching]
        have = {o.name for o in current}
        return current + [o for o in self.fields(matching) if o.name not in have]

    # --- order_by --------------------------------------------------------------------------------

    def order(
        self,
        outputs: list[_Output],
        keys: list[tuple[ast.GroupItem, Typed]],
        key_sql: frozenset[str],
        aggregated: bool,
    ) -> list[exp.Ordered]:
        aliases: dict[str, ast.Expr | Typed] = {item.alias: t for item, t in keys if item.alias}
        aliases.update({o.name: o.typed for o in outputs})
        basis = tuple(t.sql for _, t in keys) or tuple(
            self.r.column(n) for n in self.env.schema.names
        )
        scope = Scope(
            "order_by",
            aggregates=aggregated,
            aliases=aliases,
            alias_first=True,
            group_keys=key_sql,
            random_basis=basis,
        )
        out = []
        for item in self.parsed.order_by:
            t = self.r.expr(item.expr, scope)
            if aggregated and t.free:
                raise OdsqlSyntaxError(
                    f"'{item.text}' must be aggregated or used in group_by",
                    clause="order_by",
                    col=item.pos + 1,
                    highlight=item.text,
                )
            if t.type in GEO:
                raise self.r.error("Cannot sort by a geo field", item, scope)
            if t.constant:
                raise self.r.error("Cannot sort by a constant", item, scope)
            out.append(exp.Ordered(this=t.order or t.sql, desc=item.descending, nulls_first=False))
        if not out and keys:  # groups come back in key order, nulls last, like the portal
            out = [
                exp.Ordered(this=t.order or t.sql.copy(), desc=False, nulls_first=False)
                for _, t in keys
            ]
        return out

    # --- total_count -------------------------------------------------------------------------------

    def count(
        self, conditions: exp.Expr | None, keys: list[tuple[ast.GroupItem, Typed]], aggregated: bool
    ) -> CompiledQuery:
        inner = exp.select(exp.Count(this=exp.Star()) if not keys else exp.Literal.number(1))
        inner = inner.from_(self.table, copy=False)
        if conditions is not None:
            inner = inner.where(conditions, copy=False)
        if keys:
            inner = inner.group_by(*[k.sql.copy() for _, k in keys], copy=False)
        total = exp.alias_(exp.Count(this=exp.Star()), "total_count", quoted=True)
        if aggregated:
            statement = exp.select(total).from_(inner.subquery("groups", copy=False))
        else:
            statement = inner.select(total, append=False)
        return CompiledQuery(
            self.render(statement),
            self.used_params(statement),
            (Column("total_count", "int"),),
            bool(keys),
        )
