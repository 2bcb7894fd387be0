"""Formatting numbers for print (APA style), shared by values.yml and the tables.

>>> p_value(0.0004), p_value(0.0423), p_value(0.5)
('p < .001', 'p = .042', 'p = .500')
>>> percent(0.9166), interval(0.742, 0.977, percent)
('92%', '[74%, 98%]')
"""

from __future__ import annotations

import math
from collections.abc import Callable

DASH = "\u2013"
MINUS = "\u2212"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def number(value: float | None, digits: int = 2) -> str:
    """A number with ``digits`` decimals and a true minus sign; "n/a" when missing."""
    if _missing(value):
        return "n/a"
    text = f"{value:.{digits}f}"
    return text.replace("-", MINUS) if text.startswith("-") else text


def signed(value: float | None, digits: int = 2) -> str:
    """A number with an explicit sign (+0.41, -0.35)."""
    if _missing(value):
        return "n/a"
    text = number(value, digits)
    return text if text.startswith(MINUS) else "+" + text


def no_leading_zero(text: str) -> str:
    """APA: statistics that cannot exceed 1 drop the leading zero (.05, not 0.05)."""
    if text.startswith("0."):
        return text[1:]
    if text.startswith(MINUS + "0."):
        return MINUS + text[2:]
    return text


def p_value(value: float | None) -> str:
    """APA p-value: 'p < .001' or 'p = .042'; 'no test' when missing."""
    if _missing(value):
        return "no test"
    if value < 0.001:
        return "p < .001"
    return "p = " + no_leading_zero(f"{value:.3f}")


def p_bare(value: float | None) -> str:
    """APA p-value without the 'p': '< .001', '.042'."""
    text = p_value(value)
    return text[4:] if text.startswith("p = ") else text[2:] if text.startswith("p ") else text


def percent(value: float | None, digits: int = 0) -> str:
    """A proportion as a percentage: 0.9166 -> '92%'."""
    if _missing(value):
        return "n/a"
    return f"{100 * value:.{digits}f}%"


def points(value: float | None, digits: int = 0) -> str:
    """A difference of proportions in percentage points with its sign: 0.254 -> '+25'."""
    if _missing(value):
        return "n/a"
    scaled = round(100 * value, digits)
    if scaled == 0:
        return f"{0:.{digits}f}"
    text = f"{abs(scaled):.{digits}f}"
    return ("+" if scaled > 0 else MINUS) + text


def points_interval(low: float | None, high: float | None) -> str:
    """An interval of differences in percentage points: '[−5, +52]'."""
    return interval(low, high, points)


def count(value: int | float) -> str:
    """An integer with thousands separators: 1000 -> '1,000'."""
    return f"{int(value):,}"


def interval(low: float | None, high: float | None,
             formatter: Callable[[float | None], str] = number) -> str:
    """A bracketed interval, '[0.74, 0.98]'; 'n/a' if either end is missing."""
    if _missing(low) or _missing(high):
        return "n/a"
    return f"[{formatter(low)}, {formatter(high)}]"


def signed_interval(low: float | None, high: float | None) -> str:
    """An interval of differences with signs: '[+0.18, +0.65]'."""
    return interval(low, high, signed)
