# Ardoise — the two commands: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install run test test-deploy release bench lint typecheck clean assets chromium bench-spark

install: $(VENV)/.installed node_modules/.installed
install: assets chromium  # dashboard: hashed front-end assets; browser of its tests

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,scolarite,images,producteurs]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm est requis (Node.js 20) : apt-get install nodejs npm"; exit 1; }
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

assets: $(VENV)/.installed node_modules/.installed  ## dashboard assets (DSFR, vega) under hashed names
	$(BIN)/python -m ardoise.dashboard >/dev/null

chromium:  ## Debian's chromium, driven by Playwright in the dashboard's browser tests
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

release: install  ## ingest every source and publish a release
	$(BIN)/ardoise ingest

run: install  ## build a release if none exists, then serve on http://127.0.0.1:8000
	@$(BIN)/ardoise has-release || $(BIN)/ardoise ingest || $(BIN)/ardoise has-release
	$(BIN)/ardoise serve

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

test: install  ## the whole suite: lint, format, types, tests
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	@# PostgreSQL for the scolarité tests: a throwaway cluster on loopback, stopped afterwards
	@# (unless ARDOISE_TEST_POSTGRES_URL names a server of your own).
	@if [ -n "$$ARDOISE_TEST_POSTGRES_URL" ]; then $(BIN)/python -m pytest; else \
		url="$$(bash scripts/postgres.sh)"; \
		ARDOISE_TEST_POSTGRES_URL="$$url" $(BIN)/python -m pytest; code=$$?; \
		bash scripts/postgres.sh stop; exit $$code; fi

bench: install  ## benchmarks; each prints JSON lines (API: wrk + Datasette in .venv-bench)
	$(BIN)/python bench/ingest.py
	@command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk) \
		|| echo "wrk non installé : bench/api.py prend son générateur Python"
	@test -x .venv-bench/bin/datasette || { $(PYTHON) -m venv .venv-bench \
		&& .venv-bench/bin/python -m pip install --quiet datasette; }
	$(BIN)/python bench/api.py --soak-seconds 300 $(BENCH_API_ARGS)
	@if test -e var/current; then $(BIN)/python bench/api_cpu.py --pages; \
		else echo "bench/api_cpu.py : pas de release dans var/ (make release)"; fi
	$(BIN)/python bench/territories.py $(BENCH_TERRITORIES_ARGS)
	$(BIN)/python bench/mcp_tools.py $(BENCH_MCP_ARGS)
	$(BIN)/python bench/dashboard.py $(BENCH_DASHBOARD_ARGS)
	$(BIN)/python bench/metadata.py $(BENCH_METADATA_ARGS)
	$(BIN)/python bench/compat_replay.py $(BENCH_COMPAT_ARGS)
	$(BIN)/python bench/sql.py $(BENCH_SQL_ARGS)
	$(BIN)/python bench/school_join.py
	ARDOISE_TEST_POSTGRES_URL="$$(bash scripts/postgres.sh)" $(BIN)/python bench/scolarite.py $(BENCH_SCOLARITE_ARGS)
	$(BIN)/python bench/scolarite_certificats.py $(BENCH_CERTIFICATS_ARGS)
	$(BIN)/python bench/usage.py $(BENCH_USAGE_ARGS)
	@command -v nginx >/dev/null || (apt-get update && apt-get install -y nginx) \
		|| echo "nginx non installé : bench/cached.py ne peut pas le mesurer"
	$(BIN)/python bench/cached.py $(BENCH_CACHED_ARGS)

bench-spark: install  ## ODSQL case table on DuckDB and on a local Spark via sqlglot (not in CI)
	bash scripts/spark-tools.sh
	$(BIN)/python bench/spark_cases.py --run \
		$$(test -e var/current/manifest.json && echo --release var/current) $(BENCH_SPARK_ARGS)

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

test-deploy: install  ## end-to-end (issue #17): PostgreSQL, S3, three replicas, nginx, wrk
	bash scripts/deploy-tools.sh
	@if [ -n "$$ARDOISE_TEST_POSTGRES_URL" ]; then \
		$(BIN)/python -m pytest -m deploy -s -p no:cacheprovider tests/deploy; else \
		url="$$(bash scripts/postgres.sh)"; \
		ARDOISE_TEST_POSTGRES_URL="$$url" $(BIN)/python -m pytest -m deploy -s -p no:cacheprovider tests/deploy; \
		code=$$?; bash scripts/postgres.sh stop; exit $$code; fi
