# `make run` serves the app; `make test` runs the whole suite. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint audit bench calibrate chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

# Browser tests drive Debian's Chromium (never a downloaded browser build).
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; \
	fi

run: $(VENV)/.installed
	HOST=$(HOST) PORT=$(PORT) $(BIN)/breakeven serve

test: $(VENV)/.installed-test chromium
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench
	$(BIN)/mypy

# Known-vulnerability audit of the installed dependencies (pip-audit --strict against OSV or
# PyPI's advisories). Where neither is reachable it says so loudly and passes, unless
# AUDIT_REQUIRED=1; see scripts/audit-dependencies.
audit: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet pip-audit
	scripts/audit-dependencies $(BIN)/python

bench: $(VENV)/.installed-test
	$(BIN)/python bench/bench_breakeven.py --no-http
	@command -v wrk >/dev/null || { echo "installing Debian's wrk"; $(SUDO) apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python bench/bench_server.py

calibrate: $(VENV)/.installed-test
	$(BIN)/breakeven calibrate --report

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
