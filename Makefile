# The harness: `make compare` runs a suite and writes results/<run-id>/; `make test` tests.
# Both create .venv and install the project on first use (again only when pyproject.toml
# or constraints.txt change). Run `make help` for the targets and variables.

BASE_PYTHON ?= python3
PYTHON ?=
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

SUITE ?= default
BACKENDS ?=
WORKLOADS ?=
REPEATS ?=
SEED ?=
RESULTS ?= results
RUN ?= $(RESULTS)/latest
RESUME ?=
DASK_ADDRESS ?=
RAY_ADDRESS ?=
SERVICE_HOST ?=
TARGET ?=
INPUTS ?=
TOLERANCE ?=
BUDGET ?=
PYTEST_ARGS ?=
RUNS ?=
comma := ,

# The variables `make compare` passes on, in this order and only when given: NAME=value
# becomes --name "value", the name lower-cased with _ as - (BUDGET=3m -> --budget "3m",
# DASK_ADDRESS=x -> --dask-address "x"); PYTHON passes the interpreter of the environment
# `make python-env` prepared for it. SUITE (unless TARGET or RESUME is given) and RESULTS
# are passed by the recipe itself.
COMPARE_VARS := TARGET INPUTS TOLERANCE BUDGET PYTHON BACKENDS WORKLOADS REPEATS SEED RESUME \
	DASK_ADDRESS RAY_ADDRESS SERVICE_HOST
compare_flag = --$(shell echo '$(1)' | tr 'A-Z_' 'a-z-')
compare_value = $(if $(filter PYTHON,$(1)),$$(cat $(VENV)/.cell-python),$($(1)))
COMPARE_GIVEN = $(strip $(foreach v,$(COMPARE_VARS),$(if $($(v)),$(v))))
COMPARE_ARGS = $(foreach v,$(COMPARE_GIVEN),$(call compare_flag,$(v)) "$(call compare_value,$(v))")

.DEFAULT_GOAL := help
.PHONY: help install compare python-env smoke quick test report diff site fidelity list lint clean-venv

help: ## list targets and variables
	@echo "Targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo "Variables:"
	@echo "  SUITE=$(SUITE)      suite (smoke, quick, default, variants, full, faults, shared,"
	@echo "                     aa, multihost, host-loss) or a .toml path"
	@echo "  BACKENDS=a,b       only these backends or variants, e.g. threads,processes:* (serial stays)"
	@echo "  WORKLOADS=x,y      only these workloads"
	@echo "  REPEATS=N          measured repeats per cell (overrides the suite)"
	@echo "  SEED=N             the interleaved order (default: drawn per run; each report's"
	@echo "                     Reproduce section names the one it used)"
	@echo "  RESULTS=$(RESULTS)    output root; runs go to RESULTS/<run-id>/"
	@echo "  RUN=dir            the run for 'make report' (default RESULTS/latest)"
	@echo "  RESUME=run-id      finish an interrupted run, skipping cells already done"
	@echo "  DASK_ADDRESS=tcp://host:port  run Dask cells on that existing cluster"
	@echo "  RAY_ADDRESS=host:port          run Ray cells on that existing cluster"
	@echo "  SERVICE_HOST=addr  where the latency server listens, if cluster workers are remote"
	@echo "  A=dir B=dir        the two runs for 'make diff'"
	@echo "  RUNS=dir,dir       more run folders for 'make site' (a colleague's results)"
	@echo "  TARGET=mod:fn      race your own function (or path/file.py:fn) instead of SUITE"
	@echo "  INPUTS=mod:fn      its inputs: a function of the task count, or a .jsonl/.json/.pkl file"
	@echo "  TOLERANCE=1e-9     results match serial's within this relative difference"
	@echo "  BUDGET=5m          wall time the TARGET run may take (it sizes the suite to fit)"
	@echo "  PYTHON=path        run the cells under this interpreter (another CPython, a"
	@echo "                     free-threaded build); its environment goes to .venvs/"
	@echo "  BASE_PYTHON=$(BASE_PYTHON) interpreter used to create $(VENV) (the harness)"

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(BASE_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=23"
	$(PY) -m pip install --quiet --no-compile -c constraints.txt -e ".[dev]"
	@# Bytecode on every core at once (pip compiles on one); what does not compile is left.
	@$(PY) -m compileall -q -j 0 "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" > /dev/null || true
	@touch $@

install: $(STAMP) ## create .venv and install the project (only if missing or stale)

compare: $(STAMP) ## run SUITE and write RESULTS/<run-id>/ with REPORT.md
	@$(if $(PYTHON),$(PY) -m comparisons.run.python_env "$(PYTHON)" > $(VENV)/.cell-python)
	$(PY) -m comparisons compare$(if $(RESUME)$(TARGET),, --suite "$(SUITE)") --results "$(RESULTS)"$(if $(COMPARE_GIVEN), $(COMPARE_ARGS))

python-env: $(STAMP) ## prepare .venvs/<python> for PYTHON=path (make compare does it too)
	@test -n "$(PYTHON)" || { echo "error: make python-env needs PYTHON=<interpreter>" >&2; exit 2; }
	$(PY) -m comparisons.run.python_env "$(PYTHON)"

smoke: ## same as make compare SUITE=smoke
	@$(MAKE) --no-print-directory compare SUITE=smoke

quick: ## same as make compare SUITE=quick
	@$(MAKE) --no-print-directory compare SUITE=quick

test: $(STAMP) ## run the tests (real backends, small sizes)
	$(PY) -m pytest $(PYTEST_ARGS)

report: $(STAMP) ## rebuild summary.csv, verdict.json, pyperf.json, plots/ and REPORT.md of RUN
	$(PY) -m comparisons report "$(RUN)"

diff: $(STAMP) ## per-cell change from run A to run B: make diff A=dir B=dir
	@test -n "$(A)" -a -n "$(B)" || { echo "error: make diff needs A=<run dir> B=<run dir>" >&2; exit 2; }
	$(PY) -m comparisons diff "$(A)" "$(B)"

site: $(STAMP) ## every run under RESULTS (and RUNS=dir,dir) as a static site in RESULTS/site/
	$(PY) -m comparisons site --results "$(RESULTS)" $(foreach r,$(subst $(comma), ,$(RUNS)),"$(r)")

fidelity: $(STAMP) ## harness vs hand-written scripts: does the harness distort?
	$(PY) -m comparisons.run.fidelity

list: $(STAMP) ## name every workload, backend and suite
	$(PY) -m comparisons list

lint: $(STAMP) ## ruff check, format check and mypy (settings in pyproject.toml)
	$(PY) -m ruff check comparisons workloads tests examples
	$(PY) -m ruff format --check comparisons workloads tests examples
	$(PY) -m mypy

clean-venv: ## remove .venv and the other interpreters' .venvs/
	rm -rf $(VENV) .venvs
