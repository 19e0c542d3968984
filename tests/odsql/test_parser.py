"""Tokenizer, parser and AST: structure, positions, case-insensitivity, error columns."""

from __future__ import annotations

import pytest

from ardoise.odsql import ast
from ardoise.odsql.errors import LimitExceeded, OdsqlSyntaxError
from ardoise.odsql.parser import parse_group_by, parse_order_by, parse_select, parse_where
from ardoise.odsql.tokens import Kind, tokenize


def test_tokens_and_positions() -> None:
    tokens = tokenize("academie >= 'Ly\\'on' AND `desc` <> 1.5e2", "where")
    assert [(t.kind, t.value, t.pos) for t in tokens] == [
        (Kind.IDENT, "academie", 0),
        (Kind.OP, ">=", 9),
        (Kind.STRING, "Ly'on", 12),
        (Kind.IDENT, "AND", 21),
        (Kind.QIDENT, "desc", 25),
        (Kind.OP, "<>", 32),
        (Kind.NUMBER, "1.5e2", 35),
        (Kind.EOF, "", 40),
    ]


def test_typed_literals() -> None:
    kinds = [
        t.kind for t in tokenize("date'2020' DATE\"2020/01\" geom'POINT(1 2)' dates 'x'", "where")
    ]
    assert kinds == [Kind.DATE, Kind.DATE, Kind.GEOM, Kind.IDENT, Kind.STRING, Kind.EOF]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a = 1", ast.Compare("=", ast.Field("a"), ast.Number("1"))),
        ("a : 'x'", ast.Compare("=", ast.Field("a"), ast.String("x"))),
        ("a <> 1", ast.Compare("!=", ast.Field("a"), ast.Number("1"))),
        ("NOT a", ast.Not(ast.Field("a"))),
        ("a OR b AND c", ast.Or((ast.Field("a"), ast.And((ast.Field("b"), ast.Field("c")))))),
        ("(a OR b) AND c", ast.And((ast.Or((ast.Field("a"), ast.Field("b"))), ast.Field("c")))),
        ("a and b and c", ast.And((ast.Field("a"), ast.Field("b"), ast.Field("c")))),
        (
            "1 + 2 * 3",
            ast.Arith("+", ast.Number("1"), ast.Arith("*", ast.Number("2"), ast.Number("3"))),
        ),
        (
            "1 - 2 - 3",
            ast.Arith("-", ast.Arith("-", ast.Number("1"), ast.Number("2")), ast.Number("3")),
        ),
        ("-a", ast.Neg(ast.Field("a"))),
        ("-2", ast.Number("-2")),
        ("a NOT IN (1, 'x')", ast.InList(ast.Field("a"), (ast.Number("1"), ast.String("x")), True)),
        ("a not like 'x*'", ast.Like(ast.Field("a"), ast.String("x*"), True)),
        ("a Is Not Null", ast.IsNull(ast.Field("a"), True)),
        ("a is false", ast.IsBool(ast.Field("a"), False)),
        ("`not` = true", ast.Compare("=", ast.Field("not", quoted=True), ast.Bool(True))),
        (
            "count(DISTINCT a) > 0",
            ast.Compare(">", ast.Call("count", (ast.Field("a"),), True), ast.Number("0")),
        ),
        ("f(*)", ast.Call("f", (ast.Star(),))),
        (
            "NOW(Years=-1) < d",
            ast.Compare(
                "<", ast.Call("now", (ast.NamedArg("years", ast.Number("-1")),)), ast.Field("d")
            ),
        ),
        (
            "within_distance(p, geom'POINT(1 2)', 5km)",
            ast.Call(
                "within_distance",
                (ast.Field("p"), ast.GeomLit("POINT(1 2)"), ast.Distance(ast.Number("5"), "km")),
            ),
        ),
        ("d > date'2020'", ast.Compare(">", ast.Field("d"), ast.DateLit("2020"))),
        ("'bare text'", ast.String("bare text")),
    ],
)
def test_where_trees(text: str, expected: ast.Expr) -> None:
    assert parse_where(text) == expected


def test_positions_are_kept_but_not_compared() -> None:
    tree = parse_where("  academie = 'x'")
    assert isinstance(tree, ast.Compare)
    assert (tree.left.pos, tree.left.end, tree.right.pos) == (2, 10, 13)
    assert tree == parse_where("academie='x'")


def test_select_items() -> None:
    items = parse_select("*, nom AS n, count(*), include(d*, uai), exclude(nom)")
    assert [i.text for i in items] == ["*", "nom", "count(*)", "include(d*, uai)", "exclude(nom)"]
    assert [i.alias for i in items] == [None, "n", None, None, None]
    assert items[3].expr == ast.Include(("d*", "uai"))
    assert items[4].expr == ast.Include(("nom",), exclude=True)


def test_group_and_order_items() -> None:
    groups = parse_group_by("range(ips, 10) as r, year(d)")
    assert [(g.text, g.alias) for g in groups] == [("range(ips, 10)", "r"), ("year(d)", None)]
    orders = parse_order_by("-ips, nom DESC, d asc, random(1)")
    assert [(o.text, o.descending) for o in orders] == [
        ("ips", True),
        ("nom", True),
        ("d", False),
        ("random(1)", False),
    ]


@pytest.mark.parametrize(
    ("text", "col", "fragment"),
    [
        ("a = ", 5, "Unexpected end of input"),
        ("a = = 1", 5, "Unexpected operator '='"),
        ("a = 'x", 5, "Unterminated string"),
        ("`a = 1", 1, "Unterminated backquoted"),
        ("`a b` = 1", 1, "Invalid field name"),
        ("a = 1 b", 7, "Unexpected identifier 'b'"),
        ("and = 1", 1, "Unexpected keyword 'AND'"),
        ("a is maybe", 6, "expected NULL, TRUE or FALSE"),
        ("a = 1 ; b", 7, "Unexpected character ';'"),
        ("a = \x00", 5, "Invalid character U+0000"),
        ("a = 'x\\0'", 7, "Invalid character U+0000"),
        ("", 1, "Empty clause"),
        ("   ", 1, "Empty clause"),
    ],
)
def test_syntax_errors_carry_a_column(text: str, col: int, fragment: str) -> None:
    with pytest.raises(OdsqlSyntaxError) as info:
        parse_where(text)
    assert info.value.col == col
    assert fragment in info.value.description
    assert info.value.clause == "where"
    assert info.value.message.startswith("ODSQL query is malformed: ")
    assert info.value.message.endswith("Clause(s) containing the error(s): where.")


def test_nesting_limit_names_the_column() -> None:
    with pytest.raises(LimitExceeded) as info:
        parse_where("(" * 60 + "a" + ")" * 60)
    assert info.value.col is not None and info.value.col < 60
    assert info.value.error_code == "ODSQLError"


def test_error_body_shape() -> None:
    with pytest.raises(OdsqlSyntaxError) as info:
        parse_order_by("ips desc desc")
    assert info.value.body() == {
        "error_code": "ODSQLError",
        "message": info.value.message,
        "position": {"clause": "order_by", "col": 10},
    }
