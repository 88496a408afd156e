# Two commands do all the set-up on a fresh machine with Python 3.11+:
#   make run    virtual environment, install, migrate, demo data, serve on http://127.0.0.1:5000
#   make test   the whole test suite (SQLite; PostgreSQL with TEST_DATABASE_URL)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test install test-deps worker screenshots clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# axe-core, the Nu HTML checker and the OpenID Connect test provider come from the npm registry, when npm is there.
tests/support/node_modules/.installed: tests/support/package.json tests/support/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --silent --no-audit --no-fund --prefix tests/support && touch $@; \
	else echo "npm not found: the OpenID Connect, accessibility and HTML validity tests will be skipped"; fi

test-deps: $(VENV)/.installed tests/support/node_modules/.installed

run: $(VENV)/.installed
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	@echo "Mail is written to this terminal by the outbox worker (set MAIL_URL to send it over SMTP)."
	@$(BIN)/flask outbox work & worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
		$(BIN)/flask run --host 127.0.0.1 --port 5000

test: test-deps
	$(BIN)/pytest $(PYTEST_ARGS)

worker: $(VENV)/.installed
	$(BIN)/flask outbox work

# Desktop and phone screenshots of the main pages for each role, into screenshots/ (needs chromium).
screenshots: test-deps
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) instance tests/support/node_modules
