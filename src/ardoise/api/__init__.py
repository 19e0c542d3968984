"""HTTP API routers: Explore v2.1 / v2.0 (and, later, v1) over the query layer."""
