"""What a user sees and needs on the console: a failing job's cause, and a build that does
not depend on which ``python`` happens to be first on ``PATH``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.dev.workspace import copy_repository

pytestmark = pytest.mark.slow

SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def _run(repo: Path, *args: str, path: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = path
    return subprocess.run([str(SNAKEMAKE), *args], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=600, check=False)


def test_venv_snakemake_works_without_activation(tmp_path):
    """The rules run the interpreter running Snakemake, not the ``python`` on PATH."""
    repo = copy_repository(tmp_path / "repo")
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    for name in ("python", "python3"):
        script = decoy / name
        script.write_text("#!/bin/sh\necho 'the python on PATH was used' >&2\nexit 97\n")
        script.chmod(0o755)
    path = os.pathsep.join([str(decoy), "/usr/bin", "/bin"])
    res = _run(repo, "--cores", "1", "results/tables/sample.csv", path=path)
    output = res.stdout + res.stderr
    assert res.returncode == 0, output[-3000:]
    assert "the python on PATH was used" not in output
    assert (repo / "results" / "tables" / "sample.csv").stat().st_size > 0
    # The interpreter's absolute path is in no output (only in the commands run).
    for file in (repo / "results").rglob("*"):
        if file.is_file():
            assert sys.executable.encode() not in file.read_bytes(), file


def test_a_failing_jobs_log_is_on_the_console(tmp_path):
    """show-failed-logs (profiles/default): the step's own error line reaches the screen."""
    repo = copy_repository(tmp_path / "repo")
    step = repo / "analysis" / "cli" / "describe.py"
    source = step.read_text(encoding="utf-8")
    marker = "    config = step_config(args, CONFIG_KEYS)\n"
    assert marker in source
    step.write_text(source.replace(
        marker, marker + "    raise ValueError('a deliberate failure to show on the console')\n",
        1), encoding="utf-8")
    res = _run(repo, "--cores", "1", "results/tables/sample.csv",
               path=os.environ.get("PATH", ""))
    output = res.stdout + res.stderr
    assert res.returncode != 0
    assert "Logfile results/logs/describe.log:" in output, output[-3000:]
    assert "error: describe: a deliberate failure to show on the console" in output
