# Two commands on a fresh clone: `make demo` and `make test`. Both create .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
SPARK_INSTALLED := $(VENV)/.installed-spark
# Analysts' SQL clients, apart from the project's: harlequin pins its own libraries exactly.
ANALYST_VENV ?= .venv-analyst
# The checks run against a database of their own, never the demo's.
TEST_DB := target/test.duckdb
TEST_DELIVERY := target/test-delivery

.PHONY: demo test test-deep test-spark test-cluster lint pytest dbt-test bench analyst clean

$(INSTALLED): pyproject.toml
	@echo "creating $(VENV) and installing smartsessions with dbt, DuckDB and the dev tools (about a minute)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

# The [spark] extra (dbt-spark, pyspark) on top, for test-spark, test-cluster and a bench with
# Spark, and the [spark-cluster] extra (PyHive) for the cluster's Thrift Server.
$(SPARK_INSTALLED): $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench,spark,spark-cluster]'
	touch $@

demo: $(INSTALLED)
	$(BIN)/smartsessions demo

test: lint pytest dbt-test

lint: $(INSTALLED)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	SMARTSESSIONS_DB=$(TEST_DB) $(BIN)/sqlfluff lint models data-tests

# One worker per core, each taking whole test files (their module fixtures are built once); the
# slowest tests' seconds are printed, so that the suite's time is watched.
pytest: $(INSTALLED)
	$(BIN)/pytest -n auto --dist loadfile --durations=15

# dbt build (seeds, models, unit tests, data tests) on a generated delivery.
dbt-test: $(INSTALLED)
	rm -rf $(TEST_DB) $(TEST_DELIVERY)
	$(BIN)/smartsessions generate $(TEST_DELIVERY) --scale 1 --seed 7
	$(BIN)/smartsessions --db $(TEST_DB) load $(TEST_DELIVERY)
	$(BIN)/smartsessions --db $(TEST_DB) build
	SMARTSESSIONS_DB=$(TEST_DB) $(BIN)/dbt docs generate --project-dir . --profiles-dir . --quiet

# Not part of `make test`: the property tests (tests/python/test_properties.py) with many more
# drawn deliveries and shrinking on; a failing delivery is kept under target/property-failures/.
test-deep: $(INSTALLED)
	SMARTSESSIONS_HYPOTHESIS_PROFILE=deep $(BIN)/pytest tests/python/test_properties.py

# The same pipeline on Spark (needs Java 17+): the generated scale-1 delivery built on DuckDB
# and on Spark (every data test and unit test on both), marts and workbooks compared.
test-spark: $(SPARK_INSTALLED)
	$(BIN)/pytest tests/spark -m "not cluster"

# The same on a Spark standalone cluster (a master, two workers and a Thrift Server, each its own
# JVM on loopback, started by the tests): built through dbt-spark's thrift method, published,
# marts and workbooks compared with DuckDB's.
test-cluster: $(SPARK_INSTALLED)
	$(BIN)/pytest tests/spark -m cluster

# Not part of `make test`: BENCH_SCALES=1,10,100,1000 BENCH_RUNS=3 make bench; with
# BENCH_ENGINES=duckdb,spark it builds on both (the [spark] extra), BENCH_STEPS=build the builds only.
bench: $(INSTALLED)
	$(if $(findstring spark,$(BENCH_ENGINES)),$(MAKE) $(SPARK_INSTALLED))
	$(BIN)/python bench/bench.py

# Two maintained SQL clients that open the published catalog read-only (docs/analysts.md):
# harlequin (`hsql` runs a query and exits; `harlequin` is a full-screen editor) and the DuckDB
# CLI, in a virtualenv of their own.
analyst: $(ANALYST_VENV)/.installed

$(ANALYST_VENV)/.installed:
	@echo "installing harlequin and the DuckDB CLI into $(ANALYST_VENV) (about a minute)"
	$(PYTHON) -m venv $(ANALYST_VENV)
	$(ANALYST_VENV)/bin/python -m pip install --quiet 'harlequin>=2.17,<3' 'duckdb-cli>=1.4.4'
	touch $@

clean:
	rm -rf $(VENV) $(ANALYST_VENV) target logs out demo-delivery smartsessions.duckdb smartsessions.duckdb.wal \
		smartsessions.published.duckdb smartsessions.lake smartsessions.dbt smartsessions.landing \
		smartsessions.spark smartsessions.refresh.lock smartsessions.last_checked smartsessions.delivered.json \
		smartsessions.portal.* smartsessions.reports outbox
