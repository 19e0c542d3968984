"""Recursive-descent ODSQL parser. Each API parameter is parsed on its own.

Grammar (lowest precedence first; keywords are case-insensitive)::

    or_expr     := and_expr (OR and_expr)*
    and_expr    := not_expr (AND not_expr)*
    not_expr    := NOT not_expr | predicate
    predicate   := additive [ cmp additive | [NOT] IN "(" list ")" | [NOT] LIKE additive
                             | IS [NOT] (NULL | TRUE | FALSE) ]
    additive    := term (("+" | "-") term)*
    term        := unary (("*" | "/" | "%") unary)*
    unary       := ("-" | "+") unary | primary
    primary     := literal | field | call | "(" or_expr ")"
    call        := name "(" [DISTINCT] [arg ("," arg)*] ")"      arg := "*" | name "=" expr | expr

Recursion is bounded by ``limits.MAX_DEPTH``; ``RecursionError`` can never escape.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from ardoise.odsql import ast, limits
from ardoise.odsql.errors import LimitExceeded, OdsqlSyntaxError
from ardoise.odsql.tokens import Kind, Token, tokenize

T = TypeVar("T")

# Words that can never be an unquoted field name (backquote them: `desc`).
RESERVED: frozenset[str] = frozenset(
    {
        "and",
        "or",
        "not",
        "in",
        "like",
        "is",
        "null",
        "true",
        "false",
        "as",
        "asc",
        "desc",
        "distinct",
    }
)
COMPARISONS = {
    "=": "=",
    ":": "=",
    "!=": "!=",
    "<>": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
}
# Units accepted after a number inside a function call: within_distance(…, 5km), range(d, 1 month).
UNITS: frozenset[str] = frozenset(
    {
        "m",
        "km",
        "mi",
        "yd",
        "ft",
        "cm",
        "mm",
        "year",
        "years",
        "month",
        "months",
        "week",
        "weeks",
        "day",
        "days",
        "hour",
        "hours",
        "minute",
        "minutes",
        "second",
        "seconds",
    }
)
_PATTERN = re.compile(r"[A-Za-z0-9_*]+")


class _Parser:
    def __init__(self, text: str, clause: str) -> None:
        if not isinstance(text, str):
            raise OdsqlSyntaxError("Clause must be text", clause=clause, col=None)
        limits.check_clause_length(text, clause)
        self.text = text
        self.clause = clause
        self.tokens = tokenize(text, clause)
        self.i = 0
        self.depth = 0
        self.leaves = 0

    # --- token helpers ------------------------------------------------------------

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def next_tok(self, k: int = 1) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind is not Kind.EOF:
            self.i += 1
        return tok

    def error(self, description: str, tok: Token | None = None) -> OdsqlSyntaxError:
        tok = tok or self.tok
        return OdsqlSyntaxError(
            description, clause=self.clause, col=tok.pos + 1, highlight=self.text[tok.pos : tok.end]
        )

    def unexpected(self, expected: str) -> OdsqlSyntaxError:
        tok = self.tok
        if tok.kind is Kind.EOF:
            return self.error(f"Unexpected end of input, expected {expected}")
        shown = self.text[tok.pos : tok.end]
        return self.error(f"Unexpected {tok.kind.value} '{shown[:40]}', expected {expected}")

    def expect_op(self, op: str) -> Token:
        if not self.tok.is_op(op):
            raise self.unexpected(f"'{op}'")
        return self.advance()

    def accept_keyword(self, *words: str) -> Token | None:
        if self.tok.is_keyword(*words):
            return self.advance()
        return None

    def nested(self, parse: Callable[[], T]) -> T:
        """Run ``parse`` one level deeper, refusing pathological nesting."""
        self.depth += 1
        if self.depth > limits.MAX_DEPTH:
            raise LimitExceeded(
                f"ODSQL query is malformed: the {self.clause} clause is nested too deeply "
                f"(maximum depth {limits.MAX_DEPTH}) (column {self.tok.pos + 1}). "
                f"Clause(s) containing the error(s): {self.clause}.",
                clause=self.clause,
                col=self.tok.pos + 1,
            )
        result = parse()
        self.depth -= 1
        return result

    def finish(self) -> None:
        if self.tok.kind is not Kind.EOF:
            raise self.unexpected(
                "',' or end of clause" if self.clause != "where" else "end of clause"
            )

    # --- expressions ----------------------------------------------------------------

    def or_expr(self) -> ast.Expr:
        start = self.tok.pos
        operands = [self.and_expr()]
        while self.accept_keyword("or"):
            operands.append(self.and_expr())
        if len(operands) == 1:
            return operands[0]
        return ast.Or(tuple(operands), pos=start, end=operands[-1].end)

    def and_expr(self) -> ast.Expr:
        start = self.tok.pos
        operands = [self.not_expr()]
        while self.accept_keyword("and"):
            operands.append(self.not_expr())
        if len(operands) == 1:
            return operands[0]
        return ast.And(tuple(operands), pos=start, end=operands[-1].end)

    def not_expr(self) -> ast.Expr:
        tok = self.accept_keyword("not")
        if tok is None:
            return self.predicate()
        operand = self.nested(self.not_expr)
        return ast.Not(operand, pos=tok.pos, end=operand.end)

    def predicate(self) -> ast.Expr:
        left = self.additive()
        tok = self.tok
        if tok.kind is Kind.OP and tok.value in COMPARISONS:
            self.advance()
            right = self.additive()
            return ast.Compare(COMPARISONS[tok.value], left, right, pos=left.pos, end=right.end)
        negated = False
        if tok.is_keyword("not") and self.next_tok().is_keyword("in", "like"):
            self.advance()
            negated = True
        if self.accept_keyword("in"):
            return self.in_list(left, negated)
        if self.accept_keyword("like"):
            pattern = self.additive()
            return ast.Like(left, pattern, negated, pos=left.pos, end=pattern.end)
        if self.accept_keyword("is"):
            negated = self.accept_keyword("not") is not None
            word = self.accept_keyword("null", "true", "false")
            if word is None:
                raise self.unexpected("NULL, TRUE or FALSE")
            if word.value.lower() == "null":
                return ast.IsNull(left, negated, pos=left.pos, end=word.end)
            return ast.IsBool(
                left, word.value.lower() == "true", negated, pos=left.pos, end=word.end
            )
        return left

    def in_list(self, left: ast.Expr, negated: bool) -> ast.Expr:
        open_tok = self.expect_op("(")
        values: list[ast.Expr] = []
        while True:
            values.append(self.nested(self.additive))
            limits.check_count(
                "values in IN (...)", len(values), limits.MAX_IN_LIST, self.clause, open_tok.pos + 1
            )
            if not self.tok.is_op(","):
                break
            self.advance()
        close = self.expect_op(")")
        return ast.InList(left, tuple(values), negated, pos=left.pos, end=close.end)

    def additive(self) -> ast.Expr:
        left = self.term()
        while self.tok.is_op("+", "-"):
            op = self.advance().value
            right = self.term()
            left = ast.Arith(op, left, right, pos=left.pos, end=right.end)
        return left

    def term(self) -> ast.Expr:
        left = self.unary()
        while self.tok.is_op("*", "/", "%"):
            op = self.advance().value
            right = self.unary()
            left = ast.Arith(op, left, right, pos=left.pos, end=right.end)
        return left

    def unary(self) -> ast.Expr:
        if self.tok.is_op("-", "+"):
            tok = self.advance()
            operand = self.nested(self.unary)
            if tok.value == "+":
                return operand
            if isinstance(operand, ast.Number) and not operand.text.startswith("-"):
                return ast.Number("-" + operand.text, pos=tok.pos, end=operand.end)
            return ast.Neg(operand, pos=tok.pos, end=operand.end)
        return self.primary()

    def primary(self) -> ast.Expr:
        tok = self.tok
        kind = tok.kind
        self.leaves += 1  # fail fast on huge flat chains (a and b and c …), before measuring
        if self.leaves > limits.MAX_NODES:
            limits.check_tree(self.leaves, 0, self.clause)
        if kind is Kind.NUMBER:
            self.advance()
            number = ast.Number(tok.value, pos=tok.pos, end=tok.end)
            unit = self.tok
            if (
                unit.kind is Kind.IDENT
                and unit.value.lower() in UNITS
                and self.depth > 0
                and not self.next_tok().is_op("(")
            ):
                self.advance()
                return ast.Distance(number, unit.value.lower(), pos=tok.pos, end=unit.end)
            return number
        if kind is Kind.STRING:
            self.advance()
            return ast.String(tok.value, pos=tok.pos, end=tok.end)
        if kind is Kind.DATE:
            self.advance()
            return ast.DateLit(tok.value, pos=tok.pos, end=tok.end)
        if kind is Kind.GEOM:
            self.advance()
            return ast.GeomLit(tok.value, pos=tok.pos, end=tok.end)
        if kind is Kind.QIDENT:
            self.advance()
            return ast.Field(tok.value, quoted=True, pos=tok.pos, end=tok.end)
        if tok.is_op("("):
            self.advance()
            inner = self.nested(self.or_expr)
            self.expect_op(")")
            return inner
        if kind is Kind.IDENT:
            word = tok.value.lower()
            if self.next_tok().is_op("("):
                return self.call()
            if word in ("true", "false"):
                self.advance()
                return ast.Bool(word == "true", pos=tok.pos, end=tok.end)
            if word == "null":
                self.advance()
                return ast.Null(pos=tok.pos, end=tok.end)
            if word in RESERVED:
                raise self.error(
                    f"Unexpected keyword '{tok.value.upper()}', expected an expression"
                )
            self.advance()
            return ast.Field(tok.value, pos=tok.pos, end=tok.end)
        raise self.unexpected("an expression")

    def call(self) -> ast.Expr:
        name_tok = self.advance()
        self.expect_op("(")
        distinct = self.accept_keyword("distinct") is not None
        args: list[ast.Expr] = []
        if not self.tok.is_op(")"):
            while True:
                args.append(self.nested(self.argument))
                limits.check_count(
                    "function arguments",
                    len(args),
                    limits.MAX_IN_LIST,
                    self.clause,
                    name_tok.pos + 1,
                )
                if not self.tok.is_op(","):
                    break
                self.advance()
        close = self.expect_op(")")
        return ast.Call(
            name_tok.value.lower(), tuple(args), distinct, pos=name_tok.pos, end=close.end
        )

    def argument(self) -> ast.Expr:
        tok = self.tok
        if tok.is_op("*"):
            self.advance()
            return ast.Star(pos=tok.pos, end=tok.end)
        if (
            tok.kind is Kind.IDENT
            and self.next_tok().is_op("=")
            and tok.value.lower() not in RESERVED
        ):
            self.advance()
            self.advance()
            value = self.additive()
            return ast.NamedArg(tok.value.lower(), value, pos=tok.pos, end=value.end)
        return self.or_expr()

    # --- clause items -----------------------------------------------------------------

    def alias(self) -> str | None:
        if self.accept_keyword("as") is None:
            return None
        tok = self.tok
        if tok.kind is Kind.QIDENT or (
            tok.kind is Kind.IDENT and tok.value.lower() not in RESERVED
        ):
            self.advance()
            return tok.value
        raise self.unexpected("an alias name after AS")

    def include(self) -> ast.Expr:
        name_tok = self.advance()
        open_tok = self.expect_op("(")
        while not self.tok.is_op(")"):
            if self.tok.kind is Kind.EOF:
                raise self.unexpected("')'")
            self.advance()
        close = self.advance()
        raw = self.text[open_tok.end : close.pos]
        patterns = tuple(p.strip() for p in raw.split(","))
        for pattern in patterns:
            if not _PATTERN.fullmatch(pattern):
                raise self.error(
                    f"Invalid pattern in {name_tok.value.lower()}(): '{pattern[:40]}'", open_tok
                )
        is_exclude = name_tok.value.lower() == "exclude"
        return ast.Include(patterns, is_exclude, pos=name_tok.pos, end=close.end)

    def items(self, parse_item: Callable[[], T]) -> tuple[T, ...]:
        out = [parse_item()]
        while self.tok.is_op(","):
            self.advance()
            out.append(parse_item())
            limits.check_count("items", len(out), limits.MAX_ITEMS, self.clause, self.tok.pos + 1)
        self.finish()
        return tuple(out)

    def select_item(self) -> ast.SelectItem:
        tok = self.tok
        if tok.is_op("*") and (self.next_tok().is_op(",") or self.next_tok().kind is Kind.EOF):
            self.advance()
            return ast.SelectItem(
                ast.Star(pos=tok.pos, end=tok.end), None, "*", pos=tok.pos, end=tok.end
            )
        if tok.is_keyword("include", "exclude") and self.next_tok().is_op("("):
            node = self.include()
            return ast.SelectItem(
                node, None, self.text[node.pos : node.end], pos=node.pos, end=node.end
            )
        expr = self.or_expr()
        text = self.text[expr.pos : expr.end]
        alias = self.alias()
        return ast.SelectItem(expr, alias, text, pos=expr.pos, end=self.tokens[self.i - 1].end)

    def group_item(self) -> ast.GroupItem:
        expr = self.or_expr()
        text = self.text[expr.pos : expr.end]
        alias = self.alias()
        return ast.GroupItem(expr, alias, text, pos=expr.pos, end=self.tokens[self.i - 1].end)

    def order_item(self) -> ast.OrderItem:
        start = self.tok
        minus = start.is_op("-")
        if minus:
            self.advance()
        expr = self.or_expr()
        text = self.text[expr.pos : expr.end]
        direction = self.accept_keyword("asc", "desc")
        if minus and direction is not None:
            raise self.error("Sort direction given twice ('-' and ASC/DESC)", direction)
        descending = minus or (direction is not None and direction.value.lower() == "desc")
        return ast.OrderItem(expr, descending, text, pos=start.pos, end=self.tokens[self.i - 1].end)


def _run(
    text: str, clause: str, body: Callable[[_Parser], T], nodes: Callable[[T], tuple[ast.Node, ...]]
) -> T:
    try:
        parser = _Parser(text, clause)
        if parser.tok.kind is Kind.EOF:
            raise OdsqlSyntaxError("Empty clause", clause=clause, col=1)
        result = body(parser)
    except RecursionError:  # belt and braces: MAX_DEPTH keeps us far below the limit
        raise LimitExceeded(
            f"ODSQL query is malformed: the {clause} clause is nested too deeply. "
            f"Clause(s) containing the error(s): {clause}.",
            clause=clause,
        ) from None
    count, depth = ast.measure(nodes(result))
    limits.check_tree(count, depth, clause)
    return result


def _where(p: _Parser) -> ast.Expr:
    expr = p.or_expr()
    p.finish()
    return expr


def parse_where(text: str) -> ast.Expr:
    """Parse one ``where`` parameter into a boolean expression tree."""
    return _run(text, "where", _where, lambda e: (e,))


def parse_select(text: str) -> tuple[ast.SelectItem, ...]:
    """Parse ``select``: ``*``, expressions with ``AS`` aliases, ``include()``/``exclude()``."""
    return _run(text, "select", lambda p: p.items(p.select_item), lambda items: items)


def parse_group_by(text: str) -> tuple[ast.GroupItem, ...]:
    """Parse ``group_by``: expressions (fields, ``range()``, date functions) with aliases."""
    return _run(text, "group_by", lambda p: p.items(p.group_item), lambda items: items)


def parse_order_by(text: str) -> tuple[ast.OrderItem, ...]:
    """Parse ``order_by``: ``expr [ASC|DESC]`` or ``-expr``, comma separated."""
    return _run(text, "order_by", lambda p: p.items(p.order_item), lambda items: items)
