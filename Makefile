# CarParker: `make run` starts everything locally on moto; `make test` installs what it needs and passes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench lint ruff check clean web-client

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python infra/run_local.py

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile tests

bench: $(STAMP)
	$(BIN)/python bench/run.py

# The web apps' API client (web/openapi.json, web/src/api/schema.d.ts): regenerate after any API change, then commit.
web-client: $(STAMP)
	$(BIN)/python -m infra.web client

lint: $(STAMP)
	$(BIN)/python -m mypy app.py chalicelib bench infra

ruff: $(STAMP)
	$(BIN)/ruff check .

# What .ci/run checks besides the tests (cfn-lint on both templates runs inside `make test`).
check: ruff lint

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis run web/dist web/node_modules
