"""Agreement coefficients (issue 28): kappa and Gwet's AC1 against tables worked by hand and
against published library output, the pooled forms against their definition, and the
cluster bootstrap against a plain loop over the same resamples, inside [-1, 1]."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from statsmodels.stats.inter_rater import cohens_kappa

from analysis.stats.agreement import (
    binary_coefficients,
    cluster_bootstrap,
    cohen_kappa,
    gwet_ac1,
    kappa_band,
    pooled_coefficients,
    resample_weights,
    two_by_two,
)


def by_hand(both: int, a_only: int, b_only: int, neither: int) -> tuple[Fraction, ...]:
    """Observed agreement, kappa and AC1 of a 2 x 2 table in exact fractions."""
    n = both + a_only + b_only + neither
    po = Fraction(both + neither, n)
    pa, pb = Fraction(both + a_only, n), Fraction(both + b_only, n)
    kappa_pe = pa * pb + (1 - pa) * (1 - pb)
    pi = (pa + pb) / 2
    ac1_pe = 2 * pi * (1 - pi)
    return po, (po - kappa_pe) / (1 - kappa_pe), (po - ac1_pe) / (1 - ac1_pe)


# --- point estimates ------------------------------------------------------------------------


def test_a_table_worked_by_hand():
    """100 excerpts: both coded 40, A only 9, B only 6, neither 45.

    po = .85; kappa: pe = .49 x .46 + .51 x .54 = .5008, (.85 - .5008) / .4992 = .69952;
    AC1: pi = .475, pe = 2 x .475 x .525 = .49875, (.85 - .49875) / .50125 = .70075.
    """
    out = binary_coefficients(np.array([40, 9, 6, 45]))
    assert float(out.agreement) == pytest.approx(0.85)
    assert float(out.kappa) == pytest.approx(0.3492 / 0.4992)
    assert float(out.ac1) == pytest.approx(0.35125 / 0.50125)
    po, kappa, ac1 = by_hand(40, 9, 6, 45)
    assert (float(out.agreement), float(out.kappa), float(out.ac1)) == pytest.approx(
        (float(po), float(kappa), float(ac1)))


def test_the_prevalence_paradox_gives_kappa_zero_and_a_sensible_ac1():
    """The case the issue names: coder A applied a code to all 24 survivors, coder B to 21.

    Observed agreement is 7/8, kappa's chance agreement is 7/8 too, so kappa is 0 ("slight")
    whatever the coders did; AC1's chance agreement is 2 (15/16)(1/16) = 15/128, so
    AC1 = (7/8 - 15/128) / (1 - 15/128) = 97/113, close to the observed agreement.
    """
    out = binary_coefficients(np.array([21, 3, 0, 0]))
    assert float(out.agreement) == 0.875
    assert float(out.kappa) == pytest.approx(0.0, abs=1e-12)
    assert kappa_band(float(out.kappa)) == "slight"
    assert float(out.ac1) == pytest.approx(97 / 113)
    assert by_hand(21, 3, 0, 0)[2] == Fraction(97, 113)
    assert gwet_ac1(two_by_two([21, 3, 0, 0])) == pytest.approx(97 / 113)


def test_against_the_irrcac_documented_output():
    """Gwet's irrCAC documents, for its 3 x 3 table ``cont3x3abstractors``, Cohen's kappa
    0.7964094 (R package vignette) and AC1 0.84933 (the Python port's docstring)."""
    table = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    assert gwet_ac1(table) == pytest.approx(0.84933, abs=5e-6)
    assert cohen_kappa(table) == pytest.approx(0.7964094, abs=5e-8)


@pytest.mark.parametrize("seed", range(5))
def test_vectorised_coefficients_match_statsmodels_and_the_general_ac1(seed):
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 30, size=(40, 4))
    counts[:, 0] += 1                       # every table has a joint "yes", so kappa is defined
    out = binary_coefficients(counts)
    for row, kappa, ac1 in zip(counts, out.kappa, out.ac1, strict=True):
        assert kappa == pytest.approx(cohens_kappa(two_by_two(row), return_results=False))
        assert ac1 == pytest.approx(gwet_ac1(two_by_two(row)))


def test_undefined_kappa_and_defined_ac1_when_nobody_applied_the_code():
    out = binary_coefficients(np.array([0, 0, 0, 50]))
    assert np.isnan(out.kappa) and float(out.ac1) == 1.0 and float(out.agreement) == 1.0
    assert kappa_band(None) == "undefined"


def test_ac1_refuses_a_table_that_is_not_square():
    with pytest.raises(ValueError, match=r"square table.*\(2, 3\)"):
        gwet_ac1(np.ones((2, 3)))


def test_pooled_coefficients_follow_their_definition():
    """de Vries et al.: mean observed and mean chance agreement over codes, then combined."""
    counts = np.array([[8, 4, 3, 257], [21, 1, 0, 250], [0, 0, 0, 272], [18, 0, 0, 254]])
    out = pooled_coefficients(counts)
    po, kpe, ape = [], [], []
    for both, a_only, b_only, neither in counts:
        n = both + a_only + b_only + neither
        pa, pb = (both + a_only) / n, (both + b_only) / n
        po.append((both + neither) / n)
        kpe.append(pa * pb + (1 - pa) * (1 - pb))
        pi = (pa + pb) / 2
        ape.append(2 * pi * (1 - pi))
    mo, mk, ma = np.mean(po), np.mean(kpe), np.mean(ape)
    assert float(out.agreement) == pytest.approx(mo)
    assert float(out.kappa) == pytest.approx((mo - mk) / (1 - mk))
    assert float(out.ac1) == pytest.approx((mo - ma) / (1 - ma))
    # a code nobody applied counts as agreement in both means, and leaves the pool defined
    assert np.isfinite(out.kappa)
    # pooling is not the same as one table of all decisions
    assert float(out.kappa) != pytest.approx(float(binary_coefficients(counts.sum(0)).kappa))


# --- the cluster bootstrap ---------------------------------------------------------------------


def _clusters(seed: int, clusters: int = 12, codes: int = 3) -> np.ndarray:
    """Clusters x codes x 4 counts of random excerpt decisions."""
    rng = np.random.default_rng(seed)
    out = np.zeros((clusters, codes, 4), dtype=np.int64)
    for s in range(clusters):
        for c in range(codes):
            a = rng.random(8) < 0.3
            b = np.where(rng.random(8) < 0.15, ~a, a)
            out[s, c] = [np.sum(a & b), np.sum(a & ~b), np.sum(~a & b), np.sum(~a & ~b)]
    return out


def test_resample_weights_count_the_drawn_clusters():
    weights = resample_weights(7, 50, seed=3)
    draws = np.random.default_rng(3).integers(0, 7, size=(50, 7))
    for r in range(50):
        np.testing.assert_array_equal(weights[r], np.bincount(draws[r], minlength=7))
    assert (weights.sum(axis=1) == 7).all()


def test_bootstrap_matches_a_plain_loop_over_the_same_resamples():
    counts = _clusters(1)
    reps, seed = 400, 11
    out = cluster_bootstrap(counts, reps, seed, alpha=0.1)
    draws = np.random.default_rng(seed).integers(0, len(counts), size=(reps, len(counts)))
    kappas, ac1s, pooled_k = [], [], []
    for rows in draws:
        tables = counts[rows].sum(axis=0)
        kappas.append([cohens_kappa(two_by_two(t), return_results=False)
                       if (t[0] + t[1]) * (t[0] + t[2]) + (t[2] + t[3]) * (t[1] + t[3])
                       != t.sum() ** 2 else np.nan for t in tables])
        ac1s.append([gwet_ac1(two_by_two(t)) for t in tables])
        pooled_k.append(float(pooled_coefficients(tables).kappa))
    kappas, ac1s = np.array(kappas), np.array(ac1s)
    for j in range(counts.shape[1]):
        kept = kappas[:, j][~np.isnan(kappas[:, j])]
        np.testing.assert_allclose(out.kappa[j], np.quantile(kept, [0.05, 0.95]))
        np.testing.assert_allclose(out.ac1[j], np.quantile(ac1s[:, j], [0.05, 0.95]))
        assert out.defined_kappa[j] == len(kept)
    np.testing.assert_allclose(out.pooled_kappa, np.quantile(pooled_k, [0.05, 0.95]))


@pytest.mark.parametrize("flip", [0.02, 0.5, 0.98])
def test_intervals_stay_inside_minus_one_and_one(flip):
    """Near-perfect, chance and near-perfect disagreement: no bound leaves [-1, 1], and
    none is cut there (every resampled value is a coefficient)."""
    rng = np.random.default_rng(5)
    counts = np.zeros((15, 2, 4))
    for s in range(15):
        for c in range(2):
            a = rng.random(10) < 0.5
            b = np.where(rng.random(10) < flip, ~a, a)
            counts[s, c] = [np.sum(a & b), np.sum(a & ~b), np.sum(~a & b), np.sum(~a & ~b)]
    out = cluster_bootstrap(counts, 500, seed=2)
    for bounds in (out.kappa, out.ac1, out.pooled_kappa[None], out.pooled_ac1[None]):
        assert (bounds >= -1).all() and (bounds <= 1).all()
        assert (bounds[..., 0] <= bounds[..., 1]).all()
    if flip > 0.9:
        assert out.pooled_kappa[1] < 0          # strong disagreement is seen as such


def test_bootstrap_is_seeded():
    counts = _clusters(4)
    first, again = cluster_bootstrap(counts, 300, 7), cluster_bootstrap(counts, 300, 7)
    other = cluster_bootstrap(counts, 300, 8)
    np.testing.assert_array_equal(first.kappa, again.kappa)
    assert not np.array_equal(first.kappa, other.kappa)
