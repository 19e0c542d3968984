"""The query shapes of bench/api.py, each as a list of distinct URLs (issue #14).

Real traffic is a long tail: a school finder asks for another UAI, another commune each time.
So each shape is cycled over many distinct variants (>= 100; 1,000 for point lookups) by the
load generator, on Ardoise and on Datasette alike, built from the same sample of values read
from the release's Parquet (never through Ardoise's code):

- ``records_filter_sort``: one académie and one school year, ordered three ways, 20 rows;
- ``point_where`` / ``point_refine`` / ``record_by_id``: one school by UAI (``where=``,
  ``refine=``) or one record by its id, 1,000 distinct schools;
- ``group_by``: the communes of one département with count and avg;
- ``facet``: a facet field under one académie (and one year);
- ``count_only``: ``limit=0`` (``total_count`` only) under one département and one year.

Datasette's equivalents use its indexed column filters (``?academie=…``), its row page for a
record id (``num_ligne`` is its primary key) and its SQL endpoint for aggregates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

DATASET = "fr-en-ips-ecoles-ap2022"
TABLE = "ips_ecoles"
ODS = f"/api/explore/v2.1/catalog/datasets/{DATASET}"
ORDERS = (("ips desc", "_sort_desc", "ips"), ("ips", "_sort", "ips"), ("uai", "_sort", "uai"))
SHAPES = (
    "records_filter_sort",
    "point_where",
    "point_refine",
    "record_by_id",
    "group_by",
    "facet",
    "count_only",
)
POINT_LOOKUPS = 1000


def _q(**params: Any) -> str:
    return urlencode(params, quote_via=quote)


def sample(parquet: Path) -> dict[str, list[Any]]:
    """The values variants are drawn from, read from the Parquet with DuckDB (stable order)."""
    import duckdb

    con = duckdb.connect()
    try:
        src = f"read_parquet('{parquet}')"

        def col(sql: str) -> list[Any]:
            return [r[0] for r in con.execute(sql).fetchall()]

        schools = con.execute(
            f"SELECT uai, _recordid, num_ligne FROM (SELECT DISTINCT ON (uai) uai, _recordid, "
            f"num_ligne FROM {src} ORDER BY uai, rentree_scolaire DESC) "
            f"ORDER BY hash(uai) LIMIT {POINT_LOOKUPS}"
        ).fetchall()
        return {
            "academies": col(f"SELECT DISTINCT academie FROM {src} ORDER BY 1"),
            "years": col(f"SELECT DISTINCT rentree_scolaire FROM {src} ORDER BY 1"),
            "departements": col(f"SELECT DISTINCT code_du_departement FROM {src} ORDER BY 1"),
            "schools": schools,
        }
    finally:
        con.close()


def _group_sql(departement: str) -> str:
    return (
        f"select nom_de_la_commune, count(*) as n, avg(ips) as m from {TABLE} "
        f"where code_du_departement = '{departement}' "
        "group by nom_de_la_commune order by nom_de_la_commune limit 1000"
    )


def ardoise(s: dict[str, list[Any]]) -> dict[str, list[str]]:
    """Every shape's URLs on Ardoise (Explore v2.1)."""
    years, deps = s["years"], s["departements"]
    records = [
        f"{ODS}/records?"
        + _q(where=f'academie="{a}"', refine=f"rentree_scolaire:{y}", order_by=o, limit=20)
        for a in s["academies"]
        for y in years
        for o, _, _ in ORDERS
    ]
    group = [
        f"{ODS}/records?"
        + _q(
            select="nom_de_la_commune,count(*) as n,avg(ips) as m",
            where=f'code_du_departement="{d}"',
            group_by="nom_de_la_commune",
            limit=1000,
        )
        for d in deps
    ]
    facet = [
        f"{ODS}/facets?"
        + _q(facet="secteur")
        + "&"
        + _q(refine=f"academie:{a}")
        + "&"
        + _q(refine=f"rentree_scolaire:{y}")
        for a in s["academies"]
        for y in years
    ] + [
        f"{ODS}/facets?" + _q(facet="rentree_scolaire") + "&" + _q(refine=f"academie:{a}")
        for a in s["academies"]
    ]
    count = [
        f"{ODS}/records?"
        + _q(where=f'code_du_departement="{d}"', refine=f"rentree_scolaire:{y}", limit=0)
        for d in deps
        for y in years
    ]
    schools = s["schools"]
    return {
        "records_filter_sort": records,
        "point_where": [f"{ODS}/records?" + _q(where=f'uai="{u}"') for u, _, _ in schools],
        "point_refine": [f"{ODS}/records?" + _q(refine=f"uai:{u}") for u, _, _ in schools],
        "record_by_id": [f"{ODS}/records/{rid}" for _, rid, _ in schools],
        "group_by": group,
        "facet": facet,
        "count_only": count,
    }


def datasette(s: dict[str, list[Any]]) -> dict[str, list[str]]:
    """The same variants on Datasette (indexed column filters, row pages, SQL)."""
    years, deps = s["years"], s["departements"]
    table = f"/ips/{TABLE}.json?"
    records = [
        table + _q(academie=a, rentree_scolaire=y, **{key: col}, _size=20, _shape="objects")
        for a in s["academies"]
        for y in years
        for _, key, col in ORDERS
    ]
    facet = [
        table + _q(academie=a, rentree_scolaire=y, _facet="secteur", _size=0)
        for a in s["academies"]
        for y in years
    ] + [table + _q(academie=a, _facet="rentree_scolaire", _size=0) for a in s["academies"]]
    schools = s["schools"]
    point = [table + _q(uai=u, _shape="objects") for u, _, _ in schools]
    return {
        "records_filter_sort": records,
        "point_where": point,
        "point_refine": point,
        "record_by_id": [f"/ips/{TABLE}/{n}.json?_shape=objects" for _, _, n in schools],
        "group_by": ["/ips.json?" + _q(sql=_group_sql(d), _shape="objects") for d in deps],
        "facet": facet,
        "count_only": [
            table + _q(code_du_departement=d, rentree_scolaire=y, _size=0)
            for d in deps
            for y in years
        ],
    }
