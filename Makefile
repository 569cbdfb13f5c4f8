# Quick start: `make demo` (set up + main job on SQLite), `make test` (whole suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
PG_START := pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
export BWLEDGER_TEST_PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: demo test install postgres browser go oidc spectral wrk bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/bwledger demo

# PostgreSQL 15 runs on 127.0.0.1:5432 (trust auth, database `test`); start it if it is down.
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || ($(PG_START) && sleep 2 && pg_isready -h 127.0.0.1 -p 5432)

# Debian chromium (driven by Playwright in tests/api; Playwright never downloads a browser) and pdftoppm;
# chromium-l10n gives the browser's own controls in Dutch in the README's tour (tests/api/test_tour.py).
browser:
	@(command -v chromium && command -v pdftoppm && test -e /usr/lib/chromium/locales/nl.pak) >/dev/null || (apt-get update -q && apt-get install -y -q chromium chromium-l10n poppler-utils)

# Go and golang.org/x/mod (Debian golang-go, golang-golang-x-mod-dev): tests/ledger/test_go_interop.py builds
# tests/interop/go/notecheck with GO111MODULE=off GOPATH=/usr/share/gocode and checks the checkpoint notes with
# sumdb/note and the proofs with sumdb/tlog.
go:
	@(command -v go && test -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog) >/dev/null || (apt-get update -q && apt-get install -y -q golang-go golang-golang-x-mod-dev)

# The OpenID provider the OIDC login tests start (npm `oidc-provider`, pinned by package-lock.json; local, never global).
OIDC_DIR := tests/oidc/provider
$(OIDC_DIR)/node_modules/.installed: $(OIDC_DIR)/package.json $(OIDC_DIR)/package-lock.json
	cd $(OIDC_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

oidc: $(OIDC_DIR)/node_modules/.installed

# Spectral, to lint /v1/openapi.json with the team's NL API Design Rules ruleset api/spectral/adr.yaml
# (npm `@stoplight/spectral-cli`, pinned by package-lock.json; local, never global).
SPECTRAL_DIR := api/spectral
$(SPECTRAL_DIR)/node_modules/.installed: $(SPECTRAL_DIR)/package.json $(SPECTRAL_DIR)/package-lock.json
	cd $(SPECTRAL_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

spectral: $(SPECTRAL_DIR)/node_modules/.installed

test: install postgres browser go oidc spectral
	CI=$${CI:-} $(BIN)/python -m pytest -n 2 -p no:cacheprovider

# Debian wrk, the load generator of bench/api_bench.py
wrk:
	@command -v wrk >/dev/null || (apt-get update -q && apt-get install -y -q wrk)

bench: install postgres wrk
	$(BIN)/python bench/rules_bench.py
	$(BIN)/python bench/ledger_bench.py
	$(BIN)/python bench/settlement_bench.py
	$(BIN)/python bench/flood_bench.py
	$(BIN)/python bench/api_bench.py

clean:
	rm -rf $(VENV) var build *.egg-info $(OIDC_DIR)/node_modules $(SPECTRAL_DIR)/node_modules
