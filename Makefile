# Two commands do all set-up on a fresh machine with Python 3.11 and make:
#   make paper   build the manuscript (results/manuscript/manuscript.{html,pdf})
#   make test    run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= 4
# Rules run `python -m analysis...`: put the project's environment first on PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: paper test lint report bench verify clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[qda]'
	touch $(STAMP)

paper: $(STAMP)
	$(BIN)/snakemake --cores $(CORES)

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check analysis tests workflow
	$(BIN)/snakemake --lint

report: paper
	$(BIN)/snakemake --cores $(CORES) --report results/report.html

bench: $(STAMP)
	$(BIN)/python -m analysis.dev.benchmark

verify: $(STAMP)
	$(BIN)/python -m analysis.dev.verify

clean:
	rm -rf results .snakemake
