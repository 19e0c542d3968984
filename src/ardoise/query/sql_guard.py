"""The SQL researchers send (``/api/v1/sql``), checked before it runs: safe by construction.

The text is parsed with sqlglot (DuckDB dialect) and accepted only when it is one
``SELECT`` (or ``WITH … SELECT``, or a set operation of selects) that reads tables of the
allow-list it is given (the datasets, indicator and territory tables of releases, see
``query/sql_tables.py``). Every table reference is rewritten to an internal view name
(``__ardoise_t0``…) that the runner creates over the one Parquet file the allow-list maps it
to: a path never comes from the request. Table functions (``read_csv``, ``range``…),
functions that touch files, settings or the catalogue (``getenv``, ``current_setting``,
``duckdb_tables``…), system schemas and every statement but a select (``PRAGMA``, ``SET``,
``ATTACH``, ``COPY``, ``INSTALL``/``LOAD``…) are refused with a French message. The SQL
that runs is the one sqlglot writes back from the checked tree (comments dropped), so
what was checked is what runs.

Bound parameters are written ``:nom`` (or ``$nom``); ``EXPLAIN`` before the query asks
for its plan instead of its rows.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.errors import SqlglotError
from sqlglot.tokenizer_core import TokenType

from ardoise.odsql.errors import LimitExceeded, QueryError

MAX_SQL_CHARS = 20_000
MAX_NODES = 5_000
MAX_PARAMETERS = 50
_EXPLAIN = re.compile(r"\s*explain\s+", re.IGNORECASE)
_PARAMETER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
# Functions that read or write files, the network, settings or the engine's catalogue,
# or that run SQL text: refused even though the engine is locked down too.
_FORBIDDEN_FUNCTION = re.compile(
    r"(read_|parquet_|sniff_|glob$|getenv$|current_setting$|query$|query_table$|duckdb_|"
    r"pragma_|which_secret$|load|install|iceberg|delta_|http|s3|sqlite_|postgres_|mysql_|"
    r"arrow_scan|pandas_scan|python_|checkpoint|force_checkpoint|enable_|disable_|set_|"
    r"get_current|summary$|test_|current_database$|current_schema|current_catalog|"
    r"current_user$|session_user$|user$|export_|import_|copy|attach|detach|"
    r"json_execute|execute|prepare|system|shell|write_|to_parquet|from_parquet|"
    r"repeat_row$|stats$|pg_|has_|col_description|obj_description|format_pg_type|"
    r"unnest_tokens|fts_|match_bm25|tpch|tpcds|dbgen|dsdgen|sql_auto_complete|st_read|"
    r".*_scan$|.*_query$|.*_metadata$|.*_schema$|.*_secret)",
    re.IGNORECASE,
)
# Functions whose result size is an argument (a billion-element list, a 2 GB string): the
# engine's memory limit does not cover such allocations, so they are refused outright.
_GENERATORS = frozenset(
    [
        "range",
        "generate_series",
        "repeat",
        "lpad",
        "rpad",
        "pad",
        "list_resize",
        "array_resize",
        "printf",
        "format",
        "bar",
        "space",
        "list_repeat",
        "array_repeat",
        "repeat_row",
        "unnest_generator",
    ]
)
_FORBIDDEN_NODES: tuple[type[exp.Expr], ...] = tuple(
    getattr(exp, name)
    for name in (
        "Command",
        "Pragma",
        "Set",
        "SetItem",
        "Copy",
        "Insert",
        "Update",
        "Delete",
        "Merge",
        "Create",
        "Drop",
        "Alter",
        "Use",
        "Attach",
        "Detach",
        "Install",
        "Load",
        "Export",
        "Describe",
        "Transaction",
        "Commit",
        "Rollback",
        "Into",
        "Summarize",
    )
    if hasattr(exp, name)
)
_ROOTS = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery)


class SqlRefused(QueryError):
    """The SQL is not one read-only select over the tables this caller may read."""

    error_code = "SQLError"


@dataclass(frozen=True)
class CheckedSql:
    """SQL ready to run: ``views`` maps each internal view name to its Parquet file;
    ``parameters`` are the names of its bound parameters; ``explain``: return the plan."""

    sql: str
    views: tuple[tuple[str, Path], ...]
    parameters: tuple[str, ...]
    explain: bool
    tables: tuple[str, ...]  # the names the query used, as resolved (for the answer)


def check_sql(
    text: str, tables: Mapping[str, Path], views: Mapping[Path, str] | None = None
) -> CheckedSql:
    """Parse, check and rewrite ``text``; ``tables`` is the caller's allow-list (lower-case
    name, or ``release.name``, → Parquet file); ``views``: the view name of each file in a
    database that holds them all (None: ``__ardoise_t0``… numbered for this query). Raise :class:`SqlRefused` (or
    ``LimitExceeded``) with a French message when it may not run."""
    if not text or not text.strip():
        raise SqlRefused("Requête SQL vide : écrivez une requête SELECT (paramètre q).")
    if len(text) > MAX_SQL_CHARS:
        raise LimitExceeded(
            f"Requête SQL trop longue : {len(text)} caractères (au plus {MAX_SQL_CHARS})."
        )
    if "\x00" in text:
        raise SqlRefused("Requête SQL invalide : caractère nul interdit.")
    explain = _EXPLAIN.match(text)
    body = text[explain.end() :] if explain else text
    root = _parse(_named_parameters(body))
    if not isinstance(root, _ROOTS):
        raise SqlRefused(
            "Seules les requêtes de lecture sont acceptées : SELECT ou WITH … SELECT "
            f"(instruction {_statement_name(root)} refusée)."
        )
    for nodes, node in enumerate(root.walk(), start=1):
        if nodes > MAX_NODES:
            raise LimitExceeded(f"Requête SQL trop complexe (plus de {MAX_NODES} nœuds).")
        _check_node(node)
    used_views, used = _rewrite_tables(root, tables, views or {})
    parameters = _parameters(root)
    sql = root.sql(dialect="duckdb", comments=False)
    return CheckedSql(sql, used_views, parameters, bool(explain), used)


def _named_parameters(text: str) -> str:
    """``:nom`` → ``$nom`` (DuckDB's spelling), outside strings and ``::`` casts."""
    try:
        tokens = DuckDB().tokenize(text)
    except SqlglotError as err:
        raise SqlRefused(f"Requête SQL invalide : {_first_line(err)}") from None
    out, last = [], 0
    for here, after in itertools.pairwise(tokens):
        if (
            here.token_type == TokenType.COLON
            and after.token_type == TokenType.VAR
            and after.start == here.end + 1
        ):
            out.append(text[last : here.start] + "$")
            last = here.end + 1
    out.append(text[last:])
    return "".join(out)


def _parse(text: str) -> exp.Expr:
    try:
        statements = sqlglot.parse(text, read="duckdb")
    except SqlglotError as err:
        raise SqlRefused(f"Requête SQL invalide : {_first_line(err)}") from None
    except RecursionError:
        raise LimitExceeded("Requête SQL trop imbriquée.") from None
    found = [s for s in statements if s is not None]
    if len(found) != 1:
        raise SqlRefused(
            "Une seule requête à la fois : retirez les points-virgules entre instructions."
            if found
            else "Requête SQL vide : écrivez une requête SELECT (paramètre q)."
        )
    return found[0]


def _statement_name(node: exp.Expr) -> str:
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    return node.key.upper()


def _check_node(node: exp.Expr) -> None:
    if isinstance(node, _FORBIDDEN_NODES):
        raise SqlRefused(
            f"Instruction {_statement_name(node)} refusée : seules les lectures (SELECT) "
            "sont acceptées."
        )
    if isinstance(node, exp.Func):
        name = _function_name(node)
        if name.lower() in _GENERATORS:
            raise SqlRefused(
                f"Fonction {name}() refusée : elle fabrique des valeurs de taille arbitraire "
                "(listes, chaînes) ; interrogez les tables de la release."
            )
        if _FORBIDDEN_FUNCTION.match(name):
            raise SqlRefused(
                f"Fonction {name}() refusée : elle accède aux fichiers, au réseau, aux "
                "réglages ou au catalogue du moteur."
            )
    if isinstance(node, exp.Placeholder) and not node.this:
        raise SqlRefused("Paramètre anonyme « ? » refusé : nommez-le (:nom) et passez p.nom=…")


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name)
    return node.sql_name()


VIEW_PREFIX = "__ardoise_t"  # the internal views; no name of the query may start so


def _cte_names(root: exp.Expr) -> set[str]:
    names = {cte.alias_or_name.lower() for cte in root.find_all(exp.CTE)}
    for name in names:
        if name.startswith(VIEW_PREFIX):
            raise SqlRefused(f"Nom de sous-requête réservé : {name[:40]}.")
    return names


def _rewrite_tables(
    root: exp.Expr, tables: Mapping[str, Path], named: Mapping[Path, str]
) -> tuple[tuple[tuple[str, Path], ...], tuple[str, ...]]:
    """Replace each table reference by its internal view; refuse what is not allowed."""
    ctes = _cte_names(root)
    views: dict[Path, str] = {}
    used: list[str] = []
    for table in list(root.find_all(exp.Table)):
        if not isinstance(table.this, exp.Identifier):
            raise SqlRefused(
                f"Source {table.this.sql('duckdb')[:80]} refusée : les fonctions de table "
                "(read_csv, range, generate_series…) sont interdites ; lisez les tables "
                "de la release."
            )
        if table.args.get("catalog"):
            raise SqlRefused(f"Nom de table refusé : {table.sql('duckdb')[:80]}.")
        name = table.name.lower()
        schema = table.db.lower()
        if not schema and name in ctes:
            continue
        key = f"{schema}.{name}" if schema else name
        path = tables.get(key)
        if path is None:
            raise SqlRefused(
                f"Table inconnue : {table.sql('duckdb')[:100]}. Les tables lisibles sont "
                "listées par /api/v1/sql/tables (un jeu d'une autre release s'écrit "
                '"<release>".<table>).'
            )
        view = views.setdefault(path, named.get(path) or f"{VIEW_PREFIX}{len(views)}")
        used.append(key)
        alias = table.alias or table.name
        replacement = exp.Table(
            this=exp.to_identifier(view),
            alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True)),
        )
        for arg in ("joins", "laterals", "pivots", "sample"):
            if table.args.get(arg):
                replacement.set(arg, table.args[arg])
        table.replace(replacement)
    return tuple((v, p) for p, v in views.items()), tuple(dict.fromkeys(used))


def _parameters(root: exp.Expr) -> tuple[str, ...]:
    names = []
    for node in root.find_all(exp.Placeholder):
        name = str(node.this)
        if not _PARAMETER_NAME.fullmatch(name):
            raise SqlRefused(f"Nom de paramètre invalide : {name[:40]}.")
        names.append(name.lower())
    found = tuple(dict.fromkeys(names))
    if len(found) > MAX_PARAMETERS:
        raise LimitExceeded(f"Trop de paramètres : {len(found)} (au plus {MAX_PARAMETERS}).")
    return found


def _first_line(err: Exception) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(err))
    return (text.splitlines()[0] if text else type(err).__name__)[:200]
