"""The claims registry and its evaluation: rules, verdicts, levels, and independent recomputation.

Every estimate is recomputed here from the committed CSVs with other code
(statsmodels, scipy, pandas), every verdict level is shown to be reachable,
and the scenarios show that every claim can fail: the contrary scenario
reproduces none, and with no effects an association claim is reproduced in
at most a tenth of replications.
"""

from __future__ import annotations

import copy
import json
import math
import warnings

import numpy as np
import pytest
from scipy import stats
from statsmodels.genmod import families
from statsmodels.genmod.cov_struct import Exchangeable
from statsmodels.genmod.generalized_estimating_equations import GEE
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from analysis import cli
from analysis.config import load_config
from analysis.steps.claims import (
    RegistryError,
    check_registry,
    evaluate_claims,
    load_registry,
    registry_settings,
)
from analysis.steps.statistics import initiation_pattern_counts
from analysis.steps.verdicts import (
    INCONCLUSIVE,
    NOT_REPRODUCED,
    REPRODUCED,
    VERDICTS,
    share_verdict,
    verdict,
)
from analysis.study.arrays import StudyArrays
from analysis.study.datapackage import read_study
from analysis.study.generate import generate_study
from analysis.study.vocabulary import QUANT_TABLES

#: The registry's claims, read from it (never copied here by hand).
ALL_IDS = tuple(e["id"] for e in load_registry())
ASSOCIATION = tuple(e["id"] for e in load_registry() if e["statistic"] == "association")


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture(scope="module")
def committed(repo_root):
    """The committed synthetic package, read back and validated."""
    return read_study(repo_root / "data" / "synthetic", QUANT_TABLES)


@pytest.fixture(scope="module")
def published(committed, registry):
    return {r["id"]: r for r in evaluate_claims(committed, registry)}


def _scenario(registry, scenario: str, seed: int | None = None):
    config = load_config(overrides={"scenario": scenario})
    data = generate_study(config, seed=seed, interviews=False, coding=False)
    return {r["id"]: r for r in evaluate_claims(data.tables, registry, config["alpha"])}


# --- the registry -----------------------------------------------------------------------------


def test_registry_covers_every_finding_with_its_words_and_direction(registry):
    assert len(set(ALL_IDS)) == len(ALL_IDS)
    # The abstract's eleven findings, each by at least one claim named after it (C8a: C8).
    assert {e["finding"] for e in registry} == {f"C{i}" for i in range(1, 12)}
    for entry in registry:
        assert entry["id"].rstrip("abcdefgh") == entry["finding"]
    for entry in registry:
        assert entry["source_words"].strip()
        if entry["id"] in ASSOCIATION:
            assert entry["primary_level"] in ("contact", "survivor") and entry["primary_reason"]
            stated = entry["abstract_direction"] == "stated"
            assert (entry["direction"] in ("positive", "negative")) == stated
            if not stated:
                assert entry["direction"] == "two-sided" and entry["reading"]


def test_the_abstracts_directions_are_stated_only_where_it_states_them(registry):
    by_id = {e["id"]: e for e in registry}
    # "related to" and "varied based on": no direction in the abstract.
    for cid in ("C4", "C6", "C7"):
        assert by_id[cid]["abstract_direction"] == "none"
    # "self-initiated at higher rates, ... fewer safety strategies ..., and had fewer arrests"
    assert by_id["C8a"]["direction"] == by_id["C8b"]["direction"] == "positive"
    for cid in ("C9a", "C9b", "C10a", "C10b"):
        assert by_id[cid]["direction"] == "negative"
    # The framing ("especially when the survivor does not initiate the call") is our reading.
    assert by_id["C4"]["reading"] == "negative"
    assert {by_id[c]["contrast"] for c in ("C8a", "C9a", "C10a", "C10c")} == {"colour_vs_white"}
    assert {by_id[c]["contrast"] for c in ("C8b", "C9b", "C10b", "C10d")} == {"black_vs_others"}


def _registry_error(registry, cid, change) -> str:
    entries = copy.deepcopy(registry)
    change(next(e for e in entries if e["id"] == cid))
    with pytest.raises(RegistryError) as info:
        check_registry(entries)
    return str(info.value)


def test_registry_errors_name_claim_key_and_value(registry):
    msg = _registry_error(registry, "C6", lambda e: e.update(exposure="black_race"))
    assert "claim C6: key 'exposure' has value 'black_race'" in msg
    msg = _registry_error(registry, "C8a", lambda e: e.update(contrast="rich_vs_poor"))
    assert "claim C8a: key 'contrast' has value 'rich_vs_poor'; allowed: colour_vs_white" in msg
    msg = _registry_error(registry, "C4", lambda e: e.update(direction="positive"))
    assert "allowed: a direction only where the abstract states one" in msg
    msg = _registry_error(registry, "C1", lambda e: e.update(threshold=1.5))
    assert "claim C1: key 'threshold' has value 1.5" in msg
    msg = _registry_error(registry, "C9a", lambda e: e.pop("primary_reason"))
    assert "claim C9a: key 'primary_reason' is missing" in msg
    msg = _registry_error(registry, "C1", lambda e: e.pop("source_words"))
    assert "claim C1: key 'source_words' is missing" in msg


def test_the_registry_covariance_is_one_of_the_three(registry):
    assert registry_settings()["gee_covariance"] in ("sandwich", "scaled", "mancl_derouen")


# --- the verdict rule: every level reachable --------------------------------------------------


@pytest.mark.parametrize(("direction", "estimate", "low", "high", "null", "expected"), [
    ("positive", 2.0, 1.2, 3.0, 1.0, REPRODUCED),
    ("positive", 2.0, 0.8, 3.0, 1.0, INCONCLUSIVE),
    ("positive", 0.5, 0.2, 0.9, 1.0, NOT_REPRODUCED),
    ("positive", 0.5, 0.2, 1.9, 1.0, NOT_REPRODUCED),
    ("negative", -0.3, -0.5, -0.1, 0.0, REPRODUCED),
    ("negative", -0.3, -0.5, 0.1, 0.0, INCONCLUSIVE),
    ("negative", 0.3, 0.1, 0.5, 0.0, NOT_REPRODUCED),
    ("two-sided", 0.4, 0.2, 0.8, 1.0, REPRODUCED),
    ("two-sided", 2.5, 1.1, 5.0, 1.0, REPRODUCED),
    ("two-sided", 1.4, 0.7, 2.8, 1.0, INCONCLUSIVE),
    ("two-sided", 1.0, 0.5, 2.0, 1.0, NOT_REPRODUCED),
])
def test_association_verdicts(direction, estimate, low, high, null, expected):
    assert verdict(direction, estimate, low, high, null) == expected


def test_nothing_estimable_is_not_reproduced():
    assert verdict("positive", None, None, None, 1.0) == NOT_REPRODUCED
    assert verdict("two-sided", 3.0, 2.0, 4.0, 1.0, estimable=False) == NOT_REPRODUCED


def test_share_verdicts():
    assert share_verdict(0.8, 0.6, 0.5) == REPRODUCED
    assert share_verdict(0.6, 0.4, 0.5) == INCONCLUSIVE
    assert share_verdict(0.4, 0.2, 0.5) == NOT_REPRODUCED


def test_every_verdict_level_occurs_in_regenerated_studies(registry):
    config = load_config()
    seen = set()
    for seed in range(10):
        data = generate_study(config, seed=seed, interviews=False, coding=False)
        seen |= {r["verdict"] for r in evaluate_claims(data.tables, registry)}
    assert seen == set(VERDICTS)


# --- the default study ------------------------------------------------------------------------


def test_claims_json_structure(published, repo_root, tmp_path):
    out = tmp_path / "claims.json"
    code = cli.main(["claims", "--configfile", str(repo_root / "config" / "config.yaml"),
                     "--data", str(repo_root / "data" / "synthetic"), "--output", str(out)])
    assert code == 0
    document = json.loads(out.read_text())
    assert document["alpha"] == 0.05
    assert document["settings"]["gee_covariance"] == registry_settings()["gee_covariance"]
    claims = document["claims"]
    assert [c["id"] for c in claims] == list(ALL_IDS)
    for claim in claims:
        assert claim["verdict"] in VERDICTS
        assert claim["reproduced"] is (claim["verdict"] == REPRODUCED)
        assert claim["reason"].startswith(published[claim["id"]]["reason"].split(":")[0])
        primary = claim["levels"][claim["primary_level"]]
        assert claim["estimate"] == primary["estimate"]
        if claim["id"] in ASSOCIATION:
            assert set(claim["levels"]) == {"contact", "survivor"}
            assert claim["verdict"] == primary["verdict"]
            for level in claim["levels"].values():
                if level["estimate"] is not None and level["ci_low"] is not None:
                    assert level["ci_low"] <= level["estimate"] + 1e-12 <= level["ci_high"] + 2e-12


def test_the_default_seed_is_the_studys_pubmed_id(config):
    assert config["seed"] == 34933576 and config["scenario"] == "published"


# --- independent recomputation from the CSVs ---------------------------------------------------


@pytest.fixture(scope="module")
def frames(committed):
    participants = committed["participants"]
    incidents = committed["incidents"].merge(
        participants[["participant_id", "race_ethnicity", "n_police_contacts"]],
        on="participant_id", validate="many_to_one")
    incidents["black"] = (incidents["race_ethnicity"] == "Black").astype(int)
    incidents["self"] = (incidents["initiator"] == "self").astype(int)
    incidents["external"] = 1 - incidents["self"]
    return participants, incidents, committed["violence"], committed["strategies"]


def test_shares_recomputed_with_statsmodels(published, frames):
    _, incidents, violence, strategies = frames
    for cid, column in (("C1", "ongoing_strategic"), ("C2", "beyond_police_capacity")):
        k, n = int(violence[column].sum()), len(violence)
        low, high = proportion_confint(k, n, method="wilson")
        claim = published[cid]
        assert claim["estimate"] == pytest.approx(k / n)
        assert (claim["ci_low"], claim["ci_high"]) == pytest.approx((low, high), abs=1e-12)
        assert claim["p_value"] == pytest.approx(
            stats.binomtest(k, n, 0.5, alternative="greater").pvalue)
        assert claim["verdict"] == share_verdict(k / n, low, 0.5)
    k = int((strategies["n_strategies"] > 0).sum())
    low, high = proportion_confint(k, len(strategies), method="beta")
    assert published["C11"]["ci_low"] == pytest.approx(low, abs=1e-12)


def test_patterns_and_inconsistency_recomputed(published, frames, committed):
    _, incidents, _, _ = frames
    per = incidents.groupby("participant_id")["self"].agg(["min", "max"])
    counts = {"self only": int((per["min"] == 1).sum()),
              "external only": int((per["max"] == 0).sum()),
              "dual": int(((per["min"] == 0) & (per["max"] == 1)).sum())}
    assert initiation_pattern_counts(StudyArrays.from_tables(committed)) == counts
    assert published["C3"]["estimate"] == sum(v > 0 for v in counts.values())
    arrests = incidents.groupby("participant_id")["arrest"].agg(["sum", "count"])
    several = arrests[arrests["count"] >= 2]
    mixed = int(((several["sum"] > 0) & (several["sum"] < several["count"])).sum())
    level = published["C5"]["levels"]["survivor"]
    assert level["estimate"] == pytest.approx(mixed / len(several))
    assert published["C5"]["levels"]["contact"]["estimate"] == pytest.approx(
        incidents["arrest"].mean())


@pytest.mark.parametrize(("cid", "outcome", "predictors", "term"), [
    ("C4", "any_practice", ["external"], "external"),
    ("C6", "arrest", ["visible_injury", "prior_calls", "black"], "prior_calls"),
    ("C7", "arrest", ["visible_injury", "prior_calls", "black"], "visible_injury"),
])
def test_odds_ratios_recomputed_with_statsmodels(published, frames, cid, outcome, predictors,
                                                 term):
    _, incidents, _, _ = frames
    X = np.column_stack([np.ones(len(incidents)), incidents[predictors].to_numpy(float)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = GEE(incidents[outcome].to_numpy(float), X, groups=incidents["participant_id"],
                  family=families.Binomial(), cov_struct=Exchangeable()).fit()
    j = 1 + predictors.index(term)
    g, k = incidents["participant_id"].nunique(), X.shape[1]
    se = math.sqrt(ref.cov_robust[j, j] * g / (g - k))  # the registry's covariance: scaled
    t = stats.t.ppf(0.975, g - k)
    level = published[cid]["levels"]["contact"]
    assert level["estimate"] == pytest.approx(math.exp(ref.params[j]), rel=1e-5)
    assert level["ci_low"] == pytest.approx(math.exp(ref.params[j] - t * se), rel=1e-4)
    assert level["ci_high"] == pytest.approx(math.exp(ref.params[j] + t * se), rel=1e-4)


@pytest.mark.parametrize("cid", ["C8a", "C8b", "C9a", "C9b", "C10a", "C10b", "C10c", "C10d"])
def test_race_contrasts_recomputed_at_both_levels(published, frames, registry, cid):
    participants, incidents, _, _ = frames
    entry = next(e for e in registry if e["id"] == cid)
    race = participants.set_index("participant_id")["race_ethnicity"]
    exposed = race != "White" if entry["contrast"] == "colour_vs_white" else race == "Black"
    outcome = {"self_initiated": incidents["self"]}.get(entry["outcome"],
                                                         incidents.get(entry["outcome"]))
    frame = incidents.assign(y=outcome, exposed=incidents["participant_id"].map(exposed))
    # Contact level: ratio estimators of each group.
    p1 = frame.loc[frame["exposed"], "y"].mean()
    p0 = frame.loc[~frame["exposed"], "y"].mean()
    assert published[cid]["levels"]["contact"]["estimate"] == pytest.approx(p1 - p0)
    # Survivor level: the claim's summary per survivor, then Newcombe and Fisher.
    per = frame.groupby("participant_id").agg(k=("y", "sum"), m=("y", "size"))
    how = entry["survivor_outcome"]
    summary = {"ever": per["k"] > 0, "most": 2 * per["k"] > per["m"],
               "always": per["k"] == per["m"]}[how]
    a = int((summary & exposed).sum())
    n1 = int(exposed.sum())
    c = int((summary & ~exposed).sum())
    n0 = int((~exposed).sum())
    level = published[cid]["levels"]["survivor"]
    assert level["estimate"] == pytest.approx(a / n1 - c / n0)
    low, high = confint_proportions_2indep(a, n1, c, n0, method="newcomb", compare="diff")
    assert (level["ci_low"], level["ci_high"]) == pytest.approx((low, high), abs=1e-10)
    table = [[a, n1 - a], [c, n0 - c]]
    expected_p = stats.fisher_exact(table).pvalue if (a + c) not in (0, n1 + n0) else 1.0
    assert level["p_value"] == pytest.approx(expected_p, rel=1e-12)


def test_holm_within_families(published):
    from statsmodels.stats.multitest import multipletests

    members = [c for c in ALL_IDS if published[c]["family"] == "race_disparities"]
    assert len(members) >= 2
    ps = [published[c]["p_value"] for c in members]
    adjusted = multipletests(ps, method="holm")[1]
    for cid, p in zip(members, adjusted, strict=True):
        assert published[cid]["p_value_holm"] == pytest.approx(p, rel=1e-12)


# --- every claim can fail ---------------------------------------------------------------------


def test_contrary_reproduces_no_claim_at_the_default_seed(registry):
    contrary = _scenario(registry, "contrary")
    reproduced = [cid for cid, r in contrary.items() if r["verdict"] == REPRODUCED]
    assert reproduced == [], {c: contrary[c]["reason"] for c in reproduced}


def test_contrary_makes_the_descriptive_patterns_absent(registry):
    config = load_config(overrides={"scenario": "contrary"})
    tables = generate_study(config, interviews=False, coding=False).tables
    assert set(tables["incidents"]["initiator"]) == {"self"}
    assert tables["incidents"]["arrest"].sum() == 0
    assert tables["incidents"]["wanted_arrest"].sum() == 0
    assert (tables["strategies"]["n_strategies"] == 0).any()
    assert tables["violence"]["ongoing_strategic"].mean() < 0.5


def test_null_reproduces_each_association_claim_in_at_most_a_tenth(registry):
    """The false-reproduction rate with no effects, over 400 regenerated studies."""
    from analysis.steps.robustness import run_replications

    config = load_config()
    rows = run_replications(config, registry, "null", range(400))
    rates = rows.groupby("claim")["reproduced"].mean()
    for cid in ASSOCIATION:
        assert rates[cid] <= 0.10, (cid, rates[cid])
    # ... while the published model reproduces the strongest claims much more often.
    published = run_replications(config, registry, "published", range(200))
    assert published.groupby("claim")["reproduced"].mean()["C7"] > 0.5


def test_reversed_directional_claims_are_almost_never_reproduced(registry):
    from analysis.steps.robustness import run_replications

    rows = run_replications(load_config(), registry, "reversed", range(200))
    rates = rows.groupby("claim")["reproduced"].mean()
    for cid in ("C8a", "C8b", "C9a", "C9b", "C10a", "C10b"):
        assert rates[cid] <= 0.02, (cid, rates[cid])


def test_an_estimate_that_is_not_estimable_is_not_reproduced(registry):
    config = load_config()
    tables = generate_study(config, interviews=False, coding=False).tables
    incidents = tables["incidents"].copy()
    incidents["any_practice"] = 1  # nothing to compare
    results = {r["id"]: r for r in evaluate_claims({**tables, "incidents": incidents}, registry)}
    assert not results["C4"]["estimable"]
    assert results["C4"]["verdict"] == NOT_REPRODUCED
    assert "constant" in results["C4"]["reason"]


# --- verdicts from published counts (the disclosure plan's check) -----------------------------


def _level_counts(result) -> dict[str, dict[str, int]]:
    """Each level's count fields as claims.json publishes them (what the plan protects)."""
    from analysis.disclosure.plan import COUNT_FIELDS

    return {lv: {f: v[f] for f in COUNT_FIELDS if v.get(f) is not None}
            for lv, v in result["levels"].items()}


@pytest.mark.parametrize("scenario", ["published", "null", "contrary"])
def test_from_counts_is_what_one_study_computes_its_count_based_levels_with(registry, scenario):
    """Each statistic's from_counts, fed the counts claims.json publishes, gives exactly the
    one-study result for every level counts decide (p-values included), and None for a
    model-based level; outcomes_from_counts then gives the same verdicts and directions."""
    from analysis.steps.claims import outcomes_from_counts, verdict_levels
    from analysis.steps.statistics import STATISTICS

    config = load_config(overrides={"scenario": scenario})
    for seed in (None, 5, 11):
        tables = generate_study(config, seed=seed, interviews=False, coding=False).tables
        for entry, result in zip(registry, evaluate_claims(tables, registry, config["alpha"]),
                                 strict=True):
            counts = _level_counts(result)
            outcome = STATISTICS[entry["statistic"]].from_counts(entry, counts,
                                                                 config["alpha"])
            assert outcome is not None, entry["id"]
            for level, computed in outcome["levels"].items():
                if computed is None:
                    assert entry["statistic"] == "association" and level == "contact"
                else:
                    assert computed == result["levels"][level], (entry["id"], level)
            decided = outcome["levels"][entry.get("primary_level", "survivor")] is not None
            if entry["statistic"] != "association" or decided:
                assert (outcome["verdict"], outcome["observed"]) == (
                    result["verdict"], result["observed_direction"]), entry["id"]
            else:
                assert outcome["verdict"] is None and outcome["observed"] is None
            pairs = outcomes_from_counts(entry, counts, config["alpha"])
            rests_on = set(verdict_levels(entry)) & set(outcome["levels"])
            assert rests_on, entry["id"]
            assert (pairs["claim"][0] is None) == any(outcome["levels"][lv] is None
                                                      for lv in rests_on), entry["id"]
            for level, (word, direction) in pairs["levels"].items():
                if word is not None:
                    assert word == result["levels"][level]["verdict"]
                    assert direction == result["levels"][level]["observed_direction"]


def test_a_statistic_that_is_not_count_based_decides_nothing_from_counts(registry):
    """The default hook: a statistic without a count path returns None, and the plan then
    withholds every verdict of its withheld levels."""
    from analysis.steps.claims import outcomes_from_counts
    from analysis.steps.statistics import STATISTICS, Statistic

    class ModelOnly(Statistic):
        name = "model_only"

    entry = {**registry[0], "statistic": "model_only"}
    STATISTICS["model_only"] = ModelOnly()
    try:
        assert ModelOnly().from_counts(entry, {"survivor": {"n": 24}}, 0.05) is None
        assert outcomes_from_counts(entry, {"survivor": {"n": 24}}) == {
            "claim": (None, None), "levels": {"survivor": (None, None)}}
    finally:
        del STATISTICS["model_only"]


def test_a_missing_count_field_is_a_key_error(registry):
    """The attacker and the plan rely on it: counts alone that are incomplete decide nothing."""
    from analysis.steps.claims import outcomes_from_counts

    for entry in registry:
        with pytest.raises(KeyError):
            outcomes_from_counts(entry, {"contact": {}, "survivor": {}})
