# Tidings: `make run` to try it, `make test` to prove it.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
STAMP := $(VENV)/.installed
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
export TEST_DATABASE_URL

.PHONY: run test lint format migrate seed worker web postgres bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

migrate: $(STAMP)
	mkdir -p instance
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) dev seed

## run: set up, migrate SQLite, load the samples, then start the web UI (http://127.0.0.1:8000) and the worker.
run: seed
	@echo "Starting web on http://127.0.0.1:8000 and the worker (Ctrl-C stops both)."
	$(VENV)/bin/honcho -f Procfile.dev start

## test: set up and run every test (unit, SQLite + PostgreSQL integration, browser).
test: $(STAMP) postgres
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest

## postgres: start the local PostgreSQL cluster if it is down (tests skip PostgreSQL outside CI when it cannot start).
postgres:
	@if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
		echo "Starting PostgreSQL..."; \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start || true; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP) postgres
	$(PY) bench/fanout.py

clean:
	rm -rf instance/tidings.db instance/outbox
