"""ODSQL text Ardoise writes itself reads back as the same field name and value."""

from __future__ import annotations

import pytest

from ardoise.odsql import ast
from ardoise.odsql.literals import quote_field, quote_string
from ardoise.odsql.parser import parse_where


def test_odsql_field_quoting() -> None:
    assert quote_field("ips") == "ips"
    assert quote_field("2ndes_gt_filles") == "`2ndes_gt_filles`"
    assert quote_field("in") == "`in`"


@pytest.mark.parametrize("value", ["Lyon", 'Lycée "Ampère"', "a\\b", "l'école", ""])
def test_quoted_strings_parse_back(value: str) -> None:
    tree = parse_where(f"{quote_field('in')} = {quote_string(value)}")
    assert isinstance(tree, ast.Compare)
    assert isinstance(tree.left, ast.Field) and tree.left.name == "in"
    assert isinstance(tree.right, ast.String) and tree.right.value == value
