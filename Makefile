# The two commands of README.md: `make run` and `make test`. Each sets up what it needs first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed

.PHONY: run test lint checks pytest fuzz load

$(STAMP): requirements.txt requirements-bench.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-bench.txt
	touch $(STAMP)

## Set up and run the app on the embedded default (SQLite, in-process cache) with demo data.
run: $(STAMP)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_demo_data
	$(PY) manage.py create_demo_users
	@echo "API docs: http://127.0.0.1:8000/api/docs/   admin: http://127.0.0.1:8000/admin/ (admin@local / admin123)"
	$(PY) manage.py runserver 127.0.0.1:8000

## Set up and run the tests: lint, Django checks, OpenAPI schema, migrations, the suite.
test: $(STAMP) lint checks pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

checks: $(STAMP)
	$(PY) manage.py check --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

pytest: $(STAMP)
	$(VENV)/bin/pytest

## Not one of the two commands: a longer fuzzing campaign of the API from its OpenAPI schema
## (tests/fuzz, every route as every role), with fresh random inputs each run. `make test` runs
## the same test with a few deterministic cases per route.
FUZZ_MAX_EXAMPLES ?= 300
fuzz: $(STAMP)
	FUZZ_MAX_EXAMPLES=$(FUZZ_MAX_EXAMPLES) FUZZ_RANDOM=1 $(VENV)/bin/pytest -p no:cacheprovider tests/fuzz

## Not one of the two commands either: the load test with faults (bench/load_faults.py). Needs
## PostgreSQL on 127.0.0.1:5432 and redis-server on the PATH; it starts its own Redis and
## gunicorn and drops its scratch database. More options: LOAD_ARGS="--duration 90".
load: $(STAMP)
	$(PY) bench/load_faults.py $(LOAD_ARGS)
