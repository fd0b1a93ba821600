# The two commands of the README quick start: `make run` and `make test`.
# Both create .venv if missing, install the project, and (re)train the NLU model when the
# training data, dictionaries or config changed since the last model (fingerprint check).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test model install bench clean

$(STAMP): pyproject.toml $(wildcard */__init__.py)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

model: $(STAMP)
	$(BIN)/linli nlu train

run: model
	$(BIN)/linli run

test: model
	$(BIN)/python -m pytest -q

bench: model
	$(BIN)/python bench/nlu_bench.py
	$(BIN)/python bench/smp2017.py

clean:
	rm -rf $(VENV) nlu/models results .pytest_cache
