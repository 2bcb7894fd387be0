"""Benchmark: what a build and a replication cost (``make bench``).

Runs the workflow in a scratch copy of the repository and prints a Markdown
table, also written to ``results/benchmark.csv``:

* cold build of the whole paper (``snakemake --cores N --forceall``) for
  N = 1 and the machine's cores: wall time, CPU seconds, and those CPU
  seconds split into Snakemake's own work, the jobs' start-up (the
  interpreter plus every import, read from ``PYTHONPROFILEIMPORTTIME``
  in the jobs' logs) and the jobs' work (the rest);
* no-op rebuild, rebuild after editing one figure function, and after
  changing one configuration value, with the jobs that ran;
* the render step alone (Quarto where installed, otherwise Pandoc + Typst);
* the batch engine against the one-study path (statsmodels and scipy,
  :func:`analysis.steps.claims.evaluate_claims`) looped over the same
  replications in one process: milliseconds per replication and the ratio;
* peak memory of one robustness job at several batch sizes;
* the generator at 24, 10,000 and 1,000,000 participants.

Timings are measurements, never assertions: the test suite times nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import tempfile
from pathlib import Path

import pandas as pd

from analysis.dev.workspace import ROOT, RunResult, copy_repository, run, snakemake
from analysis.io import write_csv

#: The figure function the "edit one figure" measure touches.
FIGURE_MODULE = "analysis/paper/figures/arrest.py"
#: One line of ``python -X importtime``: self and cumulative microseconds, then the
#: module, indented by its depth in the import tree.
_IMPORT = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def _row(measure: str, seconds: float, peak_mb: float | None = None, detail: str = "",
         cpu: float | None = None) -> dict:
    return {"measure": measure, "seconds": round(seconds, 3),
            "cpu_seconds": None if cpu is None else round(cpu, 2),
            "peak_rss_mb": None if peak_mb is None else round(peak_mb, 1), "detail": detail}


def _check(result: RunResult, what: str) -> None:
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{result.output[-3000:]}")


def _marker(result: RunResult, what: str) -> list[float]:
    _check(result, what)
    line = next(ln for ln in result.output.splitlines() if ln.startswith("@@"))
    return [float(v) for v in line.split()[1:]]


def import_seconds(logs: Path) -> tuple[float, int]:
    """Seconds spent importing, summed over the jobs' logs, and the number of logs read.

    Only top-level imports count (their cumulative time includes what they import).
    """
    total_us, files = 0, 0
    for log in sorted(logs.rglob("*.log")):
        found = False
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            match = _IMPORT.match(line)
            if match and not match.group(3):
                total_us += int(match.group(2))
                found = True
        files += found
    return total_us / 1e6, files


def interpreter_start(repeats: int = 5) -> float:
    """CPU seconds of a bare ``python -c pass`` (the start-up every job pays before imports)."""
    result = run([sys.executable, "-c", ";".join(["import subprocess, sys"] + [
        "subprocess.run([sys.executable, '-c', 'pass'])"] * repeats)], ROOT)
    _check(result, "interpreter start")
    return result.cpu_seconds / (repeats + 1)


def build_measures(work: Path, cores: list[int]) -> list[dict]:
    """Cold, no-op and incremental builds in the scratch copy ``work``."""
    rows = []
    bare = interpreter_start()
    noop_cpu = 0.0
    for n in cores:
        profile = n == cores[-1]
        result = snakemake(["--cores", str(n), "--forceall"], work,
                           env={"PYTHONPROFILEIMPORTTIME": "1"} if profile else None)
        _check(result, f"cold build with {n} cores")
        jobs = len(result.jobs)
        rows.append(_row(f"cold build, --cores {n}", result.seconds, result.peak_rss_mb,
                         f"{jobs} jobs", result.cpu_seconds))
        if profile:
            noop = snakemake(["--cores", str(n), "--dry-run"], work)
            noop_cpu = noop.cpu_seconds
            imports, logs = import_seconds(work / "results" / "logs")
            startup = imports + bare * jobs
            rows.append(_row("  of which Snakemake (DAG, scheduling)", noop_cpu, None,
                             "CPU of a dry run", noop_cpu))
            rows.append(_row("  of which job start-up", startup, None,
                             f"interpreter {bare * 1000:.0f} ms x {jobs} jobs + imports "
                             f"{imports:.1f} s ({logs} logs)", startup))
            work_cpu = result.cpu_seconds - noop_cpu - startup
            rows.append(_row("  of which job work", work_cpu, None,
                             "the rest of the build's CPU seconds", work_cpu))
            # Rebuild the profiled logs without the import lines.
            _check(snakemake(["--cores", str(n), "--forceall"], work), "clean rebuild")
    result = snakemake(["--cores", str(cores[-1])], work)
    _check(result, "no-op rebuild")
    rows.append(_row("no-op rebuild", result.seconds, result.peak_rss_mb,
                     "jobs: " + (", ".join(result.jobs) or "none"), result.cpu_seconds))

    figure = work / FIGURE_MODULE
    original = figure.read_text(encoding="utf-8")
    figure.write_text(original + "\n# benchmark edit\n", encoding="utf-8")
    result = snakemake(["--cores", str(cores[-1])], work)
    figure.write_text(original, encoding="utf-8")
    _check(result, "rebuild after a figure edit")
    rows.append(_row("edit one figure function", result.seconds, result.peak_rss_mb,
                     f"{FIGURE_MODULE}; jobs: " + ", ".join(sorted(set(result.jobs))),
                     result.cpu_seconds))

    # Settle the restored figure module, so that the render measure reruns the render only.
    _check(snakemake(["--cores", str(cores[-1])], work), "rebuild after restoring the figure")

    render = [line for line in (work / "results" / "logs" / "render.log").read_text(
        encoding="utf-8").splitlines() if line.startswith("render engine:")]
    result = snakemake(["--cores", "1", "--forcerun", "render"], work)
    _check(result, "render")
    rows.append(_row("render step (HTML, PDF, DOCX)", result.seconds, result.peak_rss_mb,
                     (render[0].split(":", 1)[1].strip() if render else "")
                     + "; jobs: " + ", ".join(sorted(set(result.jobs))), result.cpu_seconds))

    result = snakemake(["--cores", str(cores[-1]), "--config",
                        "arrest_model_extra_covariates=[treated_poorly]"], work)
    _check(result, "rebuild after a config change")
    rows.append(_row("change one config value", result.seconds, result.peak_rss_mb,
                     "arrest_model_extra_covariates=[treated_poorly]; jobs: "
                     + ", ".join(sorted(set(result.jobs))), result.cpu_seconds))

    return rows


_ENGINE = """
import sys, time
from analysis.config import load_config
from analysis.steps.claims import load_registry
from analysis.steps.robustness import run_replications
small, large = int(sys.argv[1]), int(sys.argv[2])
config, registry = load_config(), load_registry()
run_replications(config, registry, 'published', range(50))  # warm caches and imports
times = []
for count in (small, large):
    start = time.process_time()
    run_replications(config, registry, 'published', range(count))
    times.append(time.process_time() - start)
print('@@', (times[1] - times[0]) / (large - small), times[1] / large)
"""

_ONE_STUDY = """
import sys, time
from analysis.config import load_config, scenario_config, scenario_key
from analysis.steps.claims import evaluate_claims, load_registry
from analysis.steps.robustness import cell_rngs
from analysis.study.batch import generate_batch
count = int(sys.argv[1])
config, registry = load_config(), load_registry()
extra = {'arrest': list(config['arrest_model_extra_covariates'])}
generating, multiplier = scenario_config(config, 'published')
def loop(replications):
    batch = generate_batch(generating, multiplier, config['n_participants'],
                           cell_rngs(config['seed'], (scenario_key('published'),), replications))
    for b in range(batch.B):
        evaluate_claims(batch.study_arrays(b), registry, config['alpha'], extra)
loop(range(3))
start = time.process_time()
loop(range(count))
print('@@', (time.process_time() - start) / count)
"""


def engine_against_loop(small: int = 1000, large: int = 3000, loop: int = 40) -> list[dict]:
    """CPU milliseconds per replication: the batch engine and the one-study path, one run each."""
    engine = run([sys.executable, "-c", _ENGINE, str(small), str(large)], ROOT)
    marginal, average = _marker(engine, "batch engine")
    reference = run([sys.executable, "-c", _ONE_STUDY, str(loop)], ROOT)
    (per_loop,) = _marker(reference, "one-study loop")
    return [
        _row("batch engine, per replication", marginal, engine.peak_rss_mb,
             f"marginal CPU ms per replication {marginal * 1000:.3f} "
             f"({large} minus {small} replications, one core); "
             f"average {average * 1000:.3f} ms at {large}"),
        _row("one-study path (statsmodels + scipy), per replication", per_loop,
             reference.peak_rss_mb,
             f"CPU ms per replication {per_loop * 1000:.1f} ({loop} replications)"),
        _row("engine speed-up", 0.0, None,
             f"{per_loop / marginal:.0f} times cheaper per replication (marginal cost)"),
    ]


_MEMORY = """
import sys
from analysis.config import load_config
from analysis.steps.claims import load_registry
from analysis.steps.robustness import run_replications
config = load_config(overrides={'batch_size': int(sys.argv[1])})
run_replications(config, load_registry(), 'published', range(int(sys.argv[2])))
print('@@ 0')
"""


def batch_memory(sizes: tuple[int, ...] = (250, 1000, 4000), replications: int = 4000
                 ) -> list[dict]:
    """Peak memory of one robustness scenario's replications at several batch sizes."""
    rows = []
    for size in sizes:
        result = run([sys.executable, "-c", _MEMORY, str(size), str(replications)], ROOT)
        _marker(result, f"batch size {size}")
        rows.append(_row(f"robustness, batch_size {size:,}", result.seconds, result.peak_rss_mb,
                         f"{replications:,} replications of one scenario", result.cpu_seconds))
    return rows


_GENERATOR = """
import sys, time
from analysis.config import load_config
from analysis.study.generate import generate_study
n = int(sys.argv[1])
config = load_config(overrides={'n_participants': n})
start = time.perf_counter()
study = generate_study(config, interviews=n <= 10000)
print('@@', time.perf_counter() - start, len(study['incidents']))
"""


def generator_scaling(sizes: tuple[int, ...] = (24, 10_000, 1_000_000)) -> list[dict]:
    """Time and peak memory of the full generator (the committed study's code path)."""
    rows = []
    for n in sizes:
        result = run([sys.executable, "-c", _GENERATOR, str(n)], ROOT)
        seconds, incidents = _marker(result, f"generator at {n}")
        layer = "with interview text" if n <= 10000 else "quantitative tables + coder matrices"
        rows.append(_row(f"generator, {n:,} participants", seconds, result.peak_rss_mb,
                         f"{int(incidents):,} incidents; {layer}"))
    return rows


def table(rows: list[dict]) -> str:
    """The rows as the Markdown table the README records."""
    lines = ["| measure | seconds | CPU s | peak RSS (MB) | detail |", "|---|--:|--:|--:|---|"]
    for row in rows:
        cpu = "" if row["cpu_seconds"] is None else f"{row['cpu_seconds']:.1f}"
        peak = "" if row["peak_rss_mb"] is None else f"{row['peak_rss_mb']:.0f}"
        seconds = f"{row['seconds']:.2f}" if row["seconds"] else ""
        lines.append(f"| {row['measure']} | {seconds} | {cpu} | {peak} | {row['detail']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-builds", action="store_true",
                        help="only the engine, memory and generator measures")
    parser.add_argument("--output", type=Path, default=ROOT / "results" / "benchmark.csv")
    args = parser.parse_args(argv)
    cores = sorted({1, os.cpu_count() or 1})
    rows: list[dict] = []
    if not args.skip_builds:
        with tempfile.TemporaryDirectory(prefix="ipv-bench-") as tmp:
            rows += build_measures(copy_repository(Path(tmp) / "repo"), cores)
    rows += engine_against_loop()
    rows += batch_memory()
    rows += generator_scaling()
    write_csv(args.output, pd.DataFrame(rows))
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.system()}\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
