# Tessera: `make run` for a running app with a demo organization, `make test` for the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

help:
	@echo "make run    fresh machine -> running app with the demo organization (Ctrl-C stops it)"
	@echo "make test   install test services, lint, tests on SQLite and PostgreSQL"
	@echo "make lint   ruff check and format check"
	@echo "make format ruff format and fix"
	@echo "make bench  benchmarks (prints figures; see README)"
	@echo "make screenshots  the page crawler (every page, role, width) saving full-page PNGs to screenshots/"
	@echo "make fuzz   schemathesis over every API operation, longer than make test's run (FUZZ_EXAMPLES=100)"

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

fuzz:
	@scripts/system-deps.sh test
	@scripts/venv.sh requirements-dev.txt
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-100} .venv/bin/pytest -q -p no:cacheprovider tests/api/test_fuzz.py
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-100} TEST_DB=postgres .venv/bin/pytest -q -p no:cacheprovider tests/api/test_fuzz.py

screenshots:
	@scripts/system-deps.sh test
	@scripts/venv.sh requirements-dev.txt
	rm -rf screenshots && mkdir -p screenshots
	SCREENSHOT_DIR=$(CURDIR)/screenshots .venv/bin/pytest -q -p no:cacheprovider tests/browser/test_crawler.py; \
	  status=$$?; echo "$$(ls screenshots | wc -l) screenshots in screenshots/"; exit $$status

.PHONY: help run test lint format bench fuzz screenshots
