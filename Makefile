# The README's commands: `make run` and `make test` (and `make bench`).
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 5000
TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export FLASK_APP := backend

.PHONY: run test test-sqlite test-postgres test-pwa lint bench install pwa db system-deps translations clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	# `npm ci` trips over optional platform packages that npm 11 leaves out of the lock file
	# (npm/cli#4828); `npm install` still installs the locked versions.
	npm install --no-audit --no-fund
	touch $@

install: $(BIN)/.installed node_modules/.installed

# The technician PWA: esbuild bundles pwa/static/src into pwa/static/dist, Workbox precaches it.
pwa: node_modules/.installed
	npm run build

# Chromium and the CJK font for browser tests and PDFs, from Debian, when missing.
system-deps:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -q "Noto Sans CJK" \
	   || ! command -v pdftoppm >/dev/null; then \
	  echo "Installing Debian packages (chromium, fonts-noto-cjk, poppler-utils, pango)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium fonts-noto-cjk poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 >/dev/null; \
	fi

db: install
	$(BIN)/flask db upgrade heads
	$(BIN)/flask seed-demo
	$(BIN)/flask push-keys

run: install pwa db
	$(BIN)/flask run --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check backend printing tests bench

test-sqlite: install pwa system-deps
	$(BIN)/pytest -q

# The storage and sync stories again on PostgreSQL; with CI=true an unreachable server fails.
test-postgres: install
	TEST_DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest -q -m storage

# Unit tests of the PWA's store, outbox and rebase (vitest on fake-indexeddb).
test-pwa: node_modules/.installed
	npm test

test: lint test-pwa test-sqlite test-postgres

bench: install pwa system-deps
	$(BIN)/python -m bench.sync_apply
	$(BIN)/python -m bench.pull_snapshot
	$(BIN)/python -m bench.pwa_cold_start
	$(BIN)/python -m bench.pwa_sync
	$(BIN)/python -m bench.report_pdf
	# These two rebuild the PostgreSQL schema: never while test-postgres runs.
	$(BIN)/python -m bench.office_queries --url $(TEST_POSTGRES_URL)
	$(BIN)/python -m bench.commission_month --url $(TEST_POSTGRES_URL)

# Re-extract and compile the office's Flask-Babel catalogs (zh, en).
translations: install
	$(BIN)/pybabel extract -F backend/translations/babel.cfg -k _l -k lazy_gettext --no-location --no-wrap \
	  --sort-output -o backend/translations/messages.pot backend pwa/templates
	$(BIN)/pybabel update -i backend/translations/messages.pot -d backend/translations --no-fuzzy-matching --no-wrap
	$(BIN)/pybabel compile -d backend/translations

clean:
	rm -rf $(VENV) node_modules pwa/static/dist
