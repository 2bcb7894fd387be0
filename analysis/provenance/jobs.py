"""The build's jobs, read from Snakemake's own job graph.

The crate records one action per job of the build, with the job's rule, its
input and output files and its parameters. Nothing of this is typed by hand or
read from a log: :func:`workflow_jobs` loads the workflow with Snakemake's
Python API, with the configuration the build used, and asks it for the job
graph of the target ``all`` (every job, as a forced run would schedule it).
Snakemake offers no public call that returns the jobs themselves (its API
prints graphs and summaries), so this reads the workflow's DAG object, as
Snakemake's own ``--export-cwl`` does; the test suite compares the result with
the jobs a dry run lists.

Loading the workflow runs the Snakefile again in this process: it validates
the configuration and reads the package's import graph, exactly as the build
did, and takes no lock (the calling build holds it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: An import of the package in the workflow's files (Snakefile, rules): the code that
#: defines the job graph, which the crate's job therefore depends on.
WORKFLOW_IMPORT = re.compile(r"^\s*(?:from|import)\s+(analysis(?:\.\w+)*)\b", re.MULTILINE)


class JobGraphError(RuntimeError):
    """Snakemake could not load the workflow or build its job graph."""


@dataclass(frozen=True)
class Job:
    """One job of the build: a rule applied to one set of wildcards.

    Paths are relative to the workflow's directory, as Snakemake gives them.
    ``temporary`` are the outputs Snakemake deletes once every job that reads them
    has run (``temp()``); ``params`` are the rule's named parameters as text
    (``cfg``, where a rule has it, is the JSON of the configuration values the
    step reads); ``command`` is the job's shell command.
    """

    rule: str
    wildcards: tuple[tuple[str, str], ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    temporary: tuple[str, ...]
    params: tuple[tuple[str, str], ...]
    command: str
    rule_file: str

    @property
    def key(self) -> str:
        """A name unique in the build: the rule, then its wildcard values (``figure-arrest``)."""
        return "-".join([self.rule, *(value for _, value in self.wildcards)])

    @property
    def label(self) -> str:
        """The rule and its wildcards as a reader sees them: ``figure (name=arrest_curve)``."""
        if not self.wildcards:
            return self.rule
        return f"{self.rule} ({', '.join(f'{k}={v}' for k, v in self.wildcards)})"

    def config_keys(self) -> tuple[str, ...]:
        """The configuration keys the job's step was given (its ``cfg`` parameter), sorted."""
        cfg = dict(self.params).get("cfg")
        return tuple(sorted(json.loads(cfg))) if cfg else ()


def workflow_modules(workflow_files: Iterable[Path]) -> list[str]:
    """The package's modules the workflow's files import (sorted, no duplicates).

    The Snakefile and the rule files are not Python modules, so their imports are
    read line by line; these are the modules the job graph depends on.
    """
    modules = set()
    for path in workflow_files:
        modules.update(WORKFLOW_IMPORT.findall(Path(path).read_text(encoding="utf-8")))
    return sorted(modules)


def _relative(path: str | Path, root: Path) -> str:
    path = Path(path)
    return (path.resolve().relative_to(root.resolve()) if path.is_absolute() else path).as_posix()


def _job(job: Any, root: Path) -> Job:
    """A :class:`Job` from one of Snakemake's job objects."""
    params = tuple((name, value if isinstance(value, str) else json.dumps(value, sort_keys=True))
                   for name, value in job.params.items())
    return Job(
        rule=job.rule.name,
        wildcards=tuple((str(k), str(v)) for k, v in job.wildcards.items()),
        inputs=tuple(sorted({_relative(f, root) for f in job.input})),
        outputs=tuple(_relative(f, root) for f in job.output),
        temporary=tuple(_relative(f, root) for f in job.output if f.is_temp),
        params=params,
        command=(job.shellcmd or "").strip() if job.is_shell else "",
        rule_file=_relative(job.rule.snakefile, root),
    )


def workflow_jobs(root: Path, config: Mapping[str, Any], target: str = "all") -> list[Job]:
    """Every job Snakemake would run to make ``target`` from scratch, in a stable order.

    Parameters
    ----------
    root
        The workflow's directory (holding the ``Snakefile``).
    config
        The configuration the build used, every key (it overrides
        ``config/config.yaml`` as ``--config`` would, so the job graph is the build's).
    target
        The rule or file to make (default: the workflow's ``all``).

    Returns
    -------
    list of Job
        Sorted by rule, then wildcards.

    Raises
    ------
    JobGraphError
        With Snakemake's whole message, if the workflow cannot be loaded or its
        job graph built.
    """
    import snakemake
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import (
        ConfigSettings,
        DAGSettings,
        OutputSettings,
        Quietness,
        ResourceSettings,
    )

    root = Path(root)
    if not (root / "Snakefile").is_file():
        raise JobGraphError(f"no Snakefile in {root}: the job graph is read from the workflow")
    try:
        output = OutputSettings(quiet={Quietness.ALL}, enable_file_logging=False)
        with SnakemakeApi(output) as api:
            workflow_api = api.workflow(resource_settings=ResourceSettings(cores=1),
                                        config_settings=ConfigSettings(config=dict(config)),
                                        snakefile=root / "Snakefile", workdir=root)
            workflow_api.dag(DAGSettings(targets={target}, forceall=True))
            workflow = workflow_api._workflow
            workflow._prepare_dag(forceall=True, ignore_incomplete=True, lock_warn_only=True,
                                  nolock=True)
            workflow._build_dag()
            jobs = [_job(job, root) for job in workflow.dag.jobs]
    except Exception as error:  # Snakemake raises many kinds; the message is what matters
        raise JobGraphError(
            f"Snakemake {snakemake.__version__} could not build the job graph of '{target}' "
            f"in {root}: {type(error).__name__}: {error}") from error
    if not jobs:
        raise JobGraphError(f"Snakemake found no job for '{target}' in {root}")
    return sorted(jobs, key=lambda job: (job.rule, job.wildcards))


def rule_levels(jobs: Iterable[Job]) -> dict[str, int]:
    """Each rule's place in the workflow: 0 for rules reading no other job's output, else
    one more than the highest rule whose output it reads (the longest upstream path)."""
    jobs = list(jobs)
    maker = {path: job.rule for job in jobs for path in job.outputs}
    upstream: dict[str, set[str]] = {job.rule: set() for job in jobs}
    for job in jobs:
        upstream[job.rule].update(maker[p] for p in job.inputs if p in maker and
                                  maker[p] != job.rule)
    levels: dict[str, int] = {}

    def level(rule: str, seen: frozenset[str] = frozenset()) -> int:
        if rule in seen:
            raise ValueError(f"the job graph has a cycle through rule '{rule}'")
        if rule not in levels:
            levels[rule] = 1 + max((level(u, seen | {rule}) for u in upstream[rule]), default=-1)
        return levels[rule]

    for rule in upstream:
        level(rule)
    return levels
