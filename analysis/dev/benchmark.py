"""Benchmark: what a rebuild costs (``make bench``).

Runs in a scratch copy of the repository and prints a Markdown table, also
written to ``results/benchmark.csv``:

* cold build of the whole paper (``snakemake --cores N --forceall``) for
  N = 1 and the machine's cores: wall time and peak memory of the largest job;
* no-op rebuild;
* rebuild after editing one figure function, and after changing one
  configuration value, with the jobs that ran;
* the generator at 24, 10,000 and 1,000,000 participants (time, peak memory);
* robustness replications per second on one core;
* the render step alone (Pandoc + Typst, or Quarto where installed).

Timings are measurements, never assertions: the test suite does not time
anything.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from pathlib import Path

import pandas as pd

from analysis.dev.workspace import ROOT, copy_repository, run, snakemake
from analysis.io import write_csv

FIGURE_MODULE = "analysis/figures/robustness.py"


def _row(measure: str, seconds: float, peak_mb: float | None = None, detail: str = "") -> dict:
    return {"measure": measure, "seconds": round(seconds, 2),
            "peak_rss_mb": None if peak_mb is None else round(peak_mb, 1), "detail": detail}


def _check(result, what: str) -> None:
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{result.output[-3000:]}")


def generator_scaling(sizes: tuple[int, ...]) -> list[dict]:
    """Time and peak memory of the generator (quantitative tables and coder matrices)."""
    rows = []
    code = ("import sys, time\n"
            "from analysis.config import load_config\n"
            "from analysis.study.generate import generate_study\n"
            "n = int(sys.argv[1])\n"
            "config = load_config(overrides={'n_participants': n})\n"
            "start = time.perf_counter()\n"
            "study = generate_study(config, interviews=n <= 10000)\n"
            "print('@@seconds', time.perf_counter() - start, len(study['incidents']))\n")
    for n in sizes:
        result = run([sys.executable, "-c", code, str(n)], ROOT)
        _check(result, f"generator at {n}")
        line = next(ln for ln in result.output.splitlines() if ln.startswith("@@seconds"))
        _, seconds, incidents = line.split()
        layer = "with interview text" if n <= 10000 else "quantitative tables + coder matrices"
        rows.append(_row(f"generator, {n:,} participants", float(seconds), result.peak_rss_mb,
                         f"{int(incidents):,} incidents; {layer}"))
    return rows


def robustness_rate(replications: int = 300) -> dict:
    """Replications per second on one core (published scenario)."""
    code = ("import sys, time\n"
            "from analysis.config import load_config\n"
            "from analysis.steps.claims import load_registry\n"
            "from analysis.steps.robustness import run_replications\n"
            "config, registry = load_config(), load_registry()\n"
            "run_replications(config, registry, 'published', range(5))\n"
            "start = time.perf_counter()\n"
            "run_replications(config, registry, 'published', range(int(sys.argv[1])))\n"
            "print('@@seconds', time.perf_counter() - start)\n")
    result = run([sys.executable, "-c", code, str(replications)], ROOT)
    _check(result, "robustness rate")
    seconds = float(next(ln for ln in result.output.splitlines()
                         if ln.startswith("@@seconds")).split()[1])
    return _row("robustness, one core", seconds, result.peak_rss_mb,
                f"{replications / seconds:.0f} replications per second per core")


def build_measures(work: Path, cores: list[int]) -> list[dict]:
    rows = []
    for n in cores:
        result = snakemake(["--cores", str(n), "--forceall"], work)
        _check(result, f"cold build with {n} cores")
        rows.append(_row(f"cold build, --cores {n}", result.seconds, result.peak_rss_mb,
                         f"{len(result.jobs)} jobs"))
    result = snakemake(["--cores", str(cores[-1])], work)
    _check(result, "no-op rebuild")
    rows.append(_row("no-op rebuild", result.seconds, result.peak_rss_mb,
                     "jobs: " + (", ".join(result.jobs) or "none")))

    figure = work / FIGURE_MODULE
    original = figure.read_text(encoding="utf-8")
    figure.write_text(original + "\n# benchmark edit\n", encoding="utf-8")
    result = snakemake(["--cores", str(cores[-1])], work)
    figure.write_text(original, encoding="utf-8")
    _check(result, "rebuild after a figure edit")
    rows.append(_row("edit one figure function", result.seconds, result.peak_rss_mb,
                     "jobs: " + ", ".join(sorted(set(result.jobs)))))

    result = snakemake(["--cores", str(cores[-1]), "--config",
                        "arrest_model_extra_covariates=[treated_poorly]"], work)
    _check(result, "rebuild after a config change")
    rows.append(_row("change one config value", result.seconds, result.peak_rss_mb,
                     "arrest_model_extra_covariates=[treated_poorly]; jobs: "
                     + ", ".join(sorted(set(result.jobs)))))

    result = run([sys.executable, "-m", "analysis", "render", "--project", "manuscript",
                  "--values", "results/values.yml", "--outdir", "results/manuscript"], work)
    _check(result, "render")
    engine = next((ln.split(":", 1)[1].strip() for ln in result.output.splitlines()
                   if ln.startswith("render engine:")), "unknown")
    rows.append(_row("render (HTML, PDF, DOCX)", result.seconds, result.peak_rss_mb, engine))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-builds", action="store_true", help="only generator/robustness")
    parser.add_argument("--output", type=Path, default=ROOT / "results" / "benchmark.csv")
    args = parser.parse_args(argv)
    cores = sorted({1, os.cpu_count() or 1})
    rows: list[dict] = []
    if not args.skip_builds:
        with tempfile.TemporaryDirectory(prefix="ipv-bench-") as tmp:
            work = copy_repository(Path(tmp) / "repo")
            rows += build_measures(work, cores)
    rows += generator_scaling((24, 10_000, 1_000_000))
    rows.append(robustness_rate())
    frame = pd.DataFrame(rows)
    write_csv(args.output, frame)
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.system()}\n")
    print("| measure | seconds | peak RSS (MB) | detail |\n|---|--:|--:|---|")
    for row in rows:
        peak = "" if row["peak_rss_mb"] is None else f"{row['peak_rss_mb']:.0f}"
        print(f"| {row['measure']} | {row['seconds']:.2f} | {peak} | {row['detail']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
