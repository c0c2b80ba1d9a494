# rospoll developer targets. Every target installs what it needs first, so each one
# works as the first command on a fresh clone.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install test lint fuzz bench demo watch clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: install
	$(BIN)/ruff check rospoll tests bench
	$(BIN)/mypy

fuzz: install
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q -p no:cacheprovider -m fuzz tests

bench: install
	$(BIN)/python bench/run.py

demo: install
	$(BIN)/python -m rospoll.demo

watch: install
	$(BIN)/rospoll watch

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
