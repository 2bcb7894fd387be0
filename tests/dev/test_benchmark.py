"""The benchmark's own arithmetic, and the reference loop it times against the engine."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.config import load_config, scenario_config
from analysis.dev.benchmark import import_seconds, table
from analysis.dev.reference import evaluate_reference
from analysis.steps.batch import evaluate_batch
from analysis.steps.claims import load_registry
from analysis.steps.robustness import SCENARIO_KEYS, cell_rngs
from analysis.study.batch import generate_batch


def test_import_seconds_counts_top_level_imports_only(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "job.log").write_text(
        "import time: self [us] | cumulative | imported package\n"
        "import time:       100 |        100 |   numpy.core\n"
        "import time:       200 |     250000 | numpy\n"
        "import time:        50 |     500000 | pandas\n"
        "some output\n", encoding="utf-8")
    (tmp_path / "quiet.log").write_text("no imports profiled\n", encoding="utf-8")
    seconds, logs = import_seconds(tmp_path)
    assert seconds == pytest.approx(0.75)
    assert logs == 1


def test_table_leaves_unmeasured_cells_blank():
    text = table([{"measure": "m", "seconds": 1.234, "cpu_seconds": None, "peak_rss_mb": 12.3,
                   "detail": "d"}])
    assert text.splitlines()[-1] == "| m | 1.23 |  | 12 | d |"


def test_reference_loop_computes_the_engines_gee_interval():
    """The statsmodels loop the benchmark times computes the same quantity as the engine."""
    config, registry = load_config(), load_registry()
    generating, multiplier = scenario_config(config, "published")
    batch = generate_batch(generating, multiplier, 24,
                           cell_rngs(config["seed"], (SCENARIO_KEYS["published"],), range(3)))
    rows = evaluate_batch(batch, registry, covariance="sandwich")
    c4 = next(e for e in registry if e["id"] == "C4")
    for b in range(3):
        engine = rows[(rows["study"] == b) & (rows["claim"] == "C4")
                      & (rows["method"] == "gee_sandwich")]["theta_low"].iloc[0]
        reference = evaluate_reference(batch.study_arrays(b), [c4])
        # statsmodels' robust covariance is the engine's sandwich; both use normal quantiles.
        # The loop keeps statsmodels' default convergence tolerance, as a user would, so the
        # two agree to about 1e-5 here (tests/stats compare them at a tight tolerance).
        assert reference[0] == pytest.approx(engine, abs=1e-4)
        assert np.isfinite(reference).all()
