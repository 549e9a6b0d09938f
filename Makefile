# hrsys: `make run` serves the demo, `make test` runs everything CI runs.
SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON := $(shell command -v $(PYTHON))
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

HRSYS_TEST_PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
export HRSYS_TEST_PG_URL

.PHONY: run test lint typecheck test-sqlite test-postgresql bench env postgres browser clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==0.13.8

$(BIN)/hrsys: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --quiet
	@touch $@

env: $(BIN)/hrsys ## create the environment from the lock file

run: env ## migrate the SQLite database, load the demo, serve on http://127.0.0.1:8000
	$(BIN)/hrsys db upgrade
	$(BIN)/hrsys demo load
	$(BIN)/hrsys serve --host 127.0.0.1 --port 8000

lint: env
	$(BIN)/ruff check hrsys tests migrations admin
	$(BIN)/ruff format --check hrsys tests admin

typecheck: env
	$(BIN)/mypy

browser: ## make sure Debian's Chromium and ChromeDriver are installed (browser tests)
	bash .ci/browser.sh

# Timed tests (marked serial) run alone before the parallel run, so that no other test shares the cores.
PYTEST := $(BIN)/pytest -q -p no:cacheprovider

test-sqlite: env browser
	HRSYS_TEST_DB=sqlite $(PYTEST) -m serial
	HRSYS_TEST_DB=sqlite $(PYTEST) -n 2 -m 'not serial'

postgres: ## make sure the local PostgreSQL answers (start or install it)
	bash .ci/postgres.sh

test-postgresql: env postgres browser
	HRSYS_TEST_DB=postgresql $(PYTEST) -m serial
	HRSYS_TEST_DB=postgresql $(PYTEST) -n 2 -m 'not serial'

test: lint typecheck test-sqlite test-postgresql ## lint, types, the suite on SQLite and on PostgreSQL

bench: env postgres ## national-scale benchmarks; prints a table
	@command -v wrk >/dev/null || (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk </dev/null >/dev/null) || echo 'wrk is not installed: HTTP figures are skipped'
	$(BIN)/hrsys bench

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
