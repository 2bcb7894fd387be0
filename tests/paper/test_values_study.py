"""The study part of values.yml: how the reproducibility statement names the build."""

from __future__ import annotations

import pytest

from analysis.paper.values.study import _jobs


@pytest.mark.parametrize(("n", "text"), [(1, "1 job"), (2, "2 jobs"), (1000, "1,000 jobs")])
def test_the_robustness_jobs_are_counted_in_words_a_reader_expects(n, text):
    assert _jobs(n) == text
