"""The qualitative step (issue 20): kappa intervals against an independent computation,
where the coders differed, code saturation against its exact expectation, and the rule
that chooses the excerpts the manuscript quotes."""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from statsmodels.stats.inter_rater import cohens_kappa

from analysis.stats.agreement import bootstrap_pooled_kappa, cohen_kappa_interval
from analysis.steps.qualitative import (
    agreement,
    code_by_case,
    confusable_matrix,
    confusion_share,
    disagreement_by_style,
    disagreement_table,
    run_qualitative,
    saturation,
    theme_excerpts,
)
from analysis.study.interviews import confusable_partners


def fleiss_cohen_everitt_se(table: np.ndarray) -> float:
    """Large-sample SE of kappa, Fleiss, Cohen & Everitt (1969), eq. 13, written out."""
    p = np.asarray(table, float) / np.sum(table)
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    po, pe = np.trace(p), float(rows @ cols)
    kappa = (po - pe) / (1 - pe)
    k = len(p)
    a = sum(p[i, i] * (1 - (rows[i] + cols[i]) * (1 - kappa)) ** 2 for i in range(k))
    b = (1 - kappa) ** 2 * sum(p[i, j] * (cols[i] + rows[j]) ** 2
                               for i in range(k) for j in range(k) if i != j)
    c = (kappa - pe * (1 - kappa)) ** 2
    return float(np.sqrt((a + b - c) / (np.sum(table) * (1 - pe) ** 2)))


# --- kappa intervals ----------------------------------------------------------------------


@pytest.mark.parametrize("table", [[[10, 2], [3, 9]], [[20, 1], [2, 1]], [[5, 4], [1, 14]],
                                   [[14, 6], [0, 4]]])
def test_kappa_interval_matches_fleiss_cohen_everitt(table):
    table = np.array(table)
    out = cohen_kappa_interval(table, alpha=0.05)
    se = fleiss_cohen_everitt_se(table)
    assert out.se == pytest.approx(se, rel=1e-9)
    z = norm.ppf(0.975)
    assert out.low == pytest.approx(max(-1, out.kappa - z * se))
    assert out.high == pytest.approx(min(1, out.kappa + z * se))
    # statsmodels' own 95% limits agree where no clipping applies
    result = cohens_kappa(table)
    if out.high < 1:
        assert (out.low, out.high) == pytest.approx((result["kappa_low"], result["kappa_upp"]))


def test_kappa_interval_level_follows_alpha():
    table = np.array([[8, 4], [5, 7]])
    wide, narrow = cohen_kappa_interval(table, 0.01), cohen_kappa_interval(table, 0.2)
    assert wide.high - wide.low > narrow.high - narrow.low
    assert (wide.high - wide.low) / (narrow.high - narrow.low) == pytest.approx(
        norm.ppf(0.995) / norm.ppf(0.9))


def test_degenerate_kappa_has_no_interval():
    constant = cohen_kappa_interval(np.array([[23, 1], [0, 0]]))
    assert constant.kappa == pytest.approx(0) and constant.low is None
    assert "same decision" in constant.reason
    perfect = cohen_kappa_interval(np.array([[14, 0], [0, 10]]))
    assert perfect.kappa == pytest.approx(1) and perfect.low is None
    assert "agree on every case" in perfect.reason


def test_pooled_bootstrap_against_a_naive_resampling_of_cases(study):
    a = code_by_case(study.tables, "A").to_numpy()
    b = code_by_case(study.tables, "B").to_numpy()
    per_case = np.column_stack([((a == 1) & (b == 1)).sum(1), ((a == 1) & (b == 0)).sum(1),
                                ((a == 0) & (b == 1)).sum(1), ((a == 0) & (b == 0)).sum(1)])
    low, high = bootstrap_pooled_kappa(per_case, 0.05, reps=4000, seed=1)
    rng = np.random.default_rng(99)
    naive = []
    for _ in range(4000):
        rows = rng.integers(0, len(a), len(a))
        x, y = a[rows].ravel(), b[rows].ravel()
        table = np.array([[np.sum(x & y), np.sum(x & (1 - y))],
                          [np.sum((1 - x) & y), np.sum((1 - x) & (1 - y))]])
        naive.append(cohens_kappa(table, return_results=False))
    ref_low, ref_high = np.quantile(naive, [0.025, 0.975])
    assert low == pytest.approx(ref_low, abs=0.02) and high == pytest.approx(ref_high, abs=0.02)
    _, overall = agreement(study.tables)
    assert overall["pooled_kappa_low"] < overall["pooled_kappa"] < overall["pooled_kappa_high"]


def test_per_code_agreement_rows(study):
    per_code, overall = agreement(study.tables)
    a = code_by_case(study.tables, "A")
    b = code_by_case(study.tables, "B")
    assert (per_code["a_only"] == ((a == 1) & (b == 0)).sum().to_numpy()).all()
    assert (per_code["b_only"] == ((a == 0) & (b == 1)).sum().to_numpy()).all()
    assert overall["disagreements"] == int(per_code[["a_only", "b_only"]].to_numpy().sum())
    defined = per_code.dropna(subset=["kappa_low"])
    assert len(defined) >= 12
    assert ((defined["kappa_low"] <= defined["kappa"])
            & (defined["kappa"] <= defined["kappa_high"])).all()
    assert per_code.loc[per_code["kappa"].notna() & per_code["kappa_low"].isna(),
                        "reason"].str.startswith("no interval").all()


# --- where the coders differed -----------------------------------------------------------


def test_confusable_matrix_read_from_the_codebook_table(study):
    np.testing.assert_array_equal(confusable_matrix(study["qual_codebook"]),
                                  confusable_partners())


def test_confusion_share_against_a_loop():
    rng = np.random.default_rng(3)
    pairs = np.zeros((4, 4), dtype=bool)
    pairs[0, 1] = pairs[1, 0] = True
    a = (rng.random((50, 4)) < 0.5).astype(int)
    b = np.where(rng.random((50, 4)) < 0.2, 1 - a, a)
    out = confusion_share(a, b, pairs)
    in_play = differ = on = 0
    for i in range(50):
        for j in range(4):
            play = any(pairs[j, k] and a[i, k] for k in range(4))
            in_play += play
            if a[i, j] != b[i, j]:
                differ += 1
                on += play
    assert out["confusable_disagreements"] == on
    assert out["confusable_share"] == pytest.approx(on / differ)
    assert out["confusable_share_uniform"] == pytest.approx(in_play / 200)


def test_disagreement_table_accounts_for_every_differing_excerpt(study):
    table = disagreement_table(study.tables)
    apps = study["code_applications"]
    b = apps[apps["coder"] == "B"].groupby("excerpt_id")["code"].agg(set)
    excerpts = study["excerpts"]
    differing = sum(b.get(e, set()) != {c} for e, c in zip(excerpts["excerpt_id"],
                                                           excerpts["code"], strict=True))
    missed = table.loc[table["kind"] == "missed", "excerpts"].sum()
    assert differing <= table["excerpts"].sum() and missed <= differing
    assert set(table["kind"]) <= {"missed", "also", "instead"}
    assert table["excerpts"].is_monotonic_decreasing
    # every substitution is between codes the codebook names as confusable
    assert table.loc[table["code_b"] != "", "confusable"].all()
    assert (table.loc[table["kind"] == "missed", "code_b"] == "").all()


def test_disagreement_is_higher_on_brief_and_hedged_answers(study):
    out = disagreement_by_style(study.tables)
    assert out["full"]["excerpts"] + out["brief_or_hedged"]["excerpts"] == len(study["excerpts"])
    assert out["brief_or_hedged"]["differ_share"] > out["full"]["differ_share"]


# --- saturation ----------------------------------------------------------------------------


def test_saturation_in_interview_order_against_a_loop():
    matrix = pd.DataFrame([[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0], [0, 1, 1, 0],
                           [1, 0, 0, 0]], columns=list("wxyz"),
                          index=[f"P{i}" for i in range(1, 6)])
    curve, summary = saturation(matrix, orders=200, seed=1)
    assert curve["new_codes"].tolist() == [1, 1, 0, 1, 0]
    assert curve["codes_seen"].tolist() == [1, 2, 2, 3, 3]
    assert summary["codes"] == 4 and summary["codes_observed"] == 3
    assert summary["interviews_to_all_in_order"] == 4
    assert (curve["codes_seen_low"] <= curve["mean_codes_seen_random"]).all()
    assert (curve["mean_codes_seen_random"] <= curve["codes_seen_high"]).all()


def test_saturation_over_random_orders_matches_its_exact_expectation(study):
    """E[codes seen after k random interviews] = sum over codes of 1 - C(n - n_c, k) / C(n, k)."""
    matrix = code_by_case(study.tables, "A")
    curve, summary = saturation(matrix, orders=2000, seed=7)
    n = len(matrix)
    prevalence = matrix.sum(axis=0).to_numpy()
    for k in (1, 2, 3, 5, 8):
        exact = sum(1 - comb(n - int(c), k) / comb(n, k) for c in prevalence)
        # 2,000 random orders: a Monte Carlo SE of about 0.035 codes; allow 3.5 of them.
        assert curve.loc[k - 1, "mean_codes_seen_random"] == pytest.approx(exact, abs=0.12)
    assert curve["mean_new_codes_random"].sum() == pytest.approx(summary["codes_observed"])
    assert summary["interviews_to_all_low"] <= summary["interviews_to_all_median"] \
        <= summary["interviews_to_all_high"]


def test_saturation_is_deterministic(study):
    matrix = code_by_case(study.tables, "A")
    first, second = saturation(matrix), saturation(matrix)
    pd.testing.assert_frame_equal(first[0], second[0])
    assert first[1] == second[1]


# --- the excerpts the manuscript quotes ---------------------------------------------------


def test_theme_excerpts_follow_the_rule(study):
    matrix = code_by_case(study.tables, "A")
    chosen = theme_excerpts(study.tables, matrix)
    book = study["qual_codebook"]
    excerpts = study["excerpts"].set_index("excerpt_id")
    apps = study["code_applications"]
    b = set(zip(apps.loc[apps["coder"] == "B", "excerpt_id"],
                apps.loc[apps["coder"] == "B", "code"], strict=True))
    assert set(chosen["theme"]) == set(book["theme"])
    for theme, rows in chosen.groupby("theme", sort=False):
        codes = book.loc[book["theme"] == theme, "code"].tolist()
        prevalence = matrix[codes].sum()
        top = max(codes, key=lambda c: (prevalence[c], -codes.index(c)))
        assert rows.iloc[0]["code"] == top
        assert list(rows["rank"]) == list(range(1, len(rows) + 1)) and len(rows) <= 2
        for row in rows.itertuples(index=False):
            assert excerpts.loc[row.excerpt_id, "code"] == row.code
            assert (row.excerpt_id, row.code) in b   # both coders agreed
            agreed = [e for e in excerpts.index[excerpts["code"] == row.code] if (e, row.code) in b]
            lengths = excerpts.loc[agreed, "text"].str.len()
            best = (lengths - lengths.median()).abs()
            assert abs(len(row.text) - lengths.median()) == best.min()
            assert row.text == excerpts.loc[row.excerpt_id, "text"]


def test_run_qualitative_without_excerpts_writes_no_text_outputs(study, config):
    tables = {k: study[k] for k in ("participants", "qual_codebook", "code_applications")}
    out = run_qualitative(tables, config["qualitative"])
    assert not {"disagreements", "saturation", "theme_excerpts"} & set(out)
    assert "by_style" not in out["agreement_overall"]
    full = run_qualitative({**tables, "excerpts": study["excerpts"]}, config["qualitative"])
    assert {"disagreements", "saturation", "saturation_summary", "theme_excerpts"} <= set(full)
