# The whole user interface of the funding warehouse. Every target sets up its own
# virtual environment from requirements.lock first, so a fresh clone needs nothing else.
# The Python commands are one command line, `.venv/bin/python -m scripts COMMAND --help`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DUCKDB1_VENV := .venv-duckdb1
DUCKDB1 := $(DUCKDB1_VENV)/.installed
CHROMEDRIVER := /usr/bin/chromedriver

.PHONY: run test test-postgres test-spark test-all postgres-server lint format bench bench-small generate rollback status docs report lock clean

# ENGINE=postgres builds and publishes on the PostgreSQL server of PGHOST, PGPORT, PGUSER,
# PGPASSWORD and PGDATABASE instead (docs/engines.md)
ENGINE ?= duckdb

run: $(INSTALLED)  ## check, build, test, validate and publish warehouse/funding.duckdb (ENGINE=postgres: schema marts on a server)
	$(BIN)/python -m scripts run --engine $(ENGINE)

# One pytest-xdist worker per core; tests that share a module's expensive fixture are grouped
# onto one worker (xdist_group). `make test PYTEST_ARGS=-n0` runs them in this process instead.
PYTEST_ARGS ?= -n auto --dist loadgroup

test: $(INSTALLED) $(DUCKDB1) $(CHROMEDRIVER)  ## the whole test suite, on temporary warehouses only
	DUCKDB1_PYTHON=$(CURDIR)/$(DUCKDB1_VENV)/bin/python $(BIN)/python -m pytest $(PYTEST_ARGS)

# The tests marked `postgres`, on a throwaway PostgreSQL server the session starts and removes
# (tests/postgres_server.py), in one process: the server and its builds are the session's.
test-postgres: $(INSTALLED) postgres-server  ## the suite on a real PostgreSQL server (started and removed by the tests)
	$(BIN)/python -m pytest -m postgres -n0

test-all: test test-postgres test-spark  ## the DuckDB, PostgreSQL and Spark suites

# PostgreSQL's server binaries (initdb, pg_ctl) and the unprivileged user that runs them, from
# Debian's packages when missing. Installing needs root, as on CI; elsewhere it says what to install.
postgres-server:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ -z "$$PG_BIN" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
		else \
			echo "PostgreSQL's server is not installed: apt-get install postgresql (or set PG_BIN to its bin folder)"; exit 1; \
		fi; \
	fi
	@if [ "$$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then useradd --system --user-group --no-create-home postgres; fi

lint: $(INSTALLED)  ## ruff (lint and format check) on the Python, sqlfluff on the models and dbt tests
	$(BIN)/ruff check scripts tests
	$(BIN)/ruff format --check scripts tests
	$(BIN)/sqlfluff lint models tests/dbt

format: $(INSTALLED)  ## fix what ruff and sqlfluff can fix by themselves
	$(BIN)/ruff check --fix scripts tests
	$(BIN)/ruff format scripts tests
	$(BIN)/sqlfluff fix models tests/dbt

$(INSTALLED): requirements.lock
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "Python 3.11 or newer is needed, found " + sys.version'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

# Headless chromium for the report's screenshot and its browser test: Debian's packages, never a
# browser that a Python package downloads (scripts/browser.py).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
$(CHROMEDRIVER):
	$(SUDO) apt-get update -q
	$(SUDO) apt-get install -y -q chromium chromium-driver

$(DUCKDB1): requirements-duckdb1.lock
	test -x $(DUCKDB1_VENV)/bin/python || $(PYTHON) -m venv $(DUCKDB1_VENV)
	$(DUCKDB1_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-duckdb1.lock
	touch $@

lock: $(INSTALLED)  ## re-pin every dependency after editing requirements.in
	$(BIN)/python -m pip install --quiet -r requirements.in
	$(BIN)/python -m pip freeze --exclude-editable | sort -f > requirements.lock

clean:  ## remove build output and the development databases of plain `dbt build` (not the published warehouse)
	rm -rf target logs .pytest_cache

bench: $(INSTALLED)  ## the pipeline against hand-written DuckDB at 10k to 10M lines (BENCH_MAX_LINES caps), then make run against a minimal dbt build
	$(BIN)/python -m scripts bench sizes

bench-small: $(INSTALLED)  ## time make run on the seeds against a minimal dbt build (BENCH_SMALL_PAIRS pairs)
	$(BIN)/python -m scripts bench small

generate: $(INSTALLED)  ## synthetic inputs: make generate DIR=/tmp/synth/input LINES=1000000 [ARGS='--format csv']
	@test -n "$(DIR)" -a -n "$(LINES)" || { echo "usage: make generate DIR=folder LINES=number [ARGS='--wrong-totals 3 ...']"; exit 2; }
	$(BIN)/python -m scripts generate $(DIR) --lines $(LINES) $(ARGS)

docs: $(INSTALLED)  ## generate the dbt documentation site into target/
	$(BIN)/python -m scripts docs

report: $(INSTALLED) $(CHROMEDRIVER)  ## the appendix as one HTML page with charts, from the published warehouse, into target/report/
	$(BIN)/python -m scripts report

rollback: $(INSTALLED)  ## make the previous release current again (twice rolls forward; ENGINE=postgres too)
	$(BIN)/python -m scripts rollback --engine $(ENGINE)

status: $(INSTALLED)  ## the current release: when, from which commit and inputs, and whether its files are unchanged
	$(BIN)/python -m scripts status

# --- Spark (docs/engines.md) ------------------------------------------------------------------------
# `make run ENGINE=spark` and `make rollback ENGINE=spark` work on a local Spark warehouse in
# $SPARK_WAREHOUSE_ROOT (default warehouse/spark): Spark runs inside the Python process
# (dbt-spark's `session` method) on Java 17. PySpark comes from requirements.lock; `make java`
# installs a JDK from Debian's packages where none is found.

.PHONY: java test-spark

java:  ## Java 17 for Spark, from Debian's packages when no `java` is found
	@command -v java >/dev/null || { apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless; }

# One process: Spark's embedded Derby metastore admits one. The DuckDB build the comparison
# reads comes from the same fixture as in make test.
test-spark: $(INSTALLED) $(DUCKDB1) java  ## the Spark suite: a local session in a temporary folder, every model, every test
	DUCKDB1_PYTHON=$(CURDIR)/$(DUCKDB1_VENV)/bin/python $(BIN)/python -m pytest -n0 -m spark tests/spark $(SPARK_PYTEST_ARGS)
