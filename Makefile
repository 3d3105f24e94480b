# Set-up on a fresh machine is part of every target: the venv in .venv/ is (re)built whenever
# pyproject.toml changes. Only PyPI is needed.
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test lint bench

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev,osm]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/siting run

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(VENV)/bin/pip install --quiet -e '.[dev,osm,bench]'
	$(VENV)/bin/python -m benchmarks.orlib_runner
