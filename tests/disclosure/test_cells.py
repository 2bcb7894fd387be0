"""The suppression engine on hand-made tables: one marker, and the integer-programming audit."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from analysis.disclosure.cells import Cells, SuppressionError, suppress_frame
from analysis.disclosure.markers import SUPPRESSED, is_suppressed

THRESHOLD = 3


def _feasible_values(cells: Cells, shown: set, key, bound: int) -> set[int]:
    """Every value ``key`` takes over all non-negative whole-number tables (brute force).

    Enumerates every unknown cell from 0 to ``bound``: an independent check of
    the integer programs on tables small enough to list.
    """
    unknown = [k for k in cells.values if k not in shown]
    values = set()
    for point in itertools.product(range(bound + 1), repeat=len(unknown)):
        value = {**{k: cells.values[k] for k in shown}, **dict(zip(unknown, point, strict=True))}
        if all(value[t] == sum(value[p] for p in parts) for t, parts in cells.constraints):
            values.add(value[key])
    return values


def test_every_withheld_count_has_one_marker():
    frame = pd.DataFrame({"race": ["Black", "White", "Latina", "Multiracial/other"],
                          "n": [11, 7, 4, 2], "total": 24,
                          "share": [11 / 24, 7 / 24, 4 / 24, 2 / 24]})
    out = suppress_frame(frame, "n", THRESHOLD, total="total", groups=["total"],
                         derived=["share"])
    # 2 is small; 24 - 11 - 7 - 4 would reveal it, so the next smallest (4) goes too, and
    # both are shown alike: the marker does not say which one is small.
    assert out["n"].tolist() == [11, 7, SUPPRESSED, SUPPRESSED]
    assert out["share"].isna().tolist() == [False, False, True, True]
    assert out["share"].iloc[0] == pytest.approx(11 / 24)
    assert is_suppressed(SUPPRESSED) and not is_suppressed("<3") and not is_suppressed(0)


def test_zeros_are_kept_and_small_cells_are_withheld_until_their_range_is_wide():
    frame = pd.DataFrame({"g": "a", "k": [0, 1, 2, 9, 0]})
    out = suppress_frame(frame, "k", THRESHOLD, groups=["g"])
    # 1 and 2 with their total (12) and the 9 shown: together 3, each 0 to 3 wide enough.
    assert out["k"].tolist() == [0, SUPPRESSED, SUPPRESSED, 9, 0]


def test_proportions_withhold_a_small_complement_and_derived_values():
    frame = pd.DataFrame({"item": list("abcde"), "k": [22, 2, 0, 24, 12], "n": 24})
    frame["share"] = frame["k"] / frame["n"]
    frame["ci_low"] = frame["share"] - 0.1
    out = suppress_frame(frame, "k", THRESHOLD, total="n", derived=["share", "ci_low"])
    # 22 of 24 leaves 2: shown, 22 would reveal the small group; 0 and 24 describe nobody.
    assert out["k"].tolist() == [SUPPRESSED, SUPPRESSED, 0, 24, 12]
    assert out["share"].isna().tolist() == [True, True, False, False, False]
    assert out["ci_low"].isna().tolist() == [True, True, False, False, False]
    assert out["n"].tolist() == [24] * 5


def test_a_threshold_of_one_suppresses_nothing():
    frame = pd.DataFrame({"g": "a", "k": [1, 2, 3]})
    assert suppress_frame(frame, "k", 1, groups=["g"])["k"].tolist() == [1, 2, 3]


def _linked() -> Cells:
    """a + b + c = 10 (fixed) and u = c + d (published): a and b small."""
    cells = Cells()
    for key, value in (("t", 10), ("u", 12), ("a", 1), ("b", 1), ("c", 8), ("d", 4)):
        cells.add(key, value, fixed=key == "t")
    cells.total("t", ["a", "b", "c"])
    cells.total("u", ["c", "d"])
    return cells


def test_whole_non_negative_numbers_narrow_what_linear_algebra_leaves_open():
    # Linear algebra alone: a + b = 2 determines neither, so nothing more is withheld...
    cells = _linked()
    exact_only = cells.solve(THRESHOLD, width=0)
    assert set(exact_only.status) == {"a", "b"}
    shown = {k for k in cells.published if k not in exact_only.status}
    assert not {"a", "b"} & set(cells.determined(shown))
    # ... but counts are whole and non-negative: a can only be 0, 1 or 2.
    assert cells.ranges(shown, ["a"])["a"] == (0, 2)
    assert _feasible_values(cells, shown, "a", 12) == {0, 1, 2}
    # The audit withholds until every protected interval is at least the threshold wide.
    solved = _linked().solve(THRESHOLD)
    assert set(solved.status) == {"a", "b", "c", "d"}
    shown = {k for k in cells.published if k not in solved.status}
    for key in ("a", "b", "c", "d"):
        low, high = cells.ranges(shown, [key])[key]
        assert high - low >= THRESHOLD, key
        assert set(range(int(low), int(high) + 1)) == _feasible_values(cells, shown, key, 12)


def test_sums_of_constraints_cannot_reveal_a_withheld_cell():
    # a + b = 10 and b + c = 11 are published with c; then b = 11 - c and a = 10 - b.
    cells = Cells()
    for key, value in (("t1", 10), ("t2", 11), ("a", 2), ("b", 8), ("c", 3)):
        cells.add(key, value, fixed=key in ("t1", "t2"))
    cells.total("t1", ["a", "b"])
    cells.total("t2", ["b", "c"])
    solved = cells.solve(THRESHOLD)
    assert solved.status["a"] == "primary"
    assert solved.suppressed("b") and solved.suppressed("c")
    shown = {k for k in cells.published if k not in solved.status}
    assert not set(solved.status) & set(cells.determined(shown))
    for key, (low, high) in cells.ranges(shown, list(solved.status)).items():
        assert high - low >= THRESHOLD, key


def test_a_small_count_that_the_fixed_totals_pin_down_cannot_be_protected():
    cells = Cells()
    for key, value in (("t", 2), ("a", 1), ("b", 1)):
        cells.add(key, value, fixed=key == "t")
    cells.total("t", ["a", "b"])
    with pytest.raises(SuppressionError, match="cannot protect"):
        cells.solve(THRESHOLD)


def test_a_withheld_count_the_fixed_totals_pin_down_is_published_again():
    # b = 0 is forced by t = a + b (fixed, 5) and a = 5 (equal to t): withholding it would
    # hide nothing, so it is never chosen to protect the small cell x.
    cells = Cells()
    for key, value in (("t", 5), ("a", 5), ("b", 0), ("g", 9), ("x", 1), ("y", 8)):
        cells.add(key, value, fixed=key == "t")
    cells.total("t", ["a", "b"])
    cells.total("t", ["a"])
    cells.total("g", ["x", "y", "b"])
    solved = cells.solve(THRESHOLD)
    assert not solved.suppressed("a", "b")
    shown = {k for k in cells.published if k not in solved.status}
    for key, (low, high) in cells.ranges(shown, list(solved.status)).items():
        assert high - low >= THRESHOLD, key


def test_the_protection_width_must_not_be_negative():
    with pytest.raises(ValueError, match="width"):
        _linked().solve(THRESHOLD, width=-1)
    with pytest.raises(ValueError, match="threshold"):
        _linked().solve(0)
