# Two entry points: `make demo` runs the main job on the bundled example, `make test` runs the tests.
# Each creates the virtual environment it needs (.venv) from pyproject.toml's pinned dependencies.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# the tools users read the outputs with (pyproject's "clients" extra), in an environment of their own
CLIENTS := .venv-clients

.PHONY: demo test lint clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "twinpages needs Python >= 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

demo: $(BIN)/.installed
	$(BIN)/twinpages mine examples/seeds -o demo-out
	$(BIN)/twinpages report demo-out -o demo-out/report
	@echo "--- demo-out/docpairs.jsonl"; cat demo-out/docpairs.jsonl
	@echo "--- demo-out/bitext/en-de.tsv (first 3 of $$(wc -l < demo-out/bitext/en-de.tsv) sentence pairs)"; head -n 3 demo-out/bitext/en-de.tsv
	@echo "--- report: demo-out/report/index.html"

$(CLIENTS)/.installed: pyproject.toml
	$(PYTHON) -m venv $(CLIENTS)
	$(CLIENTS)/bin/python -m pip install --quiet --upgrade pip
	$(CLIENTS)/bin/python -m pip install --quiet $$($(PYTHON) -c 'import tomllib; print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["clients"]))')
	@touch $@

test: $(BIN)/.installed $(CLIENTS)/.installed
	$(BIN)/ruff check src tests benchmarks training
	@# the report's browser test drives Debian's Chromium (never a downloaded browser); it skips if none
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "note: chromium could not be installed; the browser test will skip"
	$(BIN)/python -m pytest -q

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests benchmarks training

clean:
	rm -rf $(VENV) $(CLIENTS) demo-out .pytest_cache
