# `make run` serves the app; `make test` runs the whole suite. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint audit bench calibrate chromium clean

# A marker is touched only as a recipe's last step, and .DELETE_ON_ERROR removes a target whose recipe
# failed, so an interrupted or failed install never makes the next `make run` skip the install.
.DELETE_ON_ERROR:

$(VENV)/.created:
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	touch $@

# The import check proves the run path has every runtime dependency: a test-only package imported by
# the app fails here, at install time, and not after `make run` has started.
$(VENV)/.installed: pyproject.toml | $(VENV)/.created
	rm -f $@
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -c "import app.cli, app.main"
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/.created
	rm -f $@
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

# Dead code: vulture reports a name that nothing under app/ uses. 60 is vulture's lowest confidence, where an
# unused function, method, class, attribute or field is reported (above it only imports and unreachable
# code are): the dead code this repository grows is of that kind. What a framework, template or test reads
# by name is listed, with the reason, in vulture_whitelist.py; routes, handlers and validators are known by
# decorator; the response schemas by file (pydantic reads every field of one to write the OpenAPI document).
VULTURE_OPTIONS := --min-confidence 60 --exclude '*_schemas.py' \
	--ignore-decorators '@router.*,@app.*,@model_validator,@field_validator'

lint: $(VENV)/.installed-test
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench
	$(BIN)/mypy
	$(BIN)/vulture app vulture_whitelist.py $(VULTURE_OPTIONS)

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
