# The one entry point. Every target installs what it needs first (uv + the locked deps).
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen

.PHONY: help install run test lint format bench demo clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

.venv/.installed: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen
	@touch $@

install: .venv/.installed  ## Create .venv with the locked dependencies

run: install  ## Embedded PostgreSQL + registry on :8001 + issuer on :8002 (Ctrl-C stops)
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

bench: install  ## Throughput and latency against a bare reference, same run
	$(RUN) python -m tests.bench

demo: install  ## A realistic scenario against the running services (make run first)
	$(RUN) python -m services.demo

clean:  ## Stop nothing, delete the virtualenv and local data (.data: dev database, keys)
	rm -rf .venv .data
