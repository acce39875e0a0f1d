# Jiedao — the two commands: `make run` (set up and start the demo on SQLite) and `make test` (every test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
JS_STAMP := node_modules/.installed
BENCH_STAMP := $(VENV)/.installed-bench
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help run setup test lint check schema messages totp clean bench

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(PY_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

$(JS_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The benchmarks compare against django-import-export: installed only for them.
$(BENCH_STAMP): $(PY_STAMP)
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	@touch $@

setup: $(PY_STAMP) $(JS_STAMP) ## Create the virtualenv, install Python and npm packages

run: setup ## Set up, migrate, load demo data, start web server + task worker + scheduler on http://127.0.0.1:8000
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py migrate --noinput --verbosity 0
	$(BIN)/python manage.py demo
	HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) ./scripts/serve.sh

test: setup ## Run the whole test suite (SQLite; PostgreSQL when DATABASE_URL is set)
	$(BIN)/pytest -n auto

lint: setup ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: setup ## Django checks: migrations in sync, OpenAPI schema in sync
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file $(VENV)/openapi.yaml
	@diff -u docs/api/openapi.yaml $(VENV)/openapi.yaml > /dev/null || { echo "docs/api/openapi.yaml is out of date: run 'make schema'"; exit 1; }

schema: setup ## Regenerate the committed OpenAPI schema docs/api/openapi.yaml
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file docs/api/openapi.yaml

messages: setup ## Update and compile the English translation catalogue
	$(BIN)/python manage.py makemessages -l en --ignore=node_modules --ignore=.venv --ignore=staticfiles --ignore=var
	$(BIN)/python scripts/translate_catalog.py
	$(BIN)/python manage.py compilemessages -l en --ignore=.venv --ignore=node_modules

totp: setup ## Show the current two-factor code of a demo admin: make totp USER=sysadmin
	@$(BIN)/python manage.py totp_code $(USER)

bench: setup $(BENCH_STAMP) ## Run the benchmarks in bench/ (prints figures; see docs/benchmarks.md; wrk for the public site)
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script; done

clean: ## Remove the virtualenv, node_modules and collected static files (keeps var/ data)
	rm -rf $(VENV) node_modules staticfiles
