# Helpers shared by the rules: paths, the analysis modules each step runs,
# and the part of the configuration each step depends on.
import json

# Synthetic results live under results/; restricted-data results under
# results/restricted/, so the two never mix.
RESTRICTED = config["data_source"] == "restricted"
RESULTS = "results/restricted" if RESTRICTED else "results"
DATA = "data/restricted" if RESTRICTED else f"{RESULTS}/data/synthetic"
LOGS = f"{RESULTS}/logs"
ENV = "../envs/analysis.yaml"
# Rules run `python` from PATH: the project's .venv (make paper puts it first) or
# the conda env of `snakemake --use-conda`.
PYTHON = "python"

STUDY_TABLES = [
    "participants", "incidents", "violence", "strategies",
    "qual_codebook", "transcripts", "excerpts", "code_applications",
]
SCENARIOS = ["published", "null"]


def modules(*names):
    """The analysis modules a step runs: editing one reruns exactly its dependants."""
    base = ["analysis/__init__.py", "analysis/cli.py", "analysis/config.py", "analysis/io.py"]
    return base + [f"analysis/{name}.py" for name in names]


def parent(index=0, kind="input"):
    """A param function giving the directory of an input or output file (lint-clean)."""
    import os

    if kind == "input":
        return lambda wildcards, input: os.path.dirname(input[index])
    return lambda wildcards, output: os.path.dirname(output[index])


def study_tables():
    return expand(f"{DATA}/{{table}}.csv", table=STUDY_TABLES)


GENERATOR_KEYS = ["seed", "n_participants", "scenario", "sample", "model", "violence",
                  "strategies", "qualitative"]


def step_params(*keys):
    """The configuration values a step uses, as one JSON argument (sorted, stable)."""
    return json.dumps({k: config[k] for k in keys}, sort_keys=True, separators=(",", ":"))


FINAL = []


def final_targets():
    return FINAL


def git_commit():
    """The commit the results were built from ("unknown" outside a git checkout)."""
    import subprocess

    try:
        out = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True,
                             text=True, check=True, cwd=workflow.basedir)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
