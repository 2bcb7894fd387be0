"""The robustness study through a real SLURM cluster (issue 11).

Starts a single-node SLURM cluster on this machine (workflow/scripts/slurm_local.sh,
root only), runs the robustness study once locally and once through
snakemake-executor-plugin-slurm with the repository's profile
(workflow/profiles/slurm), and checks that both give byte-identical results.
Skipped, with the reason, where that cannot be done: plugin not installed,
not root, no apt-get, daemons that do not start.

    pytest -m slow tests/workflow/test_slurm.py -s     # -s shows the timings
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from analysis.config import load_config

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "workflow" / "scripts" / "slurm_local.sh"
PROFILE = ROOT / "workflow" / "profiles" / "slurm"

SCENARIOS = len(load_config()["robustness_scenarios"])  # what the robustness study regenerates
REPLICATIONS = 40  # per scenario
SHARDS = 4  # per scenario
JOBS = SCENARIOS * SHARDS + 1  # the shards and the merge
CONFIG = ["--config", f"robustness_replications={REPLICATIONS}", f"robustness_shards={SHARDS}"]
TARGETS = ["results/robustness/summary.csv"]
OUTPUTS = ["results/robustness/summary.csv", "results/robustness/replications.csv"]
#: No subprocess may run longer than this (seconds): the suite never hangs.
TIMEOUT = 600
#: The plugin's first status query waits 40 s by default (sensible on a real
#: cluster); on the local cluster 5 s keeps the test short.
FAST_STATUS = ["--slurm-init-seconds-before-status-checks", "5"]
#: Test sessions sharing this machine take turns with the cluster: one session
#: must not stop the cluster under another's jobs.
LOCK = Path(tempfile.gettempdir()) / "slurm_local_test.lock"


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _take_turn(timeout: float):
    """An exclusive lock on LOCK (an open file), or None after ``timeout`` seconds."""
    handle = LOCK.open("w")
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                return None
            time.sleep(2)


def _script(command: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), command], capture_output=True, text=True,
                          timeout=timeout, check=False, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def slurm_cluster():
    """A running local SLURM cluster; stopped afterwards if this fixture started it."""
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        pytest.skip("snakemake-executor-plugin-slurm is not installed: "
                    "install with pip install -e .[cluster]")
    if not sys.platform.startswith("linux"):
        pytest.skip("the local SLURM cluster needs Linux (Debian packages)")
    if os.environ.get("SLURM_JOB_ID"):
        pytest.skip("running inside a SLURM job; submit from a login node instead")

    turn = _take_turn(TIMEOUT)
    if turn is None:
        pytest.skip(f"another test session has held the local SLURM cluster for {TIMEOUT} s")
    already_running = False
    try:
        try:
            already_running = _script("status", timeout=60).returncode == 0
        except subprocess.TimeoutExpired:
            pass
        if not already_running:
            if os.geteuid() != 0:
                pytest.skip("the local SLURM cluster is not running and starting it needs root "
                            "(daemons, /etc/slurm, apt-get): run the suite as root or first "
                            f"run: sudo {SCRIPT.relative_to(ROOT)} start")
            try:
                start = _script("start")
            except subprocess.TimeoutExpired:
                start = None
            if start is None or start.returncode != 0:
                reason = (f"did not start within {TIMEOUT} s" if start is None else
                          f"{SCRIPT.name} start exited {start.returncode}:\n"
                          + _tail(start.stdout + "\n" + start.stderr))
                pytest.skip(f"could not start the local SLURM cluster: {reason}")
        yield
    finally:
        # Stop only what this session started; leave a cluster someone else runs.
        try:
            if not already_running:
                _script("stop", timeout=120)
        finally:
            turn.close()


def _squeue() -> str:
    try:
        return subprocess.run(["squeue"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)


def _cancel_run(stderr: str | bytes | None) -> None:
    """Cancel the SLURM jobs of a Snakemake run that was killed (they are named by run ID)."""
    if isinstance(stderr, bytes):
        stderr = stderr.decode(errors="replace")
    match = re.search(r"SLURM run ID: (\S+)", stderr or "")
    if match:
        subprocess.run(["scancel", "--name", match.group(1)], capture_output=True, timeout=60,
                       check=False)


def _timed(run, workdir: Path, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.perf_counter()
    result = run(workdir, *args, timeout=TIMEOUT)
    return result, time.perf_counter() - started


def _assert_ok(result: subprocess.CompletedProcess, what: str, workdir: Path) -> None:
    if result.returncode == 0:
        return
    logs = sorted((workdir / ".snakemake" / "slurm_logs").rglob("*.log"))
    slurm_logs = "\n".join(f"== {p}\n{_tail(p.read_text(errors='replace'), 15)}" for p in logs)
    pytest.fail(f"{what} failed (exit {result.returncode}):\n{_tail(result.stderr, 60)}\n"
                f"{slurm_logs}")


def test_robustness_through_slurm_matches_local_run(slurm_cluster, make_repo_copy, snakemake,
                                                    monkeypatch, record_property):
    # The cluster the script wrote, whatever the caller's environment points at.
    monkeypatch.setenv("SLURM_CONF", "/etc/slurm/slurm.conf")
    local = make_repo_copy("slurm-local")
    cluster = make_repo_copy("slurm-cluster")

    local_run, local_wall = _timed(snakemake, local, "--cores", "2", *CONFIG, "--", *TARGETS)
    _assert_ok(local_run, "the local run", local)

    try:
        slurm_run, slurm_wall = _timed(snakemake, cluster, "--profile", str(PROFILE),
                                       "--jobs", "4", *FAST_STATUS, *CONFIG, "--", *TARGETS)
    except subprocess.TimeoutExpired as timeout:
        _cancel_run(timeout.stderr)
        pytest.fail(f"the run through SLURM took longer than {TIMEOUT} s; squeue said:\n"
                    + _squeue())
    _assert_ok(slurm_run, "the run through SLURM", cluster)

    # Every job really went through sbatch.
    submitted = slurm_run.stderr.count("has been submitted with SLURM jobid")
    assert submitted == JOBS, (f"expected {JOBS} sbatch submissions, saw {submitted}:\n"
                               + _tail(slurm_run.stderr, 60))

    for output in OUTPUTS:
        assert (cluster / output).read_bytes() == (local / output).read_bytes(), (
            f"{output} differs between the local run and the run through SLURM")

    replications = SCENARIOS * REPLICATIONS
    overhead = (slurm_wall - local_wall) / JOBS
    record_property("local_wall_s", round(local_wall, 2))
    record_property("slurm_wall_s", round(slurm_wall, 2))
    record_property("slurm_overhead_per_job_s", round(overhead, 2))
    local_rate, slurm_rate = replications / local_wall, replications / slurm_wall
    print(f"\nrobustness study, {replications} replications in {JOBS} jobs:\n"
          f"  local (--cores 2): {local_wall:6.1f} s  {local_rate:6.2f} replications/s\n"
          f"  through SLURM:     {slurm_wall:6.1f} s  {slurm_rate:6.2f} replications/s\n"
          f"  SLURM overhead:    {overhead:6.1f} s per job")
