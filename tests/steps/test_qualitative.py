"""The qualitative step (issues 20, 28 and 31): agreement over excerpt x code decisions against
an independent count and the libraries, its bootstrap intervals, the restricted-data path and
the survivor x code measure restricted builds publish,
where the coders differed, code saturation against its exact expectation, and the rule
that chooses the excerpts the manuscript quotes."""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.inter_rater import cohens_kappa

from analysis.stats.agreement import (
    binary_coefficients,
    gwet_ac1,
    pooled_coefficients,
    two_by_two,
)
from analysis.steps.qualitative import (
    agreement,
    case_agreement,
    code_by_case,
    confusable_matrix,
    confusion_share,
    disagreement_by_style,
    disagreement_table,
    generator_check,
    run_qualitative,
    saturation,
    theme_excerpts,
)
from analysis.study.interviews import confusable_partners

# --- agreement over excerpt x code decisions -----------------------------------------------


def _decisions_by_loop(tables) -> dict[str, list[int]]:
    """Per code, (both, A only, B only, neither) over every coded excerpt, counted one
    excerpt at a time from the code applications."""
    apps = tables["code_applications"]
    codes = tables["qual_codebook"]["code"].tolist()
    given = {coder: {} for coder in ("A", "B")}
    for row in apps.itertuples(index=False):
        given[row.coder].setdefault(row.excerpt_id, set()).add(row.code)
    excerpts = sorted(set(apps["excerpt_id"]))
    counts = {}
    for code in codes:
        cells = [0, 0, 0, 0]
        for e in excerpts:
            a, b = code in given["A"].get(e, set()), code in given["B"].get(e, set())
            cells[0 if a and b else 1 if a else 2 if b else 3] += 1
        counts[code] = cells
    return counts


def test_per_code_counts_and_coefficients_against_a_loop_and_the_libraries(study):
    per_code, overall = agreement(study.tables, reps=200, seed=1)
    loop = _decisions_by_loop(study.tables)
    assert overall["unit"] == "excerpt x code"
    assert overall["excerpts"] == len(study["excerpts"]) == int(per_code["excerpts"].iloc[0])
    assert overall["decisions"] == overall["excerpts"] * overall["codes"]
    for row in per_code.itertuples(index=False):
        cells = [row.both, row.a_only, row.b_only, row.neither]
        assert cells == loop[row.code], row.code
        assert (row.excerpts_a, row.excerpts_b) == (row.both + row.a_only, row.both + row.b_only)
        table = two_by_two(cells)
        assert row.kappa == pytest.approx(cohens_kappa(table, return_results=False))
        assert row.ac1 == pytest.approx(gwet_ac1(table))
        assert row.agreement == pytest.approx((row.both + row.neither) / row.excerpts)
    # coder A gives each excerpt the one code it was written for
    assert (per_code["excerpts_a"].sum()) == overall["excerpts"]
    assert overall["disagreements"] == int((per_code["a_only"] + per_code["b_only"]).sum())
    assert overall["percent_agreement"] == pytest.approx(
        1 - overall["disagreements"] / overall["decisions"])
    pooled = pooled_coefficients(np.array([loop[c] for c in per_code["code"]]))
    assert overall["pooled_kappa"] == pytest.approx(float(pooled.kappa))
    assert overall["pooled_ac1"] == pytest.approx(float(pooled.ac1))


def test_intervals_are_bootstrap_intervals_inside_minus_one_and_one(study):
    per_code, overall = agreement(study.tables, reps=500, seed=3)
    for stat in ("kappa", "ac1"):
        shown = per_code.dropna(subset=[f"{stat}_low"])
        assert len(shown) >= 10
        assert (shown[f"{stat}_low"] >= -1).all() and (shown[f"{stat}_high"] <= 1).all()
        assert (shown[f"{stat}_low"] <= shown[f"{stat}_high"]).all()
        low, high = overall[f"pooled_{stat}_low"], overall[f"pooled_{stat}_high"]
        assert -1 <= low < overall[f"pooled_{stat}"] < high <= 1
    # no interval only where the coders never differed on the code, and it says so
    none = per_code[per_code["kappa_low"].isna()]
    assert ((none["a_only"] + none["b_only"]) == 0).all()
    assert none["reason"].str.startswith("no interval").all()
    assert overall["codes_interval_undefined"] == len(none)
    # the interval is a percentile interval of resampled survivors, not a Wald interval:
    # its halves are not symmetric about the estimate in general
    shown = per_code.dropna(subset=["kappa_low"])
    halves = (shown["kappa_high"] - shown["kappa"]) - (shown["kappa"] - shown["kappa_low"])
    assert (halves.abs() > 1e-6).any()


def test_the_bootstrap_is_seeded_from_the_configuration(study, config):
    first = run_qualitative(study.tables, config["qualitative"], bootstrap=config["agreement"])
    again = run_qualitative(study.tables, config["qualitative"], bootstrap=config["agreement"])
    other = run_qualitative(study.tables, config["qualitative"],
                            bootstrap={**config["agreement"], "bootstrap_seed": 1})
    pd.testing.assert_frame_equal(first["agreement"], again["agreement"])
    assert first["agreement_overall"]["bootstrap_seed"] == config["agreement"]["bootstrap_seed"]
    assert first["agreement_overall"]["bootstrap_reps"] == \
        config["agreement"]["bootstrap_replicates"]
    assert first["agreement_overall"]["pooled_kappa"] == other["agreement_overall"][
        "pooled_kappa"]
    assert first["agreement_overall"]["pooled_kappa_low"] != other["agreement_overall"][
        "pooled_kappa_low"]


def test_restricted_data_get_the_same_measure_from_code_applications_alone(study, config):
    """Restricted data have code applications but no excerpts or transcripts: agreement is
    computed from the applications, so it is the same with or without the excerpts."""
    tables = {k: study[k] for k in ("participants", "qual_codebook", "code_applications")}
    without = run_qualitative(tables, config["qualitative"], bootstrap=config["agreement"])
    full = run_qualitative({**tables, "excerpts": study["excerpts"]}, config["qualitative"],
                           bootstrap=config["agreement"])
    pd.testing.assert_frame_equal(without["agreement"], full["agreement"])
    for key, value in without["agreement_overall"].items():
        assert full["agreement_overall"][key] == value, key
    # what only a synthetic build has: the generator check and the answer styles
    assert "disagreement_rate" not in without["agreement_overall"]
    assert {"disagreement_rate", "case_code_disagreements", "by_style"} <= set(
        full["agreement_overall"])


def test_a_code_application_without_an_excerpt_id_is_refused(study):
    apps = study["code_applications"].copy()
    apps.loc[3, "excerpt_id"] = ""
    with pytest.raises(ValueError, match=r"table 'code_applications' column 'excerpt_id': "
                                         r"1 row\(s\) have no excerpt id"):
        agreement({**study.tables, "code_applications": apps}, reps=100)
    apps = study["code_applications"].copy()
    other = apps.index[apps["participant_id"] != apps.loc[0, "participant_id"]][0]
    apps.loc[other, "excerpt_id"] = apps.loc[0, "excerpt_id"]
    with pytest.raises(ValueError, match="is listed under two participants"):
        agreement({**study.tables, "code_applications": apps}, reps=100)


def test_the_generator_check_records_the_configured_rate_beside_what_it_built(study):
    check = generator_check(study.tables, 0.08)
    a = code_by_case(study.tables, "A").to_numpy()
    b = code_by_case(study.tables, "B").to_numpy()
    assert check["disagreement_rate"] == 0.08
    assert check["case_code_decisions"] == a.size
    assert check["case_code_disagreements"] == int((a != b).sum())
    assert check["case_code_disagreement_share"] == pytest.approx((a != b).mean())
    assert check["confusable_share"] > check["confusable_share_uniform"]


def test_the_case_level_paradox_does_not_reach_the_excerpt_measure(study):
    """At the level of survivors, a code coder A applied to every survivor has kappa 0 by
    construction; over excerpts no code is near-universal, and AC1 stays near agreement."""
    a = code_by_case(study.tables, "A")
    b = code_by_case(study.tables, "B")
    universal = [c for c in a.columns if a[c].all()]
    assert universal, "the default study has a code coder A applied to every survivor"
    per_code, _ = agreement(study.tables, reps=200, seed=1)
    per_code = per_code.set_index("code")
    for code in universal:
        x, y = a[code].to_numpy(), b[code].to_numpy()
        case_level = np.array([np.sum(x & y), np.sum(x & (1 - y)), np.sum((1 - x) & y),
                               np.sum((1 - x) & (1 - y))])
        if case_level[1] + case_level[2]:
            assert float(binary_coefficients(case_level).kappa) == pytest.approx(0, abs=1e-12)
        assert per_code.loc[code, "kappa"] > 0.5
        assert per_code.loc[code, "ac1"] > 0.9


# --- agreement over survivor x code decisions (what restricted builds publish) ---------------


def test_case_agreement_counts_and_coefficients_against_a_loop_and_the_libraries(study):
    from analysis.stats.agreement import krippendorff_alpha_nominal

    per_code, overall = case_agreement(study.tables, reps=200, seed=1)
    a, b = code_by_case(study.tables, "A"), code_by_case(study.tables, "B")
    n = len(study["participants"])
    assert overall["unit"] == "survivor x code" and "excerpts" not in overall
    assert not {"excerpts", "excerpts_a", "excerpts_b"} & set(per_code.columns)
    assert overall["decisions"] == n * overall["codes"] and overall["cases"] == n
    for row in per_code.itertuples(index=False):
        cells = [0, 0, 0, 0]
        for x, y in zip(a[row.code], b[row.code], strict=True):   # one survivor at a time
            cells[0 if x and y else 1 if x else 2 if y else 3] += 1
        assert [row.both, row.a_only, row.b_only, row.neither] == cells, row.code
        assert (row.cases_a, row.cases_b) == (int(a[row.code].sum()), int(b[row.code].sum()))
        table = two_by_two(cells)
        if row.kappa is not None and not pd.isna(row.kappa):
            assert row.kappa == pytest.approx(cohens_kappa(table, return_results=False))
        assert row.ac1 == pytest.approx(gwet_ac1(table))
        assert row.agreement == pytest.approx((row.both + row.neither) / n)
    xa, xb = a.to_numpy().ravel(), b.to_numpy().ravel()
    assert overall["disagreements"] == int(np.sum(xa != xb))
    assert overall["krippendorff_alpha"] == pytest.approx(krippendorff_alpha_nominal(xa, xb))
    pooled = pooled_coefficients(per_code[["both", "a_only", "b_only", "neither"]].to_numpy())
    assert overall["pooled_kappa"] == pytest.approx(float(pooled.kappa))
    assert overall["pooled_ac1"] == pytest.approx(float(pooled.ac1))


def test_case_agreement_intervals_of_a_code_depend_on_its_table_alone(study):
    """Each code's interval is a function of its four counts and the seed: shuffling which
    survivor holds which cell (keeping every code's table) changes none of them, while the
    pooled interval, which resamples survivors with all their codes, may change."""
    per_code, overall = case_agreement(study.tables, reps=300, seed=4)
    apps = study["code_applications"]
    ids = study["participants"]["participant_id"].tolist()
    rng = np.random.default_rng(0)
    moved = []
    for _, own in apps.groupby("code", sort=False):   # a fresh survivor order per code
        order = dict(zip(ids, rng.permutation(ids), strict=True))
        moved.append(own.assign(participant_id=own["participant_id"].map(order)))
    shuffled = {**study.tables, "code_applications": pd.concat(moved, ignore_index=True)}
    again, other = case_agreement(shuffled, reps=300, seed=4)
    columns = ["both", "a_only", "b_only", "neither", "kappa", "kappa_low", "kappa_high",
               "ac1", "ac1_low", "ac1_high"]
    pd.testing.assert_frame_equal(per_code[columns], again[columns])
    assert other["pooled_kappa"] == pytest.approx(overall["pooled_kappa"])
    shown = per_code.dropna(subset=["kappa_low"])
    assert len(shown) >= 5
    assert (shown["kappa_low"] >= -1).all() and (shown["kappa_high"] <= 1).all()
    assert ((shown["kappa_low"] <= shown["kappa"]) & (shown["kappa"] <= shown["kappa_high"])).all()
    none = per_code[per_code["kappa_low"].isna()]
    assert ((none["a_only"] + none["b_only"]) == 0).all()


def test_run_qualitative_computes_agreement_over_the_unit_asked(study, config):
    tables = {k: study[k] for k in ("participants", "qual_codebook", "code_applications")}
    survivors = run_qualitative(tables, config["qualitative"], bootstrap=config["agreement"],
                                unit="survivor")
    assert survivors["agreement_overall"]["unit"] == "survivor x code"
    assert survivors["agreement_overall"]["bootstrap_seed"] == \
        config["agreement"]["bootstrap_seed"]
    with pytest.raises(ValueError, match="unit of agreement 'case'; allowed: excerpt, survivor"):
        run_qualitative(tables, config["qualitative"], unit="case")


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
                          index=[f"SYN-{i:02d}" for i in range(1, 6)])
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
