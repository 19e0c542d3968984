"""The web assembly: the only part that imports the surfaces, and only the CLI imports it.

app.create_app(settings) -> FastAPI     routers, error table, caching, CORS, gzip, quotas
errors.status_of(exc), errors.error_body(exc), errors.ERRORS     the one error table
caching.CachingMiddleware, ratelimit.RateLimitMiddleware (clientip: who is asking)
shared_quota.SharedQuota                 the per-address quota across replicas (PostgreSQL)
headers.SecurityHeadersMiddleware, headers.JsonCorsMiddleware   the headers of a public service
accesslog.install()                      no identity query string in the access log
serving.options(settings), parser        how `ardoise serve` runs uvicorn
scolarite                                the enrolment-check surfaces (optional extra)
"""
