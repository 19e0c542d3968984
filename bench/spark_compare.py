"""How ``make bench-spark`` compares the rows DuckDB and Spark give for one ODSQL case.

Standard library only: the main venv (which runs DuckDB) and ``.venv-spark`` (which runs
pyspark) both import it. Cells reach it in plain JSON form (``plain``): dates and
date-times as tagged strings, structs as dicts, decimals as floats.

Four normalisations, and only these, stand between the two engines' rows:

- a case without ``order_by`` has no defined row order in SQL: both sides are sorted
  before comparing (ODSQL pages without ``order_by`` follow the file order in DuckDB,
  ``preserve_insertion_order``; Spark promises nothing of the kind);
- in a case with ``order_by``, rows tied on its keys have no defined order either: when
  the rows differ, the case is judged again with its keys appended to each row
  (``same_up_to_ties``, the keys computed by ``bench/spark_cases.py``);
- floats are equal within a relative tolerance of 1e-9 (the two engines sum, average and
  compute trigonometry in their own order; the last bits may differ);
- an instant (a ``TIMESTAMPTZ`` column of a release) is written as its UTC wall time:
  DuckDB's client gives it as an aware ``datetime``, pyspark's as a naive one in the
  process's zone (UTC: ``bench/spark_run.py`` sets ``TZ``). A naive date-time (the
  fixture's ``TIMESTAMP``) is left as it is.

Everything else must be equal as is: NULLs, types as JSON sees them, strings.
"""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

REL_TOL = 1e-9
ABS_TOL = 1e-9


def plain(value: Any) -> Any:
    """A cell in the JSON form both sides compare (no rounding: the tolerance is in ``same``).

    >>> plain(date(2024, 1, 15))
    {'date': '2024-01-15'}
    >>> plain(datetime(2023, 1, 5, 8, 30))
    {'datetime': '2023-01-05T08:30:00'}
    >>> plain({"lon": Decimal("4.5"), "lat": [1, None]})
    {'lon': 4.5, 'lat': [1, None]}
    >>> from datetime import timedelta, timezone
    >>> plain(datetime(2022, 5, 27, 0, 0, tzinfo=timezone(timedelta(hours=2))))
    {'datetime': '2022-05-26T22:00:00'}
    """
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def same(a: Any, b: Any) -> bool:
    """Equal cells, floats within the tolerance; an int and a float of equal value are not
    the same cell (a type that changed is a difference).

    >>> same(0.1 + 0.2, 0.3), same(1.0, 1.001), same(None, 0), same([1, 2.0], [1, 2.0])
    (True, False, False, True)
    >>> same(2, 2.0), same(True, 1)
    (False, False)
    """
    if isinstance(a, float) and isinstance(b, float):
        return a == b or math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def _sort_key(row: list[Any]) -> str:
    """Rows sorted by their JSON with floats rounded to 6 places, so that two rows a last
    bit apart land at the same place on both sides."""

    def rounded(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, 6)
        if isinstance(value, list):
            return [rounded(v) for v in value]
        if isinstance(value, dict):
            return {k: rounded(v) for k, v in value.items()}
        return value

    return json.dumps(rounded(row), sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class Verdict:
    equal: bool
    why: str | None = None


def compare(duck: list[list[Any]], spark: list[list[Any]], *, ordered: bool) -> Verdict:
    """DuckDB's rows against Spark's; ``ordered`` when the case has an ``order_by``.

    >>> compare([[1, "a"], [2, "b"]], [[2, "b"], [1, "a"]], ordered=False)
    Verdict(equal=True, why=None)
    >>> compare([[1, "a"], [2, "b"]], [[2, "b"], [1, "a"]], ordered=True).why
    'ligne 1 : DuckDB [1, "a"], Spark [2, "b"]'
    >>> compare([[0.30000000000000004]], [[0.3]], ordered=True).equal
    True
    >>> compare([[1]], [], ordered=False).why
    '1 lignes pour DuckDB, 0 pour Spark'
    """
    if len(duck) != len(spark):
        return Verdict(False, f"{len(duck)} lignes pour DuckDB, {len(spark)} pour Spark")
    if not ordered:
        duck, spark = sorted(duck, key=_sort_key), sorted(spark, key=_sort_key)
    for i, (a, b) in enumerate(zip(duck, spark, strict=True), start=1):
        if not same(a, b):
            shown = (json.dumps(r, ensure_ascii=False) for r in (a, b))
            return Verdict(False, "ligne {} : DuckDB {}, Spark {}".format(i, *shown))
    return Verdict(True)


def strip_accents(text: str | None) -> str | None:
    """DuckDB's ``strip_accents``: canonical decomposition without its combining marks.

    >>> strip_accents("École Sainte-Thérèse"), strip_accents(None)
    ('Ecole Sainte-Therese', None)
    """
    if text is None:
        return None
    kept = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", kept)


def same_up_to_ties(
    duck: list[list[Any]], spark: list[list[Any]], *, keys: int, cut: bool
) -> Verdict:
    """Rows whose last ``keys`` cells are their ORDER BY keys: equal when both engines give
    the same keys in the same order and, within each run of equal keys (rows SQL leaves in
    no order), the same rows in any order. When the LIMIT was reached (``cut``), the last
    run may hold other tied rows: any of them is a right answer.

    >>> a = [["x", 1], ["y", 1], ["z", 2]]
    >>> same_up_to_ties(a, [["y", 1], ["x", 1], ["z", 2]], keys=1, cut=False)
    Verdict(equal=True, why=None)
    >>> same_up_to_ties(a, [["x", 1], ["z", 2], ["y", 1]], keys=1, cut=False).why
    'clé de tri, ligne 2 : DuckDB [1], Spark [2]'
    >>> same_up_to_ties([["x", 1], ["y", 2]], [["x", 1], ["w", 2]], keys=1, cut=True).equal
    True
    >>> same_up_to_ties([["x", 1], ["y", 2]], [["x", 1], ["w", 2]], keys=1, cut=False).equal
    False
    """
    if len(duck) != len(spark):
        return Verdict(False, f"{len(duck)} lignes pour DuckDB, {len(spark)} pour Spark")
    for i, (a, b) in enumerate(zip(duck, spark, strict=True), start=1):
        if not same(a[-keys:], b[-keys:]):
            shown = (json.dumps(r[-keys:], ensure_ascii=False) for r in (a, b))
            return Verdict(False, "clé de tri, ligne {} : DuckDB {}, Spark {}".format(i, *shown))
    starts = [
        i for i in range(len(duck)) if i == 0 or not same(duck[i][-keys:], duck[i - 1][-keys:])
    ]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(duck)
        if end == len(duck) and cut:
            break
        verdict = compare(duck[start:end], spark[start:end], ordered=False)
        if not verdict.equal:
            return Verdict(False, f"ex aequo des lignes {start + 1} à {end} : {verdict.why}")
    return Verdict(True)
