# Rotadesk: `make demo` to try it, `make test` to check it, `make run` for the configured deployment.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501

.PHONY: demo test run install install-dev system-deps bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Rotadesk needs Python 3.11 or newer: set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	$(BIN)/python -m ingest demo --db data/demo.db
	ROTADESK_DB=data/demo.db ROTADESK_DATA_DIR=data/demo ROTADESK_COMPANY_DOMAINS=flowboard.io \
		ROTADESK_PUBLIC_URL=http://localhost:$(PORT) $(BIN)/python -m ui.serve --port $(PORT)

system-deps:
	@scripts/system-deps.sh

test: install-dev system-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

run: install
	scripts/run.sh

bench: install-dev
	$(BIN)/python -m bench all

clean:
	rm -rf $(VENV) data/demo.db* data/demo tests/e2e/artifacts .pytest_cache
