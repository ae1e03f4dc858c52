# Shopkeeper — the two commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(PYTHON) -m uv
RUN := $(UV) run --frozen
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: demo run test test-pg e2e lint bench bench-quick bench-report install assets messages clean

## install: Python env (uv), front-end libraries (npm), static files and compiled translations.
install: .venv/.installed node_modules/.installed assets

.venv/.installed: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

assets: .venv/.installed node_modules/.installed
	npm run --silent build
	$(RUN) shopkeeper compilemessages --ignore=.venv --ignore=node_modules -v 0
	$(RUN) shopkeeper collectstatic --noinput -v 0

## demo: everything from scratch, then serve the demo store on http://127.0.0.1:8000 with the worker.
demo: install
	$(RUN) shopkeeper demo

## run: serve the app (and worker) without reloading demo data.
run: install
	$(RUN) shopkeeper migrate -v 0
	$(RUN) shopkeeper serve --with-worker

lint: .venv/.installed
	$(RUN) ruff check src tests bench
	$(RUN) ruff format --check src tests bench

## test: lint, Django checks, migration check and the whole suite on SQLite.
test: install lint
	$(RUN) shopkeeper check --fail-level WARNING
	$(RUN) shopkeeper makemigrations --check --dry-run -v 1
	$(RUN) pytest -m "not e2e" $(PYTEST_ARGS)

## test-pg: the same suite on PostgreSQL ($(PG_URL)).
test-pg: install
	DATABASE_URL=$(PG_URL) $(RUN) pytest -m "not e2e" $(PYTEST_ARGS)

## e2e: browser tests in Debian's chromium; screenshots go to test-artifacts/.
e2e: install
	TEST_SQLITE_NAME=$(CURDIR)/var/e2e.sqlite3 $(RUN) pytest -m e2e tests/e2e $(PYTEST_ARGS)

## bench: benchmarks at scale on SQLite and PostgreSQL (SIZE=S|M|L, default M; DBS="sqlite postgresql").
## Writes bench/results/*.json and docs/performance.md; fails only on correctness, never on timing.
SIZE ?= M
DBS ?= sqlite postgresql
bench: .venv/.installed
	@rc=0; for db in $(DBS); do $(RUN) python -m bench run --db $$db --size $(SIZE) $(BENCH_ARGS) || rc=1; done; exit $$rc

## bench-quick: a short subset on size S (a couple of minutes).
bench-quick: .venv/.installed
	@rc=0; for db in $(DBS); do $(RUN) python -m bench run --db $$db --size S --quick $(BENCH_ARGS) || rc=1; done; exit $$rc

## bench-report: rewrite the results part of docs/performance.md from bench/results/*.json.
bench-report: .venv/.installed
	$(RUN) python -m bench report

messages: .venv/.installed
	cd src/shopkeeper && ../../$(RUN) shopkeeper makemessages -l ru -l uk -l zh_Hans --no-obsolete --ignore="static/vendor/*"

clean:
	rm -rf var test-artifacts
