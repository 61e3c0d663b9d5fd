# Motive: the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench install schema clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## demo: install, migrate, load the demo workspace, serve on :8000 with a worker and beat
demo: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_demo
	$(PY) manage.py rundemo

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
	@set -e; for script in $(wildcard benchmarks/*.py); do echo "== $$script"; $(PY) $$script; done

## schema: regenerate the committed OpenAPI schema after an intended API change
schema: $(STAMP)
	$(PY) manage.py spectacular --file docs/openapi.yaml --validate --fail-on-warn

clean:
	rm -rf $(VENV) var staticfiles
