# Helpers shared by the rules: paths, the analysis modules each step runs,
# and the part of the configuration each step depends on.
import json
import os

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
# Restricted data need not include transcripts or excerpts: every step reads
# only these tables (analysis.disclosure.PLAN_TABLES).
RESTRICTED_TABLES = [
    "participants", "incidents", "violence", "strategies", "qual_codebook", "code_applications",
]
SCENARIOS = ["published", "null"]
# The configuration a step needs to know the data source and, in restricted mode,
# to publish through small-cell suppression (the plan also uses alpha).
DISCLOSURE_KEYS = (["data_source", "small_cell_threshold"] if RESTRICTED else ["data_source"])


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


if RESTRICTED:
    # Restricted data are placed by hand (README, "For research teams with restricted
    # data"): say what is missing before any job runs.
    _missing = [t for t in RESTRICTED_TABLES if not os.path.exists(f"{DATA}/{t}.csv")]
    if _missing:
        raise WorkflowError(
            f"data_source=restricted: {', '.join(f'{DATA}/{t}.csv' for t in _missing)} not "
            f"found. Place the restricted tables (same names and columns as data/synthetic/) "
            f"in {DATA}/ first.")


def study_tables():
    """The study's tables: all of them, or in restricted mode those the steps read."""
    return expand(f"{DATA}/{{table}}.csv",
                  table=RESTRICTED_TABLES if RESTRICTED else STUDY_TABLES)


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
