# CarParker: `make run` starts everything locally on moto; `make test` installs what it needs and passes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
RUN_DIR ?= run

# Stamps: each install step runs again only when its requirements file changed. `make run` installs what running
# needs (requirements.txt, the Lambda runtime, plus requirements-local.txt: chalice and moto's server); `make test`
# adds the test and lint tools (requirements-dev.txt).
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
# What `make run` needs before it starts. A build step joins here as a stamp of its own whose recipe runs only when
# its inputs are newer (for example web/dist/.built: web/package-lock.json $(shell find web/src -type f)).
RUN_NEEDS  := $(RUN_STAMP)

.PHONY: run test bench lint ruff check reset clean web-client

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements.txt requirements-local.txt | $(BIN)/python
	$(PIP) -r requirements-local.txt
	touch $@

$(TEST_STAMP): $(RUN_STAMP) requirements-dev.txt
	$(PIP) -r requirements-dev.txt
	touch $@

run: $(RUN_NEEDS)
	$(BIN)/python infra/run_local.py

test: $(TEST_STAMP)
	PERSIST=0 $(BIN)/python -m pytest -q -n 2 --dist loadfile tests

bench: $(TEST_STAMP)
	$(BIN)/python bench/run.py

# The web apps' API client (web/openapi.json, web/src/api/schema.d.ts): regenerate after any API change, then commit.
web-client: $(RUN_STAMP)
	$(BIN)/python -m infra.web client

lint: $(TEST_STAMP)
	$(BIN)/python -m mypy app.py chalicelib bench infra

ruff: $(TEST_STAMP)
	$(BIN)/ruff check .

# What .ci/run checks besides the tests (cfn-lint on both templates runs inside `make test`).
check: ruff lint

# The local state `make run` keeps (stop `make run` first): the next start applies the template and seeds afresh.
reset:
	rm -f $(RUN_DIR)/local-state.pickle $(RUN_DIR)/local-state.rejected $(RUN_DIR)/.local-state.pickle.*.tmp

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis run web/dist web/node_modules
