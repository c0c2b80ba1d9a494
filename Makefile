# rospoll developer targets. Every target installs what it needs first, so each one
# works as the first command on a fresh clone.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install test lint fuzz bench demo watch clean chromium

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian's chromium renders the mail and report screenshots; where it cannot be installed
# (not root, no apt-get) the screenshot tests skip and say why.
chromium:
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make: installing Debian's chromium for the screenshot tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	      >/dev/null 2>&1 || echo "make: chromium could not be installed; screenshot tests will skip"; \
	  else echo "make: chromium not installed (needs root and apt-get); screenshot tests will skip"; fi; }

test: install chromium
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: install
	$(BIN)/ruff check rospoll tests bench
	$(BIN)/mypy

fuzz: install
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q -p no:cacheprovider -m fuzz tests

bench: install
	$(BIN)/python bench/run.py

demo: install
	$(BIN)/python -m rospoll.lab.demo

watch: install
	$(BIN)/rospoll watch

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
