# deltadesk — the README's commands. Each installs what it needs: uv (into .tools/ when it is not
# on PATH), the locked environment (uv sync --frozen), and for tests Debian's Chromium.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/uv/bin/uv)
export UV_PYTHON_DOWNLOADS := never

.PHONY: help up test bench lint sync browser-deps subjects clean

help:
	@echo "make up     start the desk (embedded NATS and the paper broker unless configured); prints the URL"
	@echo "make test   run every test"
	@echo "make bench  write the performance report to bench-report.json"
	@echo "make lint   ruff and mypy"

$(CURDIR)/.tools/uv/bin/uv:
	@echo "installing uv $(UV_VERSION) into .tools/uv"
	$(PYTHON) -m venv $(CURDIR)/.tools/uv
	$(CURDIR)/.tools/uv/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

sync: $(UV)
	$(UV) sync --frozen --all-packages

browser-deps:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium for the browser tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; \
	else echo "note: /usr/bin/chromium is missing and cannot be installed here; browser tests will be skipped"; fi

up: sync
	$(UV) run --frozen deltadesk up

test: sync browser-deps
	$(UV) run --frozen deltadesk subjects --check
	$(UV) run --frozen pytest

bench: sync
	$(UV) run --frozen python -m tests.bench --output bench-report.json

lint: sync
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy

subjects: sync
	$(UV) run --frozen deltadesk subjects

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache
