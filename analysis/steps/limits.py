"""What a configured study needs before any job runs: enough survivors, and memory.

The workflow validates the configuration with these checks at parse time
(``Snakefile``: :func:`analysis.config.validate_config` with
``checks=[study_limits]``), so a study the analysis cannot handle stops with
the key, its value and what is allowed, before any job. Every limit is derived
from what the code needs:

* **sample size**: the clustered models need :data:`~analysis.stats.minimums.MIN_CLUSTERS`
  survivors, and G - k of at least :data:`~analysis.stats.minimums.MIN_RESIDUAL_DF`
  for the largest model of :data:`analysis.stats.models.MODELS` (with the
  configured extra covariates);
* **group sizes**: the comparisons of Black and other survivors need
  :data:`~analysis.stats.minimums.MIN_CLUSTERS_PER_GROUP` survivors in each group
  (risk differences; this also gives Fisher's tests non-empty rows and the
  power statement non-empty groups), counted after the generator scales the
  configured composition to ``n_participants``
  (:func:`analysis.study.model.allocate`);
* **memory**: a build's heaviest job holds about :data:`MEMORY_PER_PARTICIPANT`
  bytes per participant plus :data:`MEMORY_BASE`; a study whose estimate exceeds
  the memory available on this machine is refused.

The robustness study regenerates synthetic studies of ``n_participants`` in
restricted builds too, so these limits apply to every build.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from analysis.stats.minimums import MIN_CLUSTERS, MIN_CLUSTERS_PER_GROUP, MIN_RESIDUAL_DF
from analysis.stats.models import MODELS

#: Peak memory per participant of a build's heaviest job, ``exchange`` (the REFI-QDA
#: project holds every transcript and coding in one XML tree). Measured as peak RSS of
#: ``python -m analysis exchange`` on generated studies: 0.95 GiB at 10,000, 2.6 GiB at
#: 30,000 and 8.5 GiB at 100,000 participants, 87.5 KiB per participant; rounded up
#: by a tenth. The generator itself needs about 12 KiB per participant.
MEMORY_PER_PARTICIPANT = 96 * 1024
#: What a job holds before any data (interpreter, pandas, numpy; measured about 120 MiB).
MEMORY_BASE = 256 * 1024 ** 2
#: The group the study's comparisons single out (Black versus other survivors).
COMPARED_GROUP = "Black"

MEMINFO = Path("/proc/meminfo")


def minimum_participants(extra_covariates: list[str] | tuple[str, ...] = ()) -> int:
    """The fewest survivors every clustered model of :data:`MODELS` can be fitted to.

    ``max(MIN_CLUSTERS, k + MIN_RESIDUAL_DF)`` for the largest model's ``k``
    coefficients (intercept included); ``extra_covariates`` are the ones added to
    the arrest model (``arrest_model_extra_covariates``).
    """
    return max(MIN_CLUSTERS, largest_model(extra_covariates) + MIN_RESIDUAL_DF)


def largest_model(extra_covariates: list[str] | tuple[str, ...] = ()) -> int:
    """Coefficients (intercept included) of the largest model of :data:`MODELS`."""
    extra = {"arrest": list(extra_covariates)}
    return max(1 + len(spec.terms(extra)) for spec in MODELS.values())


def group_sizes(sample: Mapping[str, Any], n_participants: int) -> dict[str, int]:
    """Survivors in the compared group and in the rest, as the generator allocates them."""
    from analysis.study.model import allocate

    counts = allocate(sample["race_ethnicity"], n_participants)
    group = counts.get(COMPARED_GROUP, 0)
    return {COMPARED_GROUP: group, "other": n_participants - group}


def available_memory(meminfo: Path = MEMINFO) -> int | None:
    """Bytes of memory available for new processes (``MemAvailable``), None if unknown."""
    try:
        for line in meminfo.read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def memory_estimate(n_participants: int) -> int:
    """Bytes the heaviest job of a build of ``n_participants`` is estimated to need."""
    return MEMORY_BASE + MEMORY_PER_PARTICIPANT * n_participants


def _gib(n_bytes: float) -> str:
    return f"{n_bytes / 1024 ** 3:.1f} GiB"


def study_limits(config: Mapping[str, Any],
                 memory: Callable[[], int | None] = available_memory) -> list[str]:
    """Problems with a configured study's size, one message per problem (empty: fine).

    Each message names the key, its value and what is allowed, and why.
    Only keys present in ``config`` are checked. ``memory`` returns the bytes
    available (tests pass their own).
    """
    problems: list[str] = []
    n = config.get("n_participants")
    if n is None:
        return problems
    extra = config.get("arrest_model_extra_covariates", [])
    least = minimum_participants(extra)
    if n < least:
        problems.append(
            f"config key 'n_participants' has value {n!r}; allowed: at least {least}, because "
            f"the clustered models need at least {MIN_CLUSTERS} survivors and at least "
            f"{MIN_RESIDUAL_DF} more survivors than coefficients (the largest model has "
            f"{largest_model(extra)} with arrest_model_extra_covariates {list(extra)})")
    if "sample" in config and n >= 1:
        sizes = group_sizes(config["sample"], n)
        for group, size in sizes.items():
            if size >= MIN_CLUSTERS_PER_GROUP:
                continue
            key = ("sample.race_ethnicity." + COMPARED_GROUP if group == COMPARED_GROUP
                   else "sample.race_ethnicity")
            value = config["sample"]["race_ethnicity"]
            shown = value.get(COMPARED_GROUP) if group == COMPARED_GROUP else dict(value)
            problems.append(
                f"config key '{key}' has value {shown!r}; allowed: counts that give at least "
                f"{MIN_CLUSTERS_PER_GROUP} {COMPARED_GROUP if group == COMPARED_GROUP else 'other'}"
                f" survivors at n_participants = {n} (this gives {size}), because the "
                f"comparisons of {COMPARED_GROUP} and other survivors need at least "
                f"{MIN_CLUSTERS_PER_GROUP} survivors in each group")
    available = memory()
    needed = memory_estimate(n)
    if available is not None and needed > available:
        most = max(0, (available - MEMORY_BASE) // MEMORY_PER_PARTICIPANT)
        problems.append(
            f"config key 'n_participants' has value {n!r}; allowed: at most {most:,} on this "
            f"machine: a build of {n:,} participants needs about {_gib(needed)} "
            f"({MEMORY_PER_PARTICIPANT // 1024} KiB per participant and "
            f"{MEMORY_BASE // 1024 ** 2} MiB, the peak of its heaviest job, exchange), and "
            f"{_gib(available)} of memory is available")
    return problems
