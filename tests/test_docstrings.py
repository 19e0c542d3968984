"""The examples written as ``>>>`` in the docstrings of src/ardoise run, and say what the
code does (issue #12: docstrings tell the truth; STYLE.md L14)."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
MODULES = sorted(
    ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
    for path in (SRC / "ardoise").rglob("*.py")
    if ">>> " in path.read_text("utf-8")
)


def test_some_docstrings_have_examples() -> None:
    assert len(MODULES) >= 5, MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    failed, attempted = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, report=True
    )
    # (an example marked ``# doctest: +SKIP`` needs a release on disk: not attempted)
    assert failed == 0, f"{name}: {failed} of {attempted} examples fail (see the output above)"
