"""The language's input caps (``ardoise.odsql.limits``)."""

from __future__ import annotations

import pytest

from ardoise.odsql import limits
from ardoise.odsql.errors import LimitExceeded


def test_clause_length_cap() -> None:
    limits.check_clause_length("x" * limits.MAX_CLAUSE_LENGTH, "where")
    with pytest.raises(LimitExceeded):
        limits.check_clause_length("x" * (limits.MAX_CLAUSE_LENGTH + 1), "where")
