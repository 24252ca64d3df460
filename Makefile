# opcheck developer tasks. `make test` is what CI runs (.ci/run).
# Derived artefacts (.venv, the saved pipeline) are rebuilt only when their inputs change.

PYTHON    ?= python3
VENV      := .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.stamp
OPCHECK   := $(BIN)/opcheck
MODEL_DIR := models/opcheck-27358
MODEL     := $(MODEL_DIR)/meta.json
MODEL_SRC := $(wildcard nlp/rules/*) nlp/pipeline.cfg $(wildcard nlp/components/*.py) \
             $(wildcard nlp/learn/*.py) nlp/pipeline.py nlp/resources.py \
             $(wildcard corpus/*.jsonl) $(wildcard corpus/mentions/*.jsonl)
SAMPLES   := $(wildcard samples/*.txt)

.PHONY: all install model demo test lint bench bench-serve bench-audit browser clean distclean

all: test

install: $(STAMP)

# pip runs only when pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

model: $(MODEL)

# Built next to the target and swapped in, so a failed build never leaves a half model
# that looks up to date.
$(MODEL): $(MODEL_SRC) $(STAMP)
	rm -rf $(MODEL_DIR).tmp
	$(OPCHECK) train --out $(MODEL_DIR).tmp
	rm -rf $(MODEL_DIR)
	mv $(MODEL_DIR).tmp $(MODEL_DIR)
	touch $@

demo: install model
	@for f in $(SAMPLES); do \
	  echo "== opcheck check $$f"; \
	  $(OPCHECK) check $$f || exit $$?; \
	  echo; \
	done
	@echo "== opcheck check samples/batch.jsonl --format json"
	@$(OPCHECK) check samples/batch.jsonl --format json

lint: install
	$(BIN)/ruff check nlp tests bench

test: install model lint
	$(BIN)/pytest

# Debian's Chromium for the real-browser test (tests/test_web_browser.py skips without it).
# Installs only when /usr/bin/chromium is missing; needs root (or sudo) for apt-get.
browser:
	@test -x /usr/bin/chromium || { \
	  SUDO=$$(test "$$(id -u)" -eq 0 || echo sudo); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }

bench: install model
	$(BIN)/python bench/bench_check.py

bench-serve: install model
	$(BIN)/python bench/bench_serve.py

bench-audit: install model   # N=20000 for the acceptance figures (takes a few minutes)
	$(BIN)/python bench/bench_audit.py --n $(or $(N),4000)

clean:
	rm -rf $(MODEL_DIR) $(MODEL_DIR).tmp .pytest_cache .ruff_cache build
	find nlp tests bench -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
