"""The benchmark's own arithmetic."""

from __future__ import annotations

import pytest

from analysis.dev.benchmark import import_seconds, table


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
