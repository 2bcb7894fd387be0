"""Shared pieces of values.yml: reading result rows and printing shares and counts.

Nothing here computes a statistic: the helpers select rows of the analysis
steps' outputs and format them, and print "suppressed" wherever a
restricted build withheld a count behind a number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from analysis.disclosure.markers import SUPPRESSED, is_missing, is_suppressed
from analysis.paper import fmt


def row_suppressed(row: Mapping[str, Any], counts: Sequence[str] = ("successes", "n")) -> bool:
    """True when a count of a result row is suppressed (restricted builds)."""
    return any(is_suppressed(row.get(c)) for c in counts)


def share_text(row: Mapping[str, Any], column: str = "share",
               counts: Sequence[str] = ("successes", "n"), digits: int = 0) -> str:
    """A row's share as a percentage, or "suppressed" when a count behind it is."""
    if row_suppressed(row, counts):
        return SUPPRESSED
    return fmt.percent(row[column], digits)


def extreme_text(value: Any) -> str:
    """A minimum or maximum: the integer, or "suppressed" when not published."""
    return SUPPRESSED if is_missing(value) else str(int(value))


def rows(frame: pd.DataFrame, **match: Any) -> pd.DataFrame:
    """The rows of ``frame`` whose columns equal every ``match`` value."""
    mask = pd.Series(True, index=frame.index)
    for key, value in match.items():
        mask &= frame[key] == value
    return frame[mask]


def one(frame: pd.DataFrame, **match: Any) -> pd.Series:
    """The one row of ``frame`` matching ``match``; an error naming the match otherwise."""
    found = rows(frame, **match)
    if len(found) != 1:
        raise ValueError(f"expected one row matching {match}, found {len(found)}")
    return found.iloc[0]
