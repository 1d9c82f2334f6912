# Every target installs what it needs: a virtualenv in .venv with the pinned packages of constraints.txt.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

# The AWS SAM CLI, in a virtualenv of its own (it pins an older boto3 and click than ours), at the versions of
# build-constraints.txt.
SAM_VENV := .venv-sam
SAM := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
SAM_INSTALLED := $(SAM_VENV)/.installed
# python3.12, the functions' runtime, which `sam build` builds for: from PATH, else a 3.12 of pyenv's.
PYTHON312 := $(or $(shell python3.12 -c 'import sys; print(sys.executable)' 2>/dev/null),$(lastword $(sort \
	$(wildcard $(shell pyenv root 2>/dev/null || echo $(HOME)/.pyenv)/versions/3.12.*/bin/python3.12))))

.PHONY: install demo test unit lint build browser bench clean

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

$(SAM_INSTALLED): build-constraints.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet -c build-constraints.txt aws-sam-cli
	touch $(SAM_INSTALLED)

# The demo also writes its scan's HTML report to vpce-guard-report.html here, and says where.
demo: $(INSTALLED)
	$(BIN)/vpce-guard demo

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Both templates linted (offline), then the layer and the functions built as `sam deploy` ships them (arm64,
# python3.12, no Docker; --cached: only what changed is built again), and made runnable here for the tests.
build: $(INSTALLED) $(SAM_INSTALLED)
	@test -n "$(PYTHON312)" || { echo "make build needs python3.12 (the functions' runtime) on PATH:" \
		"install it (pyenv install 3.12, or your system's python3.12 package) and run make build again" >&2; exit 1; }
	$(SAM) validate --lint --region us-east-1 --template template.yaml
	$(SAM) validate --lint --region us-east-1 --template member/template.yaml
	PATH="$(dir $(PYTHON312)):$$PATH" $(SAM) build --cached --template template.yaml
	@# Lambda cannot write bytecode into a layer (/opt is read-only): without it every cold start compiles every
	@# module it imports. The build ships it, unchecked against the sources (they never change once deployed).
	$(PYTHON312) -m compileall -q -f -j 0 --invalidation-mode unchecked-hash .aws-sam/build
	$(BIN)/python -m vpce_guard_local.sam.built .aws-sam $(PYTHON312)

# The HTML report's browser tests drive headless Chromium: Debian's chromium package, installed where it is missing
# (apt-get, so as root: as CI runs). VPCE_GUARD_NO_BROWSER=1 skips both the install and those tests.
browser:
	@if [ "$(VPCE_GUARD_NO_BROWSER)" = 1 ] || command -v chromium >/dev/null; then exit 0; fi; \
	echo "installing chromium for the HTML report's browser tests"; \
	(apt-get update && apt-get install -y --no-install-recommends chromium) || { echo "make browser could not" \
		"install chromium: run as root on Debian (or install your system's chromium and put it on PATH), or set" \
		"VPCE_GUARD_NO_BROWSER=1 to skip the browser tests" >&2; exit 1; }

# The whole suite, one worker per core (each with its own emulator), after the build its tests read. A worker
# that runs out of tests takes some of another's (worksteal): the long end-to-end tests do not all land last.
# Every worker, and every function and emulator process the tests start, imports the code afresh: Python keeps
# the bytecode it compiles (__pycache__, ignored by git) even where the environment says not to, which made the
# suite a minute slower on a fresh clone.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -n auto --dist worksteal
test: lint build browser
	$(PYTEST)

# The fast loop: the unit tests, no emulator.
unit: $(INSTALLED)
	$(PYTEST) -m "not server" tests/unit

bench: $(INSTALLED) build
	$(BIN)/python benchmarks/build_benchmark.py
	$(BIN)/python benchmarks/scan_benchmark.py
	$(BIN)/python benchmarks/event_benchmark.py
	$(BIN)/python benchmarks/sweep_benchmark.py
	$(BIN)/python benchmarks/policy_benchmark.py
	$(BIN)/python benchmarks/evidence_benchmark.py

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
