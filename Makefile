# The two set-up commands of README.md: `make serve` and `make test`.
# Each creates .venv and installs what it needs on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test lint install install-test

$(BIN)/owl: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $(BIN)/owl

$(VENV)/.test-deps: pyproject.toml $(BIN)/owl
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/owl

install-test: $(VENV)/.test-deps

serve: install
	$(BIN)/owl serve $(ARGS)

lint: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy src

test: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy src
	$(BIN)/pytest -q $(PYTEST_ARGS)
