# mlops-estate — everyday commands. Every target installs what it needs first (idempotent).
VENV   ?= .venv
PY     := $(VENV)/bin/python
ESTATE := $(VENV)/bin/estate
STAMP  := $(VENV)/.installed
STACK  ?= dev

.PHONY: setup preview preview-all test test-slow smoke bench lint format-check clean spec-examples

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

## Offline preview of one stack (default: dev), no credentials needed.
preview: setup
	$(ESTATE) preview $(STACK)

## Offline preview of every stack.
preview-all: setup
	$(ESTATE) preview --all

## The test suite: everything but the slow checks (under 5 minutes on 2 cores).
test: setup
	$(PY) -m pytest -m "not slow"

## The slow checks: whole-stack previews per area, rendered-model test runs (CI runs them too).
test-slow: setup
	$(PY) -m pytest -m slow

## Serves a sample model with the real Azure ML inference server and smoke-tests it.
smoke: setup
	$(PY) -m model_assets.smoke_local

## Benchmarks the offline preview (writes out/bench.json and docs/benchmarks.md).
bench: setup
	$(ESTATE) bench

# Azure/azureml-examples cli/ specs (tests/specs/azureml-examples.manifest) through `estate spec check`;
# AZUREML_EXAMPLES_DIR names a checkout at the manifest's commit (skipped when unset).
spec-examples: setup
	$(VENV)/bin/python -m tests.specs.run_examples

lint: setup
	$(PY) -m ruff check .

format-check: setup
	$(PY) -m ruff format --check .

clean:
	rm -rf $(VENV) .venv-serve out .pytest_cache
