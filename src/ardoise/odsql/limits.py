"""The input caps of the language (ours, after sqlglot's ``max_nodes``): clause length, AST
size and depth, ``IN`` list length, number of items, refines, geometry size, search terms.

The records window caps (``limit``, ``offset``) are the query layer's: ``ardoise.query.limits``.
"""

from __future__ import annotations

from ardoise.odsql.errors import LimitExceeded

MAX_CLAUSE_LENGTH = 10_000  # characters per clause (each where, select, …)
MAX_WHERE_CLAUSES = 20  # repeated ?where= parameters
MAX_NODES = 2_000  # AST nodes per clause
MAX_DEPTH = 32  # AST depth per clause (parentheses, NOT chains, arithmetic)
MAX_IN_LIST = 1_000  # values in one IN (...)
MAX_ITEMS = 200  # items in select / group_by / order_by
MAX_REFINES = 100  # refine + exclude pairs
MAX_GEOM_VERTICES = 10_000  # vertices in one geom'...' literal
MAX_SEARCH_TERMS = 20  # words in one full-text term


def check_clause_length(text: str, clause: str) -> None:
    if len(text) > MAX_CLAUSE_LENGTH:
        raise LimitExceeded(
            f"ODSQL query is malformed: the {clause} clause is {len(text)} characters long, "
            f"the maximum is {MAX_CLAUSE_LENGTH}. Clause(s) containing the error(s): {clause}.",
            clause=clause,
        )


def check_tree(count: int, depth: int, clause: str) -> None:
    if count > MAX_NODES:
        raise LimitExceeded(
            f"ODSQL query is malformed: the {clause} clause has {count} elements, "
            f"the maximum is {MAX_NODES}. Clause(s) containing the error(s): {clause}.",
            clause=clause,
        )
    if depth > MAX_DEPTH:
        raise LimitExceeded(
            f"ODSQL query is malformed: the {clause} clause is nested too deeply "
            f"(maximum depth {MAX_DEPTH}). Clause(s) containing the error(s): {clause}.",
            clause=clause,
        )


def check_count(what: str, count: int, maximum: int, clause: str, col: int | None = None) -> None:
    if count > maximum:
        raise LimitExceeded(
            f"ODSQL query is malformed: too many {what} ({count}, the maximum is {maximum}). "
            f"Clause(s) containing the error(s): {clause}.",
            clause=clause,
            col=col,
        )
