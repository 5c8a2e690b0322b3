# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8080

.PHONY: install run test lint bench validate clean pg-stop chromium

$(BIN)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

install: $(BIN)/.installed node_modules/.installed

## Serve the API and UI on http://127.0.0.1:$(PORT), with demo data in an empty database.
run: install
	$(BIN)/verwijsflow serve --demo-if-empty --host 127.0.0.1 --port $(PORT)

## The whole suite, on SQLite and on a (throwaway) PostgreSQL, with the browser tests in
## Debian's Chromium; screenshots of the UI land in test-artifacts/screenshots/.
test: install
	@scripts/ensure-chromium.sh || { echo "make test: geen Chromium voor de browsertests (zie hierboven)"; exit 1; }
	@PGURL="$$(scripts/test-postgres.sh)" || { echo "make test: geen PostgreSQL beschikbaar (zie hierboven)"; exit 1; }; \
	VERWIJSFLOW_TEST_PG_URL="$$PGURL" $(BIN)/pytest $(PYTEST_ARGS)
	$(BIN)/ruff check engine webapi tests bench
	$(BIN)/verwijsflow validate

## Debian's Chromium for the browser tests (installed with apt-get when root).
chromium:
	scripts/ensure-chromium.sh

lint: install
	$(BIN)/ruff check engine webapi tests bench

validate: install
	$(BIN)/verwijsflow validate

bench: install
	$(BIN)/python -m bench

pg-stop:
	-runuser -u postgres -- /usr/lib/postgresql/*/bin/pg_ctl -D /tmp/verwijsflow-pg-55432/data stop 2>/dev/null || \
	  /usr/lib/postgresql/*/bin/pg_ctl -D /tmp/verwijsflow-pg-55432/data stop

clean:
	rm -rf $(VENV) node_modules instance test-artifacts .pytest_cache .ruff_cache
