# flowops.flows developer entry points. `make test` sets up everything it needs on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT        := $(CURDIR)
VENV        := $(ROOT)/.venv
OLD_VENV    := $(ROOT)/.venv-oldest
BUILD       := $(ROOT)/.build
# ansible-test needs the tree at .../ansible_collections/<namespace>/<name>
COLL_ROOT   := $(BUILD)/tree
COLL_DIR    := $(COLL_ROOT)/ansible_collections/flowops/flows
OLD_ROOT    := $(BUILD)/tree-oldest
OLD_DIR     := $(OLD_ROOT)/ansible_collections/flowops/flows
# Every ansible-core minor that meta/runtime.yml claims is tested: the oldest (2.19, Python 3.11), the middle one
# (2.20, Python 3.13) and the newest (2.21, Python 3.12, the primary venv). Why these: tests/requirements-oldest.txt.
MID_VENV    := $(ROOT)/.venv-middle
MID_ROOT    := $(BUILD)/tree-middle
MID_DIR     := $(MID_ROOT)/ansible_collections/flowops/flows
# the collection is installed here for ansible-playbook / molecule / e2e runs (never ~/.ansible)
INSTALL_DIR := $(BUILD)/collections

PY          := $(VENV)/bin/python
OLD_PY      := $(OLD_VENV)/bin/python
MID_PY      := $(MID_VENV)/bin/python
PYVER        = $(shell $(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
OLD_PYVER    = $(shell $(OLD_PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
MID_PYVER    = $(shell $(MID_PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])')

export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(INSTALL_DIR)
export ANSIBLE_HOME := $(BUILD)/ansible-home
export ANSIBLE_NOCOLOR := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PYTHONDONTWRITEBYTECODE := 1

# The dev -> prod promotion of the sandbox estate (examples/) against the bundled emulator. It makes its own light
# venv (.venv-demo: tests/requirements-demo.txt, no lint/test tools) and installs the collection there itself.
demo:
	examples/demo.sh

.PHONY: faults demo help test venv venv-oldest install lint docs sanity units release-tests emulator-tests integration e2e molecule oldest middle venv-middle clean bench

help:
	@echo "make demo    - a dev -> prod promotion of six emulated environments (Descope, DaVinci, Kore.ai)"
	@echo "make test    - set up venvs, install the collection privately, run lint, docs, sanity, units, release checks, emulator, integration, e2e, the fault matrix, molecule, then the older ansible-core runs (2.19: sanity, units, integration; 2.20: units, integration)"
	@echo "make docs    - the documentation site (modules, roles, user guides) as HTML in .build/docs"
	@echo "make faults  - the fault matrix: every injected fault at every promotion step, classified ok / clean-fail / unclean"
	@echo "make bench   - benchmarks: the emulator, a bulk import by parallel, the document layer, promote vs a uri loop, 1 MB flows (memory), DaVinci and Kore.ai promote, 10 to 1,000 flows, the rate limit (ratios to same-run baselines)"
	@echo "make clean   - remove venvs and build output"

$(VENV)/.stamp: tests/requirements-dev.txt requirements.txt
	rm -rf $(VENV)
	"$$(tests/scripts/find-python.sh 3.12 3.13)" -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r tests/requirements-dev.txt
	touch $@

venv: $(VENV)/.stamp

$(OLD_VENV)/.stamp: tests/requirements-oldest.txt
	rm -rf $(OLD_VENV)
	"$$(tests/scripts/find-python.sh 3.11)" -m venv $(OLD_VENV)
	$(OLD_PY) -m pip install -q --upgrade pip
	$(OLD_PY) -m pip install -q -r tests/requirements-oldest.txt
	touch $@

venv-oldest: $(OLD_VENV)/.stamp

$(MID_VENV)/.stamp: tests/requirements-middle.txt
	rm -rf $(MID_VENV)
	"$$(tests/scripts/find-python.sh 3.13)" -m venv $(MID_VENV)
	$(MID_PY) -m pip install -q --upgrade pip
	$(MID_PY) -m pip install -q -r tests/requirements-middle.txt
	touch $@

venv-middle: $(MID_VENV)/.stamp

# Build the collection tarball and install it into the private collections path.
install: venv
	rm -rf $(BUILD)/dist $(INSTALL_DIR)/ansible_collections/flowops
	mkdir -p $(BUILD)/dist $(INSTALL_DIR)
	tests/scripts/copy-tree.sh $(BUILD)/src >/dev/null
	cd $(BUILD)/src/ansible_collections/flowops/flows && ansible-galaxy collection build --force --output-path $(BUILD)/dist >/dev/null
	ansible-galaxy collection install --force -p $(INSTALL_DIR) $(BUILD)/dist/flowops-flows-*.tar.gz >/dev/null
	@echo "installed flowops.flows into $(INSTALL_DIR)"

lint: install
	ansible-lint --profile production --offline
	antsibull-changelog lint
	cd $(BUILD)/src/ansible_collections/flowops/flows && antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs=all .
	tests/scripts/galaxy-importer.sh $(PY) $(BUILD)/dist/flowops-flows-*.tar.gz

# The documentation site (modules, filter, roles, user guides of docs/docsite) as static HTML in .build/docs.
docs: install
	tests/scripts/build-docs.sh $(PY) $(INSTALL_DIR) $(BUILD)/docs

sanity: venv
	tests/scripts/sanity-bootstrap.sh $(PY)
	tests/scripts/copy-tree.sh $(COLL_ROOT) >/dev/null
	cd $(COLL_DIR) && ansible-test sanity --python $(PYVER) --local --color no

units: venv
	tests/scripts/copy-tree.sh $(COLL_ROOT) >/dev/null
	cd $(COLL_DIR) && ansible-test units --python $(PYVER) --local --color no

# Release checks: the AWX credential types (extensions/awx) and the execution environment definition.
release-tests: install
	$(PY) -m pytest -q -p no:cacheprovider tests/release

emulator-tests: venv
	$(PY) -m pytest -q -p no:cacheprovider tests/emulator/tests

integration: venv
	tests/scripts/copy-tree.sh $(COLL_ROOT) >/dev/null
	tests/scripts/with-emulator.sh $(PY) bash -c 'printf "emulator_url: %s\n" "$$FLOWOPS_EMULATOR_URL" > $(COLL_DIR)/tests/integration/integration_config.yml && cd $(COLL_DIR) && ansible-test integration --python $(PYVER) --local --color no'

# The fault matrix (issue 14: 106 cells through the promote role by default, each one a code path no other cell takes;
# FLOWOPS_FAULT_MATRIX_FULL=1 runs all 262) costs ~25 CPU-minutes (about 16 minutes on 2 busy cores): `make e2e`
# leaves it out, `make faults` runs it alone (FLOWOPS_FAULT_MATRIX_PROVIDERS / _CELLS select a subset), `make test`
# runs both.
e2e: install
	$(PY) -m pytest -q -p no:cacheprovider -m "not fault_matrix" tests/e2e tests/bad_input

faults: install
	$(PY) -m pytest -q -s -p no:cacheprovider -m fault_matrix tests/e2e

molecule: install
	@if ls -d extensions/molecule/*/molecule.yml >/dev/null 2>&1; then molecule test --all; else echo "no molecule scenarios yet"; fi

# Units + integration on another ansible-core: $(call core_run,<venv>,<tree root>,<collection dir>,<python version>)
define core_run
	tests/scripts/copy-tree.sh $(2) >/dev/null
	cd $(3) && PATH=$(1)/bin:$$PATH ansible-test units --python $(4) --local --color no
	tests/scripts/with-emulator.sh $(PY) bash -c 'printf "emulator_url: %s\n" "$$FLOWOPS_EMULATOR_URL" > $(3)/tests/integration/integration_config.yml && cd $(3) && PATH=$(1)/bin:$$PATH ansible-test integration --python $(4) --local --color no'
endef

# The oldest claimed ansible-core (2.19, Python 3.11): sanity, units and integration.
oldest: venv venv-oldest
	$(call core_run,$(OLD_VENV),$(OLD_ROOT),$(OLD_DIR),$(OLD_PYVER))
	tests/scripts/sanity-bootstrap.sh $(OLD_PY)
	cd $(OLD_DIR) && PATH=$(OLD_VENV)/bin:$$PATH ansible-test sanity --python $(OLD_PYVER) --local --color no

# The ansible-core minor between the oldest and the newest (2.20, Python 3.13): units and integration.
middle: venv venv-middle
	$(call core_run,$(MID_VENV),$(MID_ROOT),$(MID_DIR),$(MID_PYVER))

test: venv lint docs sanity units release-tests emulator-tests integration e2e faults molecule oldest middle
	@echo "make test: all suites passed"

# Benchmarks (not tests): the emulator's concurrency and throughput, one bulk descope_flow task by `parallel`, the
# document layer, a promotion against a uri loop and the API floor, and a promotion under Descope's rate limit.
# Each reports ratios against a baseline measured in the same run, and the machine it ran on.
bench: install
	PYTHONPATH=tests $(PY) tests/emulator/bench.py
	$(PY) tests/bench/bench_bulk.py
	$(PY) tests/bench/bench_document.py
	$(PY) tests/bench/bench_promote.py --flows 100 --latency-ms 50
	$(PY) tests/bench/bench_promote.py --flows 100 --flow-kb 1000 --latency-ms 50 --skip-uri --empty-runs 1
	$(PY) tests/bench/bench_promote.py --provider davinci --flows 100 --latency-ms 50
	$(PY) tests/bench/bench_promote.py --provider koreai --flows 100 --latency-ms 50
	$(PY) tests/bench/bench_scaling.py --series 10,100,300,1000 --latency-ms 50
	$(PY) tests/bench/bench_rate_limit.py --flows 100

clean:
	rm -rf $(VENV) $(OLD_VENV) $(MID_VENV) $(ROOT)/.venv-demo $(BUILD) .ansible collections tests/output
