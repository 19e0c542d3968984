"""HTTP API routers over the query layer; each route is one call to a data function of
``ardoise.query`` plus reshaping, its parameters read by the dependencies of ``deps.py``.

    explore.build_router(shape)   Explore v2.1 / v2.0: catalogue, records, facets, exports
    v1.build_router()             the portal's legacy v1 API and download links
    territoires.build_router()    /api/v1 territories, schools and contours
    indicateurs.build_router()    /api/v1 indicators and coverage
    datapackage.build_router()    /api/v1 Data Package of a release
    dcat.build_router()           DCAT-AP catalogue exports
    llms.build_router()           llms.txt and the Markdown twins of pages
"""
