"""Formatting numbers for print (APA style), shared by values.yml and the tables.

>>> p_value(0.0004), p_value(0.0423), p_value(0.5)
('p < .001', 'p = .042', 'p = .500')
>>> percent(0.9166), interval(0.742, 0.977, percent)
('92%', '[74%, 98%]')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

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
    """A proportion as a percentage: 0.9166 -> '92%'.

    A share strictly between 0 and 1 never prints as "0%" or "100%": it gets
    the decimals it needs (up to four) to show it is not all or none.

    >>> percent(0.999), percent(0.9996), percent(0.0004), percent(1.0), percent(0.0)
    ('99.9%', '99.96%', '0.04%', '100%', '0%')
    """
    if _missing(value):
        return "n/a"
    text = f"{100 * value:.{digits}f}"
    while digits < 4 and 0 < value < 1 and float(text) in (0.0, 100.0):
        digits += 1
        text = f"{100 * value:.{digits}f}"
    return text + "%"


_SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075"
                                            "\u2076\u2077\u2078\u2079")


def scientific(value: float | None, digits: int = 1) -> str:
    """A small or large number in print form: 5.8e-06 -> '5.8 × 10⁻⁶' (no 'e' notation).

    >>> scientific(5.8e-06), scientific(0.0), scientific(0.25)
    ('5.8 × 10⁻⁶', '0', '2.5 × 10⁻¹')
    """
    if _missing(value):
        return "n/a"
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    return f"{mantissa.replace('-', MINUS)} \u00d7 10{str(int(exponent)).translate(_SUPERSCRIPT)}"


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


def join_words(items: Sequence[str]) -> str:
    """["a", "b", "c"] -> "a, b and c"."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
