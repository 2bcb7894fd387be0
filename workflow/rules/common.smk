# Helpers shared by the rules: paths, the code each step runs (derived from the
# package's import graph), the part of the configuration each step reads, and
# the final targets.
import json
import os
import sys

from pathlib import Path
from snakemake.settings.types import DeploymentMethod

from analysis.config import load_config
from analysis.dependencies import code_files, module_constant, save_cache, use_cache
from analysis.exports.names import output_names
from analysis.paper.figures import FIGURES as FIGURE_SPECS
from analysis.paper.figures import OUTPUTS as FIGURE_OUTPUTS
from analysis.render.sources import manuscript_files
from analysis.render.tools import EngineError, detect
from analysis.study import vocabulary as V
from analysis.study.committed import COMPARED_FILES

# What each module imports, kept between runs (analysis.dependencies.use_cache): a no-op
# run reads it instead of parsing every module again. Written at the end of the Snakefile.
use_cache(Path(".snakemake") / "analysis-import-graph.json")

# Synthetic results live under results/; restricted-data results under
# results/restricted/, so the two never mix.
RESTRICTED = config["data_source"] == "restricted"
RESULTS = "results/restricted" if RESTRICTED else "results"
DATA = "data/restricted" if RESTRICTED else f"{RESULTS}/data/synthetic"
LOGS = f"{RESULTS}/logs"
ENV = "../envs/analysis.yaml"


def use_the_running_environment():
    """Put the bin/ of the Python running Snakemake first on PATH, so jobs run its `python`.

    Rules call `python -m analysis ...`; without this, `.venv/bin/snakemake` run
    without activating the environment would hand the jobs whatever `python` is on
    PATH (one without pandas, say). This does at parse time what activation does, in
    the main process and in every job process (which inherit it, and which Snakemake
    parses again on a cluster node). Under --use-conda the job's shell activates the
    env of its `conda` directive after this, so that env's `python` comes first. No
    path is written into a rule's params or shell command, so none reaches an output
    or the report. A Python whose bin/ holds no `python` (a bare system python3) is
    refused before any job.
    """
    if DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method:
        return
    bindir = os.path.dirname(sys.executable)
    if not os.access(os.path.join(bindir, "python"), os.X_OK):
        raise WorkflowError(
            f"the Python running Snakemake ({sys.executable}) has no `python` beside it, so "
            "the jobs could not run it: install the package in a virtual environment "
            "(make paper does) or a conda env, and run that environment's snakemake")
    path = os.environ.get("PATH", "")
    if path.split(os.pathsep)[0] != bindir:
        # Set, not required from the user, so not an `envvars:` entry (which would
        # also ship this machine's PATH to remote executors).
        os.environ.update(PATH=bindir + (os.pathsep + path if path else ""))


use_the_running_environment()
# Restricted data: every step publishes through the one suppression plan the
# disclosure_plan rule solves (workflow/rules/analysis.smk).
PLAN = [f"{RESULTS}/disclosure/plan.json"] if RESTRICTED else []
# Names the code owns, read without importing heavy modules at parse time.
MARKDOWN_TABLES = module_constant("analysis.paper.tables", "TABLES")
EXPORT_FILES = output_names()
# What the manuscript reads, from its own include lines (analysis.render.sources).
MANUSCRIPT = manuscript_files(Path(workflow.basedir) / "manuscript", Path(workflow.basedir))
# The engine the render job will use (Quarto if `quarto` is on PATH, else Pandoc + Typst)
# and its tools' versions: not configuration but a fact about this machine. The values
# step writes it into values.yml, so the paper (and a direct `quarto render`) names the
# engine that rendered it; a change of engine reruns values and render (params changed).
try:
    RENDER_TOOLS = detect("auto")
except EngineError as error:
    raise WorkflowError(f"render engine: {error}") from None


def step_code(step, *modules):
    """Every source and data file of the package that `python -m analysis <step>` runs.

    Derived from the import graph (analysis.dependencies), so that editing any
    module reruns exactly the jobs whose step imports it, directly or through
    other modules. `modules` adds entry modules the step loads by name (a
    figure's own module).
    """
    step_module = step.replace("-", "_")
    return code_files("analysis.__main__", f"analysis.cli.{step_module}", *modules)


def step_params(step):
    """The configuration values a step reads (its CONFIG_KEYS), as one sorted JSON argument."""
    entry = f"analysis.cli.{step.replace('-', '_')}"
    keys = list(module_constant(entry, "CONFIG_KEYS", ()))
    if RESTRICTED:
        keys += [k for k in module_constant(entry, "RESTRICTED_KEYS", ()) if k not in keys]
    return json.dumps({k: config[k] for k in keys}, sort_keys=True, separators=(",", ":"))


def committed_reference():
    """The generator's configuration in config/config.yaml (whence data/synthetic/), as JSON.

    A param, not an input: only a change to the generator's values in the file
    reruns the comparison, not an edited comment.
    """
    reference = load_config(Path(workflow.basedir) / "config" / "config.yaml")
    keys = module_constant("analysis.cli.generate", "CONFIG_KEYS")
    return json.dumps({k: reference[k] for k in keys}, sort_keys=True, separators=(",", ":"))


def committed_digest():
    """SHA-256 of the committed study's compared files, as one param of check_committed.

    Snakemake reruns a job when an input is newer than its output; a committed table
    restored with its old modification time (cp -p, an unpacked archive) would not
    be. As a param, the files' content reruns the comparison whatever their times.
    """
    import hashlib

    digest = hashlib.sha256()
    for name in COMPARED_FILES:
        path = Path("data/synthetic") / name
        digest.update(name.encode() + (path.read_bytes() if path.exists() else b"missing"))
    return digest.hexdigest()


def tables(names, directory=DATA):
    """The CSV files of the named study tables (in the build's data directory by default)."""
    return [f"{directory}/{name}.csv" for name in names]


def plan_argument(wildcards, input):
    """` --plan FILE` for a restricted build's steps, nothing otherwise."""
    return f" --plan {input.plan}" if RESTRICTED else ""


def parent(index=0, kind="input"):
    """A param function giving the directory of an input or output file (lint-clean)."""
    if kind == "input":
        return lambda wildcards, input: os.path.dirname(input[index])
    return lambda wildcards, output: os.path.dirname(output[index])


if RESTRICTED:
    # Restricted data are placed by hand (README, "For research teams with restricted
    # data"): say what is missing before any job runs.
    _missing = [t for t in tables(V.RESTRICTED_TABLES) if not os.path.exists(t)]
    if _missing:
        raise WorkflowError(
            f"data_source=restricted: {', '.join(_missing)} not found. Place the restricted "
            f"tables (same names and columns as data/synthetic/) in {DATA}/ first.")


def git_commit():
    """The commit the results were built from ("unknown" outside a git checkout)."""
    import subprocess

    try:
        out = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True,
                             text=True, check=True, cwd=workflow.basedir)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


FIGURE_TARGETS = expand(f"{RESULTS}/figures/{{name}}.{{ext}}", name=FIGURE_SPECS,
                        ext=FIGURE_OUTPUTS)


#: The code each figure's job runs, read while the Snakefile is parsed (so that the import
#: graph's cache, written at its end, holds every figure module too).
FIGURE_CODE = {name: step_code("figure", spec.module_name) for name, spec in FIGURE_SPECS.items()}


def figure_inputs(wildcards):
    """What one figure's job reads: its results and tables, and the code it runs."""
    spec = FIGURE_SPECS[wildcards.name]
    return {"reads": spec.inputs(RESULTS, DATA, RESTRICTED), "code": FIGURE_CODE[wildcards.name]}


def final_targets():
    """What `snakemake` builds by default: the paper, its values and tables, every figure,
    the exchange files (synthetic builds) or the publish check (restricted builds), and
    the build's RO-Crate (workflow/rules/provenance.smk)."""
    targets = [*rules.render.output, *rules.values.output, *FIGURE_TARGETS]
    if RESTRICTED:
        targets += rules.publish_check.output
    else:
        targets += rules.exchange.output
    return targets + rules.crate.output
