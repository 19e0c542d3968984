"""``make bench-spark``, second half (``.venv-spark``, pyspark only): the plan written by
``bench/spark_cases.py`` run on a local Spark session, compared with DuckDB's rows.

The session is gentle on a shared machine (``local[1]``, 1 GB of driver memory, no UI)
and is given the settings the DuckDB engine is given (``ardoise.query.engine``), none
other: date-times in UTC (``spark.sql.session.timeZone``, and ``TZ`` for the Python side
that turns Spark timestamps into ``datetime``), and a division by zero that gives NULL
instead of failing (``spark.sql.ansi.enabled=false``; DuckDB's
``error_on_division_by_zero = false``, ODSQL's rule). Each table of the plan is a
temporary view over the same Parquet file DuckDB read.

One JSON line per case (id, equal, why when not, Spark and DuckDB time of the rows
query; the ``total_count`` query is compared too, untimed), then a summary line (cases,
equal, differing, skipped with their reasons, total times). The exit status is 1 when a
case differs for a reason not declared in ``spark_dialect.UNPORTABLE``.

    .venv-spark/bin/python bench/spark_run.py plan.json
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

os.environ["TZ"] = "UTC"
os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the UDF's workers: this venv
time.tzset()

BENCH = str(Path(__file__).resolve().parent)
sys.path.insert(0, BENCH)
# the UDF's Python workers unpickle strip_accents by reference to spark_compare
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [BENCH, os.environ.get("PYTHONPATH")]))

from pyspark.sql import Row, SparkSession  # noqa: E402
from pyspark.sql.types import StringType  # noqa: E402
from spark_compare import (  # noqa: E402
    Verdict,
    compare,
    plain,
    same_up_to_ties,
    strip_accents,
)

SAME = "mêmes lignes"
SETTINGS = {
    "spark.master": "local[1]",
    "spark.driver.memory": "1g",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",  # the driver listens on the loopback only
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.shuffle.partitions": "1",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
}


def session() -> SparkSession:
    builder = SparkSession.builder.appName("ardoise-bench-spark")
    for key, value in SETTINGS.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    # a failing case is reported in its JSON line; pyspark would also log it, stack and all
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    spark.udf.register("STRIP_ACCENTS", strip_accents, StringType())
    return spark


def cell(value: Any) -> Any:
    if isinstance(value, Row):
        return {k: cell(v) for k, v in value.asDict().items()}
    if isinstance(value, list):
        return [cell(v) for v in value]
    return plain(value)


def run_case(spark: SparkSession, entry: dict[str, Any]) -> dict[str, Any]:
    line: dict[str, Any] = {"id": entry["id"], "rewrites": entry["rewrites"]}
    line["udfs"] = entry["udfs"]
    try:
        start = time.perf_counter()
        rows = [[cell(v) for v in row] for row in spark.sql(entry["spark_sql"]).collect()]
        line["spark_ms"] = round((time.perf_counter() - start) * 1000, 2)
        total = spark.sql(entry["spark_count_sql"]).collect()[0][0]
    except Exception as err:  # any Spark failure is this case's result
        line.update(equal=False, why=f"Spark a échoué : {str(err).splitlines()[0][:300]}")
        line["spark_sql"] = entry["spark_sql"]
        return line
    line["duckdb_ms"] = round(entry["duckdb_ms"], 3)
    verdict = compare(entry["duckdb_rows"], rows, ordered=entry["ordered"])
    if not verdict.equal and "keyed_sql" in entry:  # another order among tied rows?
        ties = ties_verdict(spark, entry, rows)
        line["ties"] = ties.why or "mêmes lignes, autre ordre entre ex aequo"
        verdict = ties if ties.equal else verdict
    why = verdict.why
    if verdict.equal and total != entry["duckdb_total"]:
        why = f"total_count : DuckDB {entry['duckdb_total']}, Spark {total}"
    line["equal"] = why is None
    line["rows"] = len(rows)
    line["sorted_both_sides"] = not entry["ordered"]
    if entry["rewrites"]:
        line["without"] = without(spark, entry)
    if why is not None:
        if entry["ordered"]:  # the same rows in another order, or other rows?
            line["same_rows_unordered"] = compare(entry["duckdb_rows"], rows, ordered=False).equal
        if entry.get("unportable"):
            why = f"{why} — attendu : {entry['unportable']}"
            line["expected_difference"] = True
        line["why"] = why
        line["spark_sql"] = entry["spark_sql"]
    return line


def ties_verdict(spark: SparkSession, entry: dict[str, Any], rows: list[list[Any]]) -> Verdict:
    """The case's difference judged on its query with the ORDER BY keys appended; valid
    only if those queries give the rows each engine gave without the keys."""
    try:
        keyed = [[cell(v) for v in row] for row in spark.sql(entry["keyed_sql"]).collect()]
    except Exception as err:  # the keyed query is only a diagnosis of a difference
        return Verdict(False, f"requête avec les clés : Spark échoue : {str(err)[:160]}")
    k = entry["keys"]
    for name, plain_rows, with_keys in (
        ("DuckDB", entry["duckdb_rows"], entry["duckdb_keyed_rows"]),
        ("Spark", rows, keyed),
    ):
        if not compare(plain_rows, [r[:-k] for r in with_keys], ordered=entry["cut"]).equal:
            return Verdict(False, f"avec les clés, {name} donne d'autres lignes : pas de verdict")
    return same_up_to_ties(entry["duckdb_keyed_rows"], keyed, keys=k, cut=entry["cut"])


def without(spark: SparkSession, entry: dict[str, Any]) -> dict[str, str]:
    """What the case gives with sqlglot's Spark SQL alone (``sqlglot``) and with each rule
    left out in turn: a rule whose absence changes nothing was not needed there."""
    found: dict[str, str] = {}
    for name, attempt in entry["without"].items():
        if "error" in attempt:
            found[name] = f"non transpilable : {attempt['error']}"
            continue
        try:
            rows = [[cell(v) for v in row] for row in spark.sql(attempt["sql"]).collect()]
        except Exception as err:  # the failure is the finding
            found[name] = f"Spark échoue : {str(err).splitlines()[0][:160]}"
            continue
        verdict = compare(entry["duckdb_rows"], rows, ordered=entry["ordered"])
        found[name] = SAME if verdict.equal else f"autres lignes : {verdict.why}"
    return found


def by_source(cases: list[dict[str, Any]], lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Cases, runs and equal results of the ODSQL case table, the v1 cases and a release,
    apart."""

    def source(case_id: str) -> str:
        prefix = case_id.partition(":")[0]
        return prefix if prefix in ("release", "v1") else "table"

    found: dict[str, Counter[str]] = {}
    for entry in cases:
        found.setdefault(source(entry["id"]), Counter())["cases"] += 1
    for line in lines:
        counts = found[source(line["id"])]
        counts["run"] += 1
        counts["equal"] += bool(line["equal"])
    return {name: dict(counts) for name, counts in found.items()}


def main(plan_path: str) -> int:
    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    started = time.perf_counter()
    spark = session()
    for table, path in plan["tables"].items():
        spark.read.parquet(path).createOrReplaceTempView(table)
    startup_ms = (time.perf_counter() - started) * 1000
    lines, skipped = [], Counter()
    try:
        for entry in plan["cases"]:
            if "skip" in entry:
                skipped[entry["skip"]] += 1
                skip = {"id": entry["id"], "skipped": entry["skip"]}
                print(json.dumps(skip, ensure_ascii=False))
                continue
            line = run_case(spark, entry)
            lines.append(line)
            print(json.dumps(line, ensure_ascii=False), flush=True)
    finally:
        spark.stop()  # the JVM goes with the session, even after a failure
    equal = sum(1 for line in lines if line["equal"])
    rewritten = Counter(rule for line in lines for rule in line.get("rewrites", ()))
    udfs = Counter(udf for line in lines for udf in line.get("udfs", ()))
    needed = Counter(
        rule
        for line in lines
        for rule, found in line.get("without", {}).items()
        if rule != "sqlglot" and found != SAME
    )
    summary = {
        "summary": True,
        "bench": "bench-spark",
        "sqlglot": plan["sqlglot"],
        "spark": spark.version,
        "cases": len(plan["cases"]),
        "run": len(lines),
        "equal": equal,
        "differing": len(lines) - equal,
        "differing_ids": [line["id"] for line in lines if not line["equal"]],
        "equal_up_to_ties": sum(1 for line in lines if line["equal"] and "ties" in line),
        "inline_differs_on_duckdb": [
            e["id"] for e in plan["cases"] if e.get("inline_same_on_duckdb") is False
        ],
        "differing_expected": sum(1 for line in lines if line.get("expected_difference")),
        "equal_as_sqlglot_writes": sum(
            1 for line in lines if line["equal"] and not line["rewrites"] and not line["udfs"]
        ),
        "cases_per_rewrite": dict(rewritten),
        "sqlglot_alone_fails": sum(
            1 for line in lines if line.get("without", {}).get("sqlglot", SAME) != SAME
        ),
        "cases_needing_rule": dict(needed),
        "cases_per_udf": dict(udfs),
        "by_source": by_source(plan["cases"], lines),
        "release": plan.get("release"),
        "skipped": sum(skipped.values()),
        "skipped_reasons": dict(skipped),
        "sorted_both_sides": sum(1 for line in lines if line.get("sorted_both_sides")),
        "spark_total_ms": round(sum(line.get("spark_ms", 0) for line in lines), 1),
        "spark_startup_ms": round(startup_ms, 1),
        "duckdb_total_ms": round(sum(e.get("duckdb_ms", 0) for e in plan["cases"]), 1),
    }
    print(json.dumps(summary, ensure_ascii=False))
    # a difference nobody explained fails the run (an explained one is reported, not hidden)
    return 1 if summary["differing"] > summary["differing_expected"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
