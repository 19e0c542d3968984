"""Checks on the arguments of an ODSQL function call, shared by the function builders."""

from __future__ import annotations

import math

from ardoise.odsql import ast
from ardoise.odsql.typed import Resolver, Scope, Typed


def number_arg(r: Resolver, node: ast.Expr, scope: Scope, what: str) -> int | float:
    if not isinstance(node, ast.Number) or not math.isfinite(node.value):
        raise r.error(f"{what} must be a number", node, scope)
    return node.value


def string_arg(r: Resolver, node: ast.Expr, scope: Scope, what: str) -> str:
    if not isinstance(node, ast.String):
        raise r.error(f"{what} must be a string literal", node, scope)
    return node.value


def typed_arg(r: Resolver, node: ast.Expr, scope: Scope, types: frozenset[str], what: str) -> Typed:
    return r.require(r.expr(node, scope), types, node, scope, what)
