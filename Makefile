# Set-up on a fresh machine is part of every target: the venv in .venv/ is (re)built whenever
# pyproject.toml changes. PyPI is needed, and Debian's packages for the browser tests.
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test lint bench browser

# Chromium prints report.pdf and the browser tests open the report; the CJK fonts draw the
# charts' Chinese labels. `run` and `test` both install them where Debian's apt can; where it
# cannot (no root, no Debian), the run writes English charts and no PDF, saying so, and
# those tests skip and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  export DEBIAN_FRONTEND=noninteractive; \
	  (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
	  || echo "note: could not install chromium; browser tests will be skipped"; }

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev,osm]'
	touch $(STAMP)

run: $(STAMP) browser
	$(VENV)/bin/siting run

# One pytest worker per core (pytest-xdist), tests handed out as workers free up; a single
# file or test runs without workers as usual: .venv/bin/python -m pytest tests/test_plan.py
test: $(STAMP) browser
	$(VENV)/bin/python -m pytest -q -n auto --dist worksteal

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(VENV)/bin/pip install --quiet -e '.[dev,osm,bench]'
	$(VENV)/bin/python -m benchmarks.orlib_runner
