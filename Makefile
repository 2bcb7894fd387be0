# Two commands do all set-up on a fresh machine with Python 3.11 and make:
#   make paper   build the manuscript (results/manuscript/manuscript.{html,pdf,docx})
#   make test    run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= 4
# Every package of the dependency tree, pinned with its hashes (make lock writes it).
LOCK := requirements.lock
PIP_TOOLS := pip-tools==7.6.2

.PHONY: paper test lint report bench verify clean lock

# The lock installs everything, the build backend included, each file checked against its
# hash; the project itself is then installed in place with that backend and nothing else.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e '.[qda]'
	touch $(STAMP)

# After changing a pin in pyproject.toml: resolve the whole tree again, with hashes.
lock:
	test -x $(VENV)-lock/bin/python || $(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/python -m pip install --quiet $(PIP_TOOLS)
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)-lock/bin/pip-compile --quiet \
	    --generate-hashes --allow-unsafe --all-build-deps --strip-extras --extra qda \
	    --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
	    -o $(LOCK) pyproject.toml

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
