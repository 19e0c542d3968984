from __future__ import annotations

import pytest

from ardoise.odsql.errors import QueryError
from ardoise.odsql.schema import Schema
from ardoise.query.compile import compile_records
from ardoise.query.model import RecordsQuery
from ardoise.query.plan_cache import _compiled, compile_cached

SCHEMA = Schema("t", (("a", "text"), ("d", "datetime")))


def test_same_query_compiles_once_and_equals_a_fresh_compile() -> None:
    _compiled.cache_clear()
    q = RecordsQuery(where='a = "x"', limit=5)
    first = compile_cached(q, SCHEMA)
    second = compile_cached(RecordsQuery(where='a = "x"', limit=5), SCHEMA)
    assert first is second and _compiled.cache_info().hits == 1
    fresh = compile_records(q, SCHEMA)
    assert (first.sql, first.params) == (fresh.sql, fresh.params)


def test_now_is_never_cached_and_errors_still_raise() -> None:
    _compiled.cache_clear()
    q = RecordsQuery(where="d < now()")
    compile_cached(q, SCHEMA)
    compile_cached(q, SCHEMA)
    assert _compiled.cache_info().currsize == 0
    for _ in range(2):
        with pytest.raises(QueryError):
            compile_cached(RecordsQuery(where="b = 1"), SCHEMA)
