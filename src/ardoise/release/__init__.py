"""Releases: immutable, content-addressed versions of the data, built then switched atomically.

Public API (imported from the modules, so that reading a manifest does not load the build)::

    build.build_release(settings, only=None, *, publish=True, ...) -> BuildResult
    store.ReleaseStore(var_dir)      .current_id() .manifest(id) -> Manifest .list() .switch(id)
    manifest.Manifest                .read(path) .write(path) .from_json(d) .to_json()
        DatasetEntry, ParquetFile, ParquetColumn, SourceInfo, QualitySummary,
        ReferentialInfo, IndicatorsInfo, PortalCatalogInfo, Status
    files.sha256_file(path), files.fingerprint(...), files.write_json(path, data)
    datapackage.release_datapackage(release_dir, manifest, datasets) -> dict
    derived.indicators_cached(build, cache_dir), derived.referential_cached(...)
"""
