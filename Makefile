# Kehu — set-up, demo and tests. `make demo` and `make test` do everything on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/kehu
PYTEST_ARGS ?=

.PHONY: install install-test demo serve test test-sqlite test-postgres browsers postgres messages bench-db bench-generate bench-web bench-import bench-analytics clean mutation

# What running Kehu needs (make demo, make serve); the test tools and Spark come with make test.
$(BIN)/kehu $(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	@touch $(VENV)/.installed

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install -q -e '.[test,spark]'
	@touch $(VENV)/.installed-test

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## make demo: install, migrate ./var/kehu.sqlite3, create the demo company, serve on :8000
demo: install pdf-libs
	$(BIN)/kehu demo --serve

serve: install
	$(BIN)/kehu serve

## make test: the whole suite on SQLite, then on PostgreSQL, browser tests included
# The two databases' runs go side by side (one core each); -O keeps each run's output together.
test: install-test browsers pdf-libs postgres datasets bench-reference
	KEHU_REQUIRE_REFERENCE=1 $(MAKE) -O -j2 test-sqlite test-postgres; status=$$?; \
		$(BIN)/python scripts/test_times.py --top 15; exit $$status

# Each run's per-test times land in var/test-reports/ (JUnit XML) for finding the slow ones.
test-sqlite: install-test
	DATABASE_URL=sqlite:///:memory: $(BIN)/python -m pytest --junitxml=var/test-reports/sqlite.xml $(PYTEST_ARGS)

test-postgres: install-test postgres
	DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest --junitxml=var/test-reports/postgres.xml $(PYTEST_ARGS)

## make datasets: reference data for the analytics tests (CDNOW sample from the lifetimes wheel), fetched once
.PHONY: datasets
datasets:
	@bash scripts/fetch-cdnow.sh

## make bench-reference: the lifetimes environment the value models are compared with (var/bench-venvs/lifetimes)
.PHONY: bench-reference
bench-reference: install
	@$(BIN)/python -c "from pathlib import Path; from kehu.bench.analytics import ensure_reference_venv; ensure_reference_venv(Path('var/bench-venvs/lifetimes'))"

browsers:
	@bash scripts/ensure-chromium.sh

## make pdf-libs: Pango for WeasyPrint and the Noto CJK fonts (the CSI report's PDF)
.PHONY: pdf-libs
pdf-libs:
	@bash scripts/ensure-pdf-libs.sh

postgres:
	@bash scripts/ensure-postgres.sh "$(PG_URL)"

## make messages: extract and compile the catalogues: kehu/locale, and kehu/<app>/locale for each app that has one
messages: install
	$(BIN)/python scripts/messages.py

## benchmarks (docs/benchmarks.md): a separate PostgreSQL database with 1M customers / 10M order lines
BENCH_URL ?= postgres://postgres@127.0.0.1:5432/kehu_bench
export BENCH_URL

bench-db: install
	@bash scripts/ensure-postgres.sh "$(BENCH_URL)"
	@psql "$${BENCH_URL%/*}/postgres" -tAc "select 1 from pg_database where datname = '$${BENCH_URL##*/}'" | grep -q 1 \
		|| createdb --maintenance-db="$${BENCH_URL%/*}/postgres" "$${BENCH_URL##*/}"
	DATABASE_URL=$(BENCH_URL) $(BIN)/kehu migrate

bench-generate: bench-db
	DATABASE_URL=$(BENCH_URL) $(BIN)/kehu generate --customers 1000000 --orders 10000000 --seed 1

bench-web: install
	DATABASE_URL=$(BENCH_URL) $(BIN)/kehu bench web

bench-import: install
	DATABASE_URL=$(BENCH_URL) $(BIN)/kehu bench import --customers 1000000

## make bench-analytics: a whole value analysis against lifetimes on the same data (makes var/bench-venvs/lifetimes)
bench-analytics: install
	DATABASE_URL=$(BENCH_URL) $(BIN)/kehu bench analytics

## make mutation: mutation testing (mutmut) of the modules in pyproject's [tool.mutmut]; slow, not part of make test (docs/testing.md)
# mutmut copies the tree to ./mutants and keeps its results there: a second run re-tests only what changed.
MUTMUT_ARGS ?=
mutation: install-test
	@echo "mutmut run: progress in var/mutmut-run.log"
	@mkdir -p var
	DATABASE_URL=sqlite:///:memory: $(BIN)/mutmut run $(MUTMUT_ARGS) > var/mutmut-run.log 2>&1 \
		|| { tail -c 2000 var/mutmut-run.log; exit 1; }
	$(BIN)/python scripts/mutation_report.py --mutmut $(BIN)/mutmut

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis mutants
