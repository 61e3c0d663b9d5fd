# Motive: the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_ADDR ?= 127.0.0.1:8000

.PHONY: demo demo-reset test lint bench install schema screenshots clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## demo: install, migrate, build the demo workspace (once; reused after), serve on :8000
## with a worker and beat; the URL and the login are the last lines; one Ctrl-C stops all
demo: $(STAMP)
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py setup_demo
	@$(PY) manage.py rundemo --addr $(DEMO_ADDR)

## demo-reset: delete the demo workspace, build it again from scratch, then serve
demo-reset: $(STAMP)
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py setup_demo --reset
	@$(PY) manage.py rundemo --addr $(DEMO_ADDR)

## test: install and run the whole suite (PostgreSQL when reachable, else SQLite)
test: $(STAMP)
	@$(PY) scripts/testdb.py > .venv/.testdb.env || exit 1
	@. ./.venv/.testdb.env && $(PY) -m pytest $(PYTEST_ARGS)

## lint: ruff, mypy, migrations in sync, production deploy check
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.production DEBUG=0 \
	  SECRET_KEY=ci-only-7f3a9c2e5b8d1f4a6c0e9b2d5f8a1c4e7b0d3f6a9c2e5b8d1f4a ALLOWED_HOSTS=motive.example \
	  $(PY) manage.py check --deploy --fail-level WARNING

## bench: the performance scripts under benchmarks/ (PostgreSQL required)
bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	@set -e; for script in $(filter-out benchmarks/_%,$(wildcard benchmarks/*.py)); do echo "== $$script"; $(PY) $$script; done

## screenshots: walk the README's tour in Chromium and save its pictures in docs/screenshots/
screenshots: $(STAMP)
	@$(PY) scripts/testdb.py > .venv/.testdb.env || exit 1
	@. ./.venv/.testdb.env && MOTIVE_SCREENSHOTS=docs/screenshots $(PY) -m pytest tests/browser/test_tour.py -p no:randomly -q

## schema: regenerate the committed OpenAPI schema after an intended API change
schema: $(STAMP)
	$(PY) manage.py spectacular --file docs/openapi.yaml --validate --fail-on-warn

clean:
	rm -rf $(VENV) var staticfiles
