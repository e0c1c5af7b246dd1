# Tessera: `make run` for a running app with a demo organization, `make test` for the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

help:
	@echo "make run    fresh machine -> running app with the demo organization (Ctrl-C stops it)"
	@echo "make test   install test services, lint, tests on SQLite and PostgreSQL"
	@echo "make lint   ruff check and format check"
	@echo "make format ruff format and fix"
	@echo "make bench  benchmarks (prints figures; see README)"

run:
	@scripts/system-deps.sh run
	@scripts/venv.sh requirements.txt
	@scripts/run.sh

test:
	@scripts/test.sh

lint:
	@scripts/venv.sh requirements-dev.txt
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	@scripts/venv.sh requirements-dev.txt
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

bench:
	@scripts/system-deps.sh test
	@scripts/venv.sh requirements-dev.txt
	.venv/bin/python -m scripts.bench $(BENCH_ARGS)

.PHONY: help run test lint format bench
