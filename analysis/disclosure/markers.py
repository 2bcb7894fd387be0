"""How a restricted build shows a count: the count itself, or one marker for a withheld count.

Every withheld count is shown as ``"suppressed"``, whatever its size: a small
count and a count withheld to protect it look the same, so the marker says
nothing about the number behind it.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import pandas as pd

PRIMARY = "primary"
COMPLEMENTARY = "complementary"
#: How every withheld count is shown.
SUPPRESSED = "suppressed"

Key = Hashable


def withheld_sentence(threshold: int) -> str:
    """What a restricted build withholds, in words (the notice and figure captions use it).

    The protection width is the threshold (:meth:`analysis.disclosure.cells.Cells.solve`):
    a withheld count's range of possible values spans at least ``threshold``,
    that is ``threshold + 1`` values.
    """
    return (f"counts below {threshold} are withheld, and so are further counts until no "
            f"withheld count can be narrowed down from the published numbers to fewer than "
            f"{threshold + 1} possible values; every withheld count is shown as "
            f"\u201c{SUPPRESSED}\u201d, whatever its size")


def is_suppressed(value: Any) -> bool:
    """True for a published cell that was withheld (shown as ``"suppressed"``)."""
    return isinstance(value, str) and value == SUPPRESSED


def is_missing(value: Any) -> bool:
    """True for the withheld marker, None or NaN: the number is not published."""
    if value is None or is_suppressed(value):
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def count_text(value: Any) -> str:
    """A published count as text: the marker as is, otherwise the integer."""
    if is_suppressed(value):
        return str(value)
    return str(int(float(value)))
