# Every target installs what it needs: a virtualenv in .venv with the pinned packages of constraints.txt.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install demo test unit lint bench clean

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

demo: $(INSTALLED)
	$(BIN)/vpce-guard demo

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The whole suite, one worker per core (each with its own emulator).
test: lint
	$(BIN)/python -m pytest -n auto

# The fast loop: the unit tests, no emulator.
unit: $(INSTALLED)
	$(BIN)/python -m pytest -m "not server" tests/unit

bench: $(INSTALLED)
	$(BIN)/python benchmarks/scan_benchmark.py
	$(BIN)/python benchmarks/event_benchmark.py
	$(BIN)/python benchmarks/sweep_benchmark.py
	$(BIN)/python benchmarks/policy_benchmark.py
	$(BIN)/python benchmarks/evidence_benchmark.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
