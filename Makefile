# The one entry point. Every target installs what it needs first (uv + the locked deps).
SHELL := /bin/bash
# uv: the one on PATH, else a private copy in .venv-bootstrap. The system interpreter
# is never touched (Debian/Ubuntu's refuses `pip install`: PEP 668, externally managed).
BOOTSTRAP := .venv-bootstrap
UV := $(shell command -v uv 2>/dev/null || echo $(BOOTSTRAP)/bin/uv)
RUN := $(UV) run --frozen

.PHONY: help install run test lint format bench chaos demo clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BOOTSTRAP)/bin/uv:
	@command -v python3 >/dev/null || { echo "make: needs Python 3.11+ as python3 (not found)" >&2; exit 1; }
	@echo "==> uv is not installed: bootstrapping it into $(BOOTSTRAP) (from PyPI)"
	@python3 -m venv $(BOOTSTRAP) >/dev/null 2>&1 || { rm -rf $(BOOTSTRAP); \
	  echo "make: python3 cannot create a virtual environment (its venv/ensurepip part is missing)." >&2; \
	  echo "      On Debian/Ubuntu: sudo apt-get install python3-venv   (then run make again)" >&2; \
	  echo "      Or install uv yourself (https://docs.astral.sh/uv/) and put it on PATH." >&2; exit 1; }
	$(BOOTSTRAP)/bin/python -m pip install --quiet --disable-pip-version-check uv

.venv/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

install: .venv/.installed  ## Create .venv with the locked dependencies

run: install  ## Embedded PostgreSQL + registry on :8001 + issuer on :8002 (Ctrl-C or SIGTERM stops)
	$(RUN) python -m services.devstack

test: install  ## The whole suite against a real PostgreSQL
	$(RUN) pytest

lint: install  ## ruff (format + lint) and mypy
	$(RUN) ruff format --check .
	$(RUN) ruff check .
	$(RUN) mypy services shared

format: install  ## Apply ruff's formatting and safe fixes
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

bench: install  ## wrk against the services and a bare reference, same run (SCALE=1m|10m: national scale)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] || SUDO=sudo; $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wrk; }
	$(RUN) python -m tests.bench

chaos: install  ## Fault injection with real processes (kill -9, database stop, SIGSTOP): a table
	$(RUN) python -m tests.chaos

demo: install  ## A realistic scenario against the running services (make run first)
	$(RUN) python -m services.demo

clean:  ## Stop nothing, delete the virtualenvs and local data (.data: dev database, keys)
	rm -rf .venv $(BOOTSTRAP) .data
