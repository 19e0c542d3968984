"""The query layer: the one data path every surface calls (API, exports, dashboard, MCP).

The data functions, one per resource (STYLE.md L1)::

    run.run_records(release, dataset_id, RecordsQuery) -> RecordsPage      (records, aggregates)
    run.run_facets(release, dataset_id, names, RecordsQuery) -> list[FacetGroup]
    run.get_record(release, dataset_id, record_id) -> dict
    run.export_batches(release, dataset_id, RecordsQuery) -> columns, Arrow batches
    catalog.search_catalog(release, CatalogQuery) -> CatalogPage           (every surface)
    catalog.catalog_facets(release, names, CatalogQuery) -> list[FacetGroup]
    territories.*      search, one territory, one school, contours, territoire= (its __init__)
    indicators.*       list_indicators, indicator, indicator_values, territory_indicators,
                       coverage, with their provenance
    v1.records_query(schema, …) -> RecordsQuery                            (legacy v1 → ODSQL)

The served release and what is computed once per release::

    release.ServedRelease(path, settings)   .manifest (typed) .dataset(id) .engine .memo(key, fn)
    release.ReleaseHolder(settings).get() -> ServedRelease   (follows var/current)

Underneath (surfaces do not call these): ``compile.compile_records`` (ODSQL → DuckDB SQL
with bound parameters, sqlglot), ``plan_cache``, ``engine.Engine`` (read-only DuckDB, time
limits), ``limits`` (the records window caps), ``indicator_index``/``indicator_store``
(the indicator values in memory), ``memo``. The values crossing the layer are in ``model``
(``RecordsQuery``, ``CompiledQuery``); the language itself is ``ardoise.odsql``.

The package re-exports nothing: callers import the module.
"""
