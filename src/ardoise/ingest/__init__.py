"""Ingest one dataset: read its sources, map their headers, type and link the values to the
referential, check them, and return an Arrow table with a Report of the data problems.

    ingest_dataset(ds, mirror, conn, *, linked, previous=None, download=None) -> IngestResult
                                                                    (pipeline.py)
    load_referential(conn, referential_dir) -> bool                 (territories.py)
    cached_download(url, cache_dir, timeout_s) -> Path              (download.py)
    Report, Issue, ISSUE_TYPES                                      (report.py)

The package re-exports nothing: callers import the module.
"""
