"""How a restricted build shows a count: the count, its small-cell marker, or "suppressed"."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import pandas as pd

PRIMARY = "primary"
COMPLEMENTARY = "complementary"
#: How a complementary (secondary) suppression is shown.
SUPPRESSED = "suppressed"

Key = Hashable


def marker(threshold: int) -> str:
    """How a small count is shown: ``"<3"`` for a threshold of 3."""
    return f"<{threshold}"


def is_suppressed(value: Any) -> bool:
    """True for a published cell that was suppressed (``"<3"`` or ``"suppressed"``)."""
    return isinstance(value, str) and (value == SUPPRESSED or value.startswith("<"))


def is_missing(value: Any) -> bool:
    """True for a suppressed marker, None or NaN: the number is not published."""
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
