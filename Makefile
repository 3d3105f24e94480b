# Set-up on a fresh machine is part of every target: the venv in .venv/ is (re)built whenever
# pyproject.toml changes. PyPI is needed, and Debian's packages for the browser tests.
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test lint bench browser

# Browser tests open the report in Debian's Chromium; the CJK fonts make Chinese text render.
# Where it cannot be installed (no root, no Debian), those tests skip and say why.
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

run: $(STAMP)
	$(VENV)/bin/siting run

test: $(STAMP) browser
	$(VENV)/bin/python -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(VENV)/bin/pip install --quiet -e '.[dev,osm,bench]'
	$(VENV)/bin/python -m benchmarks.orlib_runner
