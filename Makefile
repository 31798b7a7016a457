# mlops-estate — everyday commands. Every target installs what it needs first (idempotent).
VENV   ?= .venv
PY     := $(VENV)/bin/python
ESTATE := $(VENV)/bin/estate
STAMP  := $(VENV)/.installed
STACK  ?= dev
## pytest-xdist workers for the suites (auto: one per CPU core); WORKERS=0 runs in one process.
WORKERS ?= auto
XDIST  := -n $(WORKERS) --dist loadfile

.PHONY: policy-venv setup preview preview-all test test-slow smoke rehearse bench scan spec-examples \
        lint format format-check typecheck ci ci-lint ci-test ci-preview ci-heavy clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || python3 -m venv $(VENV)
	@echo "setup: installing the pinned dependencies into $(VENV) (takes a few minutes)"
	$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
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
	$(PY) -m pytest -m "not slow" $(XDIST)

## The slow checks: whole-stack previews per area, rendered-model test runs (CI runs them too).
test-slow: setup
	$(PY) -m pytest -m slow $(XDIST)

## Serves a sample model with the real Azure ML inference server and smoke-tests it.
smoke: setup
	$(PY) -m model_assets.smoke_local

## The MLOps loop rehearsed on this machine: train, gate, register, release, serve, smoke, drift,
## retraining Function (fakes only at the Azure / Azure DevOps HTTP edge). Prints each step's time.
rehearse: setup
	$(PY) -m infra.rehearse

## Benchmarks the offline preview (writes out/bench.json and docs/benchmarks.md).
bench: setup
	$(ESTATE) bench

## Checkov's Azure ARM checks on the ARM renderings of prod, qa and shared (estate scan), judged
## against policy/suppressions.yaml. Checkov lives in its own venv, pinned by requirements-scan.lock.
SCAN_VENV ?= .venv-scan
SCAN_STAMP := $(SCAN_VENV)/.installed

$(SCAN_STAMP): requirements-scan.lock
	test -x $(SCAN_VENV)/bin/python || python3 -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements-scan.lock
	touch $(SCAN_STAMP)

scan: setup $(SCAN_STAMP)
	$(ESTATE) scan prod qa shared --checkov $(SCAN_VENV)/bin/checkov --json out/scan.json

# Azure/azureml-examples cli/ specs (tests/specs/azureml-examples.manifest) through `estate spec check`;
# AZUREML_EXAMPLES_DIR names a checkout at the manifest's commit (skipped when unset).
spec-examples: setup
	$(VENV)/bin/python -m tests.specs.run_examples

## ruff lint (rules in pyproject.toml, RUF100 flags stale noqa).
lint: setup
	$(PY) -m ruff check .

## Rewrites the tree in the house style (imports sorted, ruff format).
format: setup
	$(PY) -m ruff check --select I --fix -q .
	$(PY) -m ruff format .

format-check: setup
	$(PY) -m ruff format --check --diff .

## mypy over the whole tree (configuration in pyproject.toml [tool.mypy]).
typecheck: setup
	$(PY) -m mypy

## What CI runs, job by job: pipelines/ci.yml runs one target per job, .ci/run runs `make ci`.
ci: ci-lint ci-test ci-preview ci-heavy

ci-lint: lint format-check typecheck

ci-test: setup
	mkdir -p out
	$(PY) -m pytest tests components -m "not slow" $(XDIST) --junitxml=out/junit-unit.xml -o junit_suite_name=unit \
	  --cov=infra --cov=stacks --cov=components --cov=policy --cov=model_assets \
	  --cov-report=xml:out/coverage.xml --cov-report=term
	$(PY) -m pytest model_assets -m "not slow" $(XDIST) --junitxml=out/junit-data.xml -o junit_suite_name=data \
	  --cov=infra --cov=stacks --cov=components --cov=policy --cov=model_assets --cov-append \
	  --cov-report=xml:out/coverage.xml --cov-report=term

ci-preview: setup
	$(ESTATE) preview --all
	mkdir -p out
	status=0; for stack in shared dev qa prod; do \
	  $(ESTATE) preview "$$stack" --json "out/plan-$$stack.json" --quiet || status=$$?; \
	done; exit "$$status"

ci-heavy: test-slow smoke rehearse scan
	$(ESTATE) bench --quick --json out/bench-ci.json

clean:
	rm -rf $(VENV) .venv-serve .venv-serve-* $(SCAN_VENV) out .pytest_cache

## The policy pack's own environment (policy/venv), hash-checked; the Pulumi CLI does not build it.
policy-venv: policy/venv/.installed

policy/venv/.installed: policy/requirements.txt
	test -x policy/venv/bin/python || python3 -m venv policy/venv
	policy/venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes -r policy/requirements.txt
	touch policy/venv/.installed
