# Tidings: `make run` to try it, `make test` to prove it.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
STAMP := $(VENV)/.installed
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
export TEST_DATABASE_URL

# The lock is made from PyPI alone: pip-compile reads pip's configuration, and a machine's own mirrors or wheel
# folders (PIP_FIND_LINKS, extra indexes) would put that machine's files and hashes into the lock.
PIP_COMPILE := env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL PIP_CONFIG_FILE=/dev/null \
	$(abspath $(VENV))/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links
# Debian's Chromium, where the browser tests look for it (tests/browser/conftest.py).
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint format lock lock-check chromium migrate seed postgres bench clean vendor vendor-charts

# requirements-dev.txt locks the whole tree (runtime and tools); every package is checked against its hashes.
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	@# The lock's own pip first: the one a venv starts with (23.2) resolves an extra of a pinned package, as in
	@# readability-lxml's lxml[html-clean], to the newest release and then refuses it as unpinned.
	$(PY) -m pip install --quiet --require-hashes --no-deps -r <(sed -n '/^pip==/,/# via/p' requirements-dev.txt)
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.txt
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

## test: set up and run every test (unit, SQLite + PostgreSQL integration, browser). CI runs exactly this.
test: $(STAMP) lock-check chromium postgres
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest

## chromium: install Chromium for the browser tests when it is missing (as root on Debian), else say how.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then \
			echo "Installing Chromium for the browser tests: apt-get update -qq && apt-get install -y -qq chromium"; \
			apt-get update -qq -o DPkg::Lock::Timeout=600 \
				&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 chromium >/dev/null; \
		elif [ -f /etc/debian_version ]; then \
			echo "Chromium is missing: the browser tests will skip (and fail in CI). To run them:"; \
			echo "    sudo apt-get update -qq && sudo apt-get install -y -qq chromium"; \
		else \
			echo "Chromium is missing: the browser tests will skip (and fail in CI). To run them, install"; \
			echo "Chromium with your package manager so that $(CHROMIUM) exists."; \
		fi; \
	fi

## postgres: start the local PostgreSQL cluster if it is down (tests skip PostgreSQL outside CI when it cannot start).
postgres:
	@if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
		echo "Starting PostgreSQL..."; \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start || true; \
	fi

## lock: recompile requirements.txt and requirements-dev.txt (with hashes) from the .in files.
# Pins appended to requirements.txt under `# added by <branch>` are moved into requirements.in first.
lock: $(VENV)/bin/pip-compile
	$(PY) tools/adopt_added_pins.py requirements.txt:requirements.in requirements-dev.txt:requirements-dev.in
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

## lock-check: fail when the lock files are out of date with requirements.in / requirements-dev.in.
# Recompiles copies in a temporary folder: pip-compile keeps the pins it finds, so only a change to an .in file
# (or a hand edit of a lock) makes the copies differ.
lock-check: $(STAMP)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT \
		&& cp requirements.in requirements-dev.in requirements.txt requirements-dev.txt "$$tmp" \
		&& cd "$$tmp" \
		&& $(PIP_COMPILE) --output-file requirements.txt requirements.in \
		&& $(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in \
		&& cd $(CURDIR) \
		&& if ! diff -u requirements.txt "$$tmp/requirements.txt" || ! diff -u requirements-dev.txt "$$tmp/requirements-dev.txt"; \
		then echo "The lock files are out of date with the .in files: run 'make lock' and commit the result."; exit 1; \
		else echo "Lock files are up to date."; fi

# Bootstraps the lock tool when the lock itself cannot be installed yet (pins added by hand have no hashes).
$(VENV)/bin/pip-compile:
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet "$$(grep -m1 '^pip-tools==' requirements-dev.in)"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP) postgres
	$(PY) bench/fanout.py

# vendor: refresh the JavaScript taken from npm (versions pinned here; each folder keeps its VERSION and licence).
FULLCALENDAR_VERSION := 6.1.15
AXE_CORE_VERSION := 4.10.2
vendor:
	rm -rf $(VENDOR_TMP) && mkdir -p $(VENDOR_TMP)
	cd $(VENDOR_TMP) && npm pack --silent fullcalendar@$(FULLCALENDAR_VERSION) axe-core@$(AXE_CORE_VERSION)
	mkdir -p $(VENDOR_TMP)/fc $(VENDOR_TMP)/axe service/web/static/vendor/fullcalendar tests/browser/vendor/axe-core
	tar xzf $(VENDOR_TMP)/fullcalendar-$(FULLCALENDAR_VERSION).tgz -C $(VENDOR_TMP)/fc
	tar xzf $(VENDOR_TMP)/axe-core-$(AXE_CORE_VERSION).tgz -C $(VENDOR_TMP)/axe
	cp $(VENDOR_TMP)/fc/package/index.global.min.js $(VENDOR_TMP)/fc/package/LICENSE.md service/web/static/vendor/fullcalendar/
	echo "fullcalendar $(FULLCALENDAR_VERSION) (npm), MIT; refresh with: make vendor" > service/web/static/vendor/fullcalendar/VERSION
	cp $(VENDOR_TMP)/axe/package/axe.min.js $(VENDOR_TMP)/axe/package/LICENSE tests/browser/vendor/axe-core/
	echo "axe-core $(AXE_CORE_VERSION) (npm), MPL-2.0; refresh with: make vendor" > tests/browser/vendor/axe-core/VERSION
	rm -rf $(VENDOR_TMP)
VENDOR_TMP := .vendor-tmp

clean:
	rm -rf instance/tidings.db instance/outbox

# Chart.js, vendored (no CDN: the pages' Content-Security-Policy allows our own scripts only). To update: change the
# version, run `make vendor-charts`, look at the diff, commit. `npm pack` fetches the package as published on npm.
CHARTJS_VERSION := 4.6.1
CHARTJS_DIR := service/web/static/vendor/chartjs
vendor-charts:
	rm -rf $(CHARTJS_DIR) && mkdir -p $(CHARTJS_DIR)
	tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent chart.js@$(CHARTJS_VERSION) >/dev/null \
		&& tar xzf chart.js-$(CHARTJS_VERSION).tgz && cd - >/dev/null \
		&& cp $$tmp/package/dist/chart.umd.min.js $$tmp/package/LICENSE.md $(CHARTJS_DIR)/ \
		&& echo "chart.js $(CHARTJS_VERSION) (MIT), from npm: npm pack chart.js@$(CHARTJS_VERSION)" > $(CHARTJS_DIR)/VERSION \
		&& rm -rf $$tmp
