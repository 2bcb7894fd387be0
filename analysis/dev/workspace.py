"""Run the workflow in a scratch copy of the repository (benchmark, verify, tests).

A copy keeps the user's own ``results/`` untouched. Snakemake and the rules'
``python`` come from the interpreter running this code, so a copy builds with
exactly the installed, pinned environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IGNORED = (".venv", "results", ".snakemake", ".git", "__pycache__", ".pytest_cache",
           ".ruff_cache", "*.egg-info", "data/restricted")


def tracked_files(root: Path = ROOT) -> list[str] | None:
    """Files git tracks plus untracked, not-ignored ones; None outside a git checkout."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], cwd=root, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return [p for p in out.stdout.decode().split("\0") if p and (root / p).exists()]


def copy_repository(destination: Path, root: Path = ROOT) -> Path:
    """Copy the working tree (what git would commit, including uncommitted edits)."""
    files = tracked_files(root)
    if files is None:
        shutil.copytree(root, destination, ignore=shutil.ignore_patterns(*IGNORED))
        return destination
    for name in files:
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)
    return destination


def workflow_env() -> dict[str, str]:
    """Environment whose PATH starts with this interpreter's bin directory."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONPATH", None)
    return env


@dataclass(frozen=True)
class RunResult:
    """What one command cost and printed."""

    returncode: int
    seconds: float
    peak_rss_mb: float
    output: str
    cpu_seconds: float = 0.0

    @property
    def jobs(self) -> list[str]:
        """Rule names of the jobs Snakemake reported running, in order."""
        names = []
        for line in self.output.splitlines():
            stripped = line.strip()
            for prefix in ("rule ", "localrule "):
                if stripped.startswith(prefix) and stripped.endswith(":"):
                    names.append(stripped[len(prefix):-1])
        return names


_PEAK = ("import resource, subprocess, sys\n"
         "p = subprocess.run(sys.argv[1:])\n"
         "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
         "print(f'@@peak_rss_kb={u.ru_maxrss}', file=sys.stderr)\n"
         "print(f'@@cpu_seconds={u.ru_utime + u.ru_stime}', file=sys.stderr)\n"
         "sys.exit(p.returncode)\n")


def run(command: Sequence[str], cwd: Path, timeout: float = 3600,
        env: dict[str, str] | None = None) -> RunResult:
    """Run ``command`` in ``cwd``; measure wall time, CPU time and peak RSS of what it ran.

    ``env`` adds variables to :func:`workflow_env`.
    """
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _PEAK, *command], cwd=cwd,
                          env={**workflow_env(), **(env or {})},
                          capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - start
    peak = cpu = 0.0
    lines = []
    for line in (proc.stdout + proc.stderr).splitlines():
        if line.startswith("@@peak_rss_kb="):
            peak = int(line.split("=", 1)[1]) / 1024
        elif line.startswith("@@cpu_seconds="):
            cpu = float(line.split("=", 1)[1])
        else:
            lines.append(line)
    return RunResult(proc.returncode, seconds, peak, "\n".join(lines), cpu)


def snakemake(args: Sequence[str], cwd: Path, timeout: float = 3600,
              env: dict[str, str] | None = None) -> RunResult:
    """Run the installed Snakemake with ``args`` in ``cwd``."""
    executable = Path(sys.executable).parent / "snakemake"
    return run([str(executable), *args], cwd, timeout, env)
