# Plexus: `make demo` sets up and starts everything; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PLEXUS_DATA_DIR ?= $(CURDIR)/var

.PHONY: demo install migrate test test-fast lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

demo: install
	DEBUG=1 $(PY) manage.py migrate --noinput -v0
	DEBUG=1 $(PY) manage.py load_demo
	DEBUG=1 PORT=$(PORT) bash bin/serve-demo

test: install
	PLEXUS_TESTING=1 $(PY) -m pytest -n 2 --dist loadfile

lint: install
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports

bench: install
	PLEXUS_TESTING=1 $(PY) -m benchmarks.run

clean:
	rm -rf var test-artifacts
