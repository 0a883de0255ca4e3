# One-command entry points of the course. Run `make help` for the list.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.course-installed
# INSTALL=lock installs the tested pins (Linux x86_64, Python 3.11);
# INSTALL=ranges installs the ranges of pyproject.toml (other platforms).
INSTALL ?= lock
MODE ?= smoke
PYTEST_ARGS ?=

.PHONY: help setup course test lint format lab corpora clean distclean lock

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements/lock.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@if [ "$(INSTALL)" = lock ]; then \
	  $(PY) -m pip install --disable-pip-version-check -q -r requirements/lock.txt; \
	  $(PY) -m pip install --disable-pip-version-check -q --no-deps -e .; \
	else \
	  $(PY) -m pip install --disable-pip-version-check -q -e '.[dev]'; \
	fi
	$(PY) -m ipykernel install --sys-prefix --name course-lib --display-name "Python (course)" >/dev/null
	@touch $(STAMP)
	@echo "setup: $(VENV) is ready"

setup: $(STAMP)  ## create or update .venv with the course installed (idempotent)

corpora: setup  ## generate the embedded corpora of MODE's preset when missing
	$(PY) -m course_lib data make --preset $(if $(filter full,$(MODE)),full,tiny) --if-missing --variant nobias

course: setup  ## execute every notebook headlessly (MODE=smoke|full) -> build/report.html
	$(PY) -m course_lib course run --mode $(MODE)

lint: setup  ## ruff on the package, tests and notebooks
	$(PY) -m ruff check course_lib tests scripts notebooks
	$(PY) -m ruff format --check course_lib tests scripts

format: setup  ## apply ruff's formatting
	$(PY) -m ruff format course_lib tests scripts

test: export HF_HUB_OFFLINE = 1
test: export COURSE_SMOKE = 1
test: setup lint  ## lint, then every unit test, notebook smoke run and (with a Chromium) browser test
	$(PY) -m course_lib data make --preset tiny --if-missing --variant nobias
	@$(PY) tests/browser/chromium_finder.py
	$(PY) -m pytest $(PYTEST_ARGS)
	@$(PY) tests/browser/chromium_finder.py

lab: setup  ## open the course in JupyterLab
	$(VENV)/bin/jupyter lab notebooks/

clean:  ## remove build outputs and test caches (keeps .venv and data/)
	rm -rf build .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean  ## also remove .venv and everything generated under data/
	rm -rf $(VENV)
	find data -mindepth 1 -not -name README.md -prune -exec rm -rf {} +

lock: setup  ## re-pin requirements/lock.txt from .venv and regenerate environment.yml
	$(PY) -m pip freeze --exclude-editable | grep -v '^course-lib' > requirements/lock.txt
	$(PY) scripts/write_environment.py
