"""Small modules and short functions (issue #12, DESIGN.md): no function of src/ardoise is
longer than 80 lines and no module longer than 500. A longer one is a design question: split
it by what it owns, as the review's refactors did."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "ardoise"
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 500


def test_no_module_is_longer_than_500_lines() -> None:
    long = [
        f"{path.relative_to(SRC.parent)}: {n} lines"
        for path in sorted(SRC.rglob("*.py"))
        if (n := len(path.read_text("utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert not long, "modules past 500 lines:\n" + "\n".join(long)


def test_no_function_is_longer_than_80_lines() -> None:
    long = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(
                        f"{path.relative_to(SRC.parent)}:{node.lineno} {node.name}: {lines}"
                    )
    assert not long, "functions past 80 lines:\n" + "\n".join(long)
