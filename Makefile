# Drenfax Portal. The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint format bench topology install clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## Set up, then start the portal with its sandbox on http://127.0.0.1:8000 (Ctrl-C stops both).
run: $(STAMP)
	$(BIN)/python -m drenfax_portal.devrun

## Run the whole test suite (SQLite unless DATABASE_URL says otherwise).
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Benchmarks (figures, not tests): prints a table, writes bench/results.md.
bench: $(STAMP)
	@$(BIN)/python -c 'import locust' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## Two web processes and two task consumers on PostgreSQL and Redis, and a smoke test.
topology: $(STAMP)
	$(BIN)/python deploy/topology.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var staticfiles
