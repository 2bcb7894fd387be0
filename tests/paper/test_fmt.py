"""Numbers as the paper prints them: APA p-values, shares that never round to all or none."""

from __future__ import annotations

import doctest

import pytest

from analysis.paper import fmt
from analysis.stats import agreement


@pytest.mark.parametrize("module", [fmt, agreement])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(("value", "text"), [
    (0.999, "99.9%"), (999 / 1000, "99.9%"), (1.0, "100%"), (0.0, "0%"), (0.004, "0.4%"),
    (0.5, "50%"), (0.9166, "92%"), (None, "n/a"), (float("nan"), "n/a")])
def test_percent_never_rounds_to_all_or_none(value, text):
    assert fmt.percent(value) == text


@pytest.mark.parametrize(("value", "text"), [
    (0.0004, "p < .001"), (5.8e-06, "p < .001"), (0.0423, "p = .042"), (1.0, "p = 1.000"),
    (None, "no test")])
def test_p_values_are_apa(value, text):
    assert fmt.p_value(value) == text
    assert "e-" not in text


def test_scientific_has_no_e_notation():
    assert fmt.scientific(5.8e-06) == "5.8 \u00d7 10\u207b\u2076"
    assert fmt.scientific(-3.25e-10, 2) == "\u22123.25 \u00d7 10\u207b\u00b9\u2070"


@pytest.mark.parametrize(("kappa", "band"), [
    (-0.2, "poor"), (0.0, "slight"), (0.15, "slight"), (0.2, "slight"), (0.35, "fair"),
    (0.5, "moderate"), (0.7, "substantial"), (0.9, "almost perfect"), (float("nan"), "undefined")])
def test_landis_koch_bands(kappa, band):
    assert agreement.kappa_band(kappa) == band
