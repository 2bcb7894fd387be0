"""The synthetic study generator (issue 3): composition, determinism, independent
sub-streams, the committed package, and recovery of the configured model."""

from __future__ import annotations

import copy
import math
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.config import load_config
from analysis.study.datapackage import write_package
from analysis.study.generate import (
    PRACTICE_COLUMNS,
    RACE_CATEGORIES,
    STRATEGIES,
    STREAMS,
    allocate,
    generate_study,
    second_coder,
    slug,
    stream,
)

LARGE_N = 20_000
#: Logistic-normal attenuation constant: a random intercept with SD s shrinks a
#: conditional log-odds coefficient to about b / sqrt(1 + 0.346 s^2) marginally.
ATTENUATION_C = 0.346


def attenuation(sd: float) -> float:
    return 1.0 / math.sqrt(1.0 + ATTENUATION_C * sd * sd)


def with_changes(config: dict, **changes) -> dict:
    new = copy.deepcopy(config)
    new.update(changes)
    return new


def assert_tables_equal(a, b, names) -> None:
    for name in names:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


# --- composition -------------------------------------------------------------------


def test_composition_exactly_as_configured(study, config):
    counts = study["participants"]["race_ethnicity"].value_counts().to_dict()
    assert counts == config["sample"]["race_ethnicity"] == {
        "Black": 11, "White": 7, "Latina": 4, "Multiracial/other": 2}
    assert len(study["participants"]) == 24
    assert list(study["participants"]["participant_id"])[:3] == ["SYN-01", "SYN-02", "SYN-03"]


def test_allocate_scales_proportionally():
    counts = {"Black": 11, "White": 7, "Latina": 4, "Multiracial/other": 2}
    assert allocate(counts, 24) == counts
    assert allocate(counts, 48) == {"Black": 22, "White": 14, "Latina": 8, "Multiracial/other": 4}
    big = allocate(counts, 1000)
    # quotas 458.33, 291.67, 166.67, 83.33: the two largest remainders get the extra units
    assert big == {"Black": 458, "White": 292, "Latina": 167, "Multiracial/other": 83}
    for n in (1, 5, 25, 48, 99, 1000, 12345):
        out = allocate(counts, n)
        assert sum(out.values()) == n
        for name, count in out.items():
            assert abs(count - counts[name] / 24 * n) < 1.0, (n, name)
    assert allocate(counts, 1) == {"Black": 1, "White": 0, "Latina": 0, "Multiracial/other": 0}


@pytest.mark.parametrize("n", [48, 1000])
def test_generated_composition_scaled(config, n):
    data = generate_study(with_changes(config, n_participants=n), interviews=False)
    counts = data["participants"]["race_ethnicity"].value_counts().to_dict()
    expected = allocate(config["sample"]["race_ethnicity"], n)
    assert counts == {k: v for k, v in expected.items() if v}
    assert set(counts) <= set(RACE_CATEGORIES)


def test_participant_ranges(study, config):
    p = study["participants"]
    assert p["age"].between(config["sample"]["age_min"], config["sample"]["age_max"]).all()
    assert p["n_police_contacts"].between(1, 6).all()
    assert set(p["children_in_home"]) <= {0, 1}


# --- determinism -------------------------------------------------------------------


ALL = ("participants", "incidents", "violence", "strategies", "qual_codebook", "transcripts",
       "excerpts", "code_applications")


def test_same_seed_identical(study, config):
    again = generate_study(copy.deepcopy(config))
    assert_tables_equal(study, again, ALL)
    np.testing.assert_array_equal(study.coder_a, again.coder_a)
    np.testing.assert_array_equal(study.coder_b, again.coder_b)
    # An explicit seed equal to the configured one gives the same study.
    explicit = generate_study(config, seed=config["seed"])
    assert_tables_equal(study, explicit, ALL)


def test_different_seed_differs(study, config):
    other = generate_study(config, seed=config["seed"] + 1)
    for name in ("participants", "incidents", "violence", "strategies"):
        assert not study[name].equals(other[name]), name


def test_bytes_identical_in_another_process(study, config, repo_root, tmp_path):
    here, there = tmp_path / "here", tmp_path / "there"
    write_package(study.tables, here, config)
    env = dict(os.environ, PYTHONHASHSEED="12345")
    res = subprocess.run([sys.executable, "-m", "analysis", "generate", "--configfile",
                          "config/config.yaml", "--outdir", str(there)], cwd=repo_root,
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    names = sorted(p.name for p in here.iterdir())
    assert names == sorted(p.name for p in there.iterdir())
    assert "incidents.csv" in names and "datapackage.json" in names
    for name in names:
        assert (here / name).read_bytes() == (there / name).read_bytes(), name


def test_committed_package_is_byte_identical(repo_root, tmp_path):
    config = load_config()
    written = write_package(generate_study(config).tables, tmp_path, config)
    committed = repo_root / "data" / "synthetic"
    assert sorted(p.name for p in committed.iterdir()) == sorted(p.name for p in written)
    for path in written:
        assert (committed / path.name).read_bytes() == path.read_bytes(), path.name


# --- independent sub-streams ----------------------------------------------------------


def test_streams_are_distinct():
    assert len(set(STREAMS.values())) == len(STREAMS)
    first = {name: stream(1, name).random(4).tolist() for name in STREAMS}
    assert len({tuple(v) for v in first.values()}) == len(STREAMS)
    np.testing.assert_array_equal(stream(1, "incidents").random(4), first["incidents"])


def test_changing_strategies_leaves_other_tables(study, config):
    changed = copy.deepcopy(config)
    changed["strategies"]["prevalence"] = {k: 0.9 for k in changed["strategies"]["prevalence"]}
    other = generate_study(changed)
    assert_tables_equal(study, other, ("participants", "incidents", "violence"))
    assert not study["strategies"].equals(other["strategies"])


def test_changing_violence_leaves_incidents(study, config):
    changed = copy.deepcopy(config)
    changed["violence"]["p_ongoing_strategic"] = 0.2
    changed["violence"]["forms"]["physical"] = 0.1
    other = generate_study(changed)
    assert_tables_equal(study, other, ("participants", "incidents", "strategies"))
    assert not study["violence"].equals(other["violence"])


def test_changing_arrest_model_leaves_initiation(study, config):
    changed = copy.deepcopy(config)
    changed["model"]["arrest"]["intercept"] = 1.0
    other = generate_study(changed)
    keep = ["participant_id", "incident_seq", "prior_calls", "initiator", "visible_injury",
            *PRACTICE_COLUMNS]
    pd.testing.assert_frame_equal(study["incidents"][keep], other["incidents"][keep])
    assert other["incidents"]["arrest"].sum() > study["incidents"]["arrest"].sum()


# --- structure of the incidents --------------------------------------------------------


def test_contacts_match_incidents(study):
    counts = study["incidents"].groupby("participant_id").size()
    declared = study["participants"].set_index("participant_id")["n_police_contacts"]
    pd.testing.assert_series_equal(counts.reindex(declared.index), declared, check_names=False,
                                   check_dtype=False)


def test_prior_calls_increase_by_one(study):
    inc = study["incidents"]
    for _, group in inc.groupby("participant_id"):
        assert list(group["incident_seq"]) == list(range(1, len(group) + 1))
        assert np.all(np.diff(group["prior_calls"].to_numpy()) == 1)
    assert (inc["any_practice"] == inc[list(PRACTICE_COLUMNS)].max(axis=1)).all()
    assert (inc["outcome_as_wanted"] == (inc["arrest"] == inc["wanted_arrest"])).all()


def test_excerpt_offsets(study):
    texts = study["transcripts"].set_index("participant_id")["text"]
    excerpts = study["excerpts"]
    assert len(excerpts) > 100
    for row in excerpts.itertuples():
        assert texts[row.participant_id][row.start:row.end] == row.text, row.excerpt_id
    # coder A applies exactly the codes of the case-by-code matrix
    a = study["code_applications"]
    assert (a["coder"] == "A").sum() == int(study.coder_a.sum()) == len(excerpts)


@pytest.mark.parametrize("minimum", [1, 2])
def test_min_strategies_per_survivor(config, minimum):
    changed = copy.deepcopy(config)
    changed["n_participants"] = 2000
    changed["strategies"]["min_per_survivor"] = minimum
    changed["strategies"]["prevalence"] = {k: 0.05 for k in STRATEGIES}
    data = generate_study(changed, interviews=False)
    strat = data["strategies"]
    columns = [slug(s) for s in STRATEGIES]
    assert (strat[columns].sum(axis=1) == strat["n_strategies"]).all()
    assert strat["n_strategies"].min() == minimum
    # most survivors needed topping up, so the rule did the work
    assert (strat["n_strategies"] == minimum).mean() > 0.5
    # without the rule, many survivors would have fewer
    changed["strategies"]["min_per_survivor"] = 0
    free = generate_study(changed, interviews=False)["strategies"]
    assert (free["n_strategies"] < minimum).mean() > 0.5


def test_second_coder_rate():
    rng = np.random.default_rng(1)
    coder_a = (rng.random((5000, 16)) < 0.7).astype(np.int8)
    ambiguity = np.round(rng.random(coder_a.shape), 2) * coder_a
    for rate in (0.0, 0.08, 0.3, 0.5):
        coder_b = second_coder(coder_a, ambiguity, rate, np.random.default_rng(2))
        assert abs(float((coder_a != coder_b).mean()) - rate) < 0.01
        assert set(np.unique(coder_b)) <= {0, 1}
    assert np.array_equal(second_coder(coder_a, ambiguity, 0.0, np.random.default_rng(3)),
                          coder_a)


# --- model recovery at large n ----------------------------------------------------------


@pytest.fixture(scope="module")
def large(config):
    """Large studies (20,000 survivors, about 59,000 contacts) under each scenario."""
    out = {}
    for scenario in ("published", "null", "reversed"):
        cfg = with_changes(config, n_participants=LARGE_N, scenario=scenario)
        out[scenario] = generate_study(cfg, interviews=False)
    return out


def _design(data) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    inc = data["incidents"]
    race = data["participants"].set_index("participant_id")["race_ethnicity"]
    black = (inc["participant_id"].map(race) == "Black").astype(float).to_numpy()
    weights = load_config()["model"]["race_weights"]
    weight = inc["participant_id"].map(race).map(weights).astype(float).to_numpy()
    frame = pd.DataFrame({
        "const": 1.0,
        "visible_injury": inc["visible_injury"].astype(float),
        "prior_calls": inc["prior_calls"].astype(float),
        "external": (inc["initiator"] != "self").astype(float),
        "black": black,
        "race": weight,
        "self": (inc["initiator"] == "self").astype(float),
    })
    groups = pd.factorize(inc["participant_id"])[0]
    return inc, frame, groups


def _logit(y, X, groups):
    """Population-averaged logistic fit with cluster-robust SEs (independence GEE)."""
    return sm.GLM(np.asarray(y, dtype=float), X, family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": groups})


def _check(fit, term: str, target: float, floor: float = 0.1) -> None:
    b, se = float(fit.params[term]), float(fit.bse[term])
    tolerance = max(4 * se, floor)
    assert abs(b - target) < tolerance, f"{term}: {b:.3f} vs {target:.3f} (tol {tolerance:.3f})"


def test_arrest_coefficients_recovered(large, config):
    inc, X, groups = _design(large["published"])
    fit = _logit(inc["arrest"], X[["const", "visible_injury", "prior_calls", "race"]], groups)
    arrest = config["model"]["arrest"]
    factor = attenuation(config["model"]["random_intercept_sd"])
    assert 0.9 < factor < 0.99
    _check(fit, "visible_injury", factor * arrest["visible_injury"]["effect"])
    _check(fit, "prior_calls", factor * arrest["prior_calls"]["effect"], floor=0.05)
    _check(fit, "race", factor * arrest["race"]["effect"])
    _check(fit, "const", factor * arrest["intercept"], floor=0.15)


def test_self_initiation_coefficient_recovered(large, config):
    inc, X, groups = _design(large["published"])
    fit = _logit(X["self"], X[["const", "race"]], groups)
    model = config["model"]
    factor = attenuation(model["random_intercept_sd"])
    _check(fit, "race", factor * model["self_initiation"]["race"]["effect"])
    _check(fit, "const", factor * model["self_initiation"]["intercept"])


@pytest.mark.parametrize("practice", ["practice_separate_parties", "practice_follow_up"])
def test_practice_coefficients_recovered(large, config, practice):
    inc, X, groups = _design(large["published"])
    fit = _logit(inc[practice], X[["const", "external", "race"]], groups)
    prac = config["model"]["practices"]
    sd_total = math.hypot(config["model"]["random_intercept_sd"], prac["incident_sd"])
    factor = attenuation(sd_total)
    assert 0.78 < factor < 0.86
    _check(fit, "external", factor * prac["external"]["effect"], floor=0.15)
    _check(fit, "race", factor * prac["race"]["effect"], floor=0.15)


def test_null_scenario_has_no_effects(large):
    inc, X, groups = _design(large["null"])
    arrest = _logit(inc["arrest"], X[["const", "visible_injury", "prior_calls", "black"]], groups)
    for term in ("visible_injury", "prior_calls", "black"):
        assert abs(arrest.params[term]) < 0.1, term
    selfi = _logit(X["self"], X[["const", "race"]], groups)
    assert abs(selfi.params["race"]) < 0.15
    prac = _logit(inc["any_practice"], X[["const", "external", "race"]], groups)
    assert abs(prac.params["external"]) < 0.1 and abs(prac.params["race"]) < 0.15
    black = X["black"].to_numpy() == 1
    for outcome in (inc["any_practice"], inc["arrest"], X["self"]):
        y = np.asarray(outcome, dtype=float)
        assert abs(y[black].mean() - y[~black].mean()) < 0.02


def test_reversed_scenario_flips_signs(large):
    for scenario, sign in (("published", 1), ("reversed", -1)):
        inc, X, groups = _design(large[scenario])
        arrest = _logit(inc["arrest"], X[["const", "visible_injury", "prior_calls", "race"]],
                        groups)
        assert sign * arrest.params["visible_injury"] > 1.0
        assert sign * arrest.params["prior_calls"] > 0.3
        assert sign * arrest.params["race"] < -1.0
        selfi = _logit(X["self"], X[["const", "race"]], groups)
        assert sign * selfi.params["race"] > 1.0
        prac = _logit(inc["any_practice"], X[["const", "external", "race"]], groups)
        assert sign * prac.params["external"] < -0.5
        assert sign * prac.params["race"] < -0.5
        black = X["black"].to_numpy() == 1
        rd = {name: float(np.asarray(y, float)[black].mean() - np.asarray(y, float)[~black].mean())
              for name, y in (("self", X["self"]), ("practice", inc["any_practice"]),
                              ("arrest", inc["arrest"]))}
        assert sign * rd["self"] > 0.2 and sign * rd["practice"] < 0
        assert sign * rd["arrest"] < -0.05


def test_survivors_of_colour_carry_the_race_effects_by_weight(large):
    """Black survivors the full effect, Latina and multiracial survivors half, White none."""
    inc = large["published"]["incidents"]
    race = large["published"]["participants"].set_index("participant_id")["race_ethnicity"]
    groups = inc.assign(race=inc["participant_id"].map(race),
                        called=inc["initiator"] == "self")
    rates = groups.groupby("race")["called"].mean()
    assert rates["White"] < rates["Latina"] < rates["Black"]
    assert rates["White"] < rates["Multiracial/other"] < rates["Black"]
    arrests = groups.groupby("race")["arrest"].mean()
    assert arrests["Black"] < arrests["Latina"] < arrests["White"]


def test_the_wish_for_an_arrest_follows_her_account(large, config):
    """Modelled from her record (she called, injury, still together), not noise."""
    data = large["published"]
    inc = data["incidents"]
    status = data["participants"].set_index("participant_id")["relationship_status"]
    together = (inc["participant_id"].map(status) == "together").astype(float)
    X = pd.DataFrame({"const": 1.0, "self": (inc["initiator"] == "self").astype(float),
                      "injury": inc["visible_injury"].astype(float), "together": together})
    fit = _logit(inc["wanted_arrest"], X, pd.factorize(inc["participant_id"])[0])
    wish = config["model"]["wanted_arrest"]
    factor = attenuation(config["model"]["random_intercept_sd"])
    _check(fit, "self", factor * wish["self_initiated"]["effect"])
    _check(fit, "injury", factor * wish["visible_injury"]["effect"])
    _check(fit, "together", factor * wish["together"]["effect"])
    assert (inc["outcome_as_wanted"] == (inc["arrest"] == inc["wanted_arrest"])).all()


def test_checking_on_children_only_where_children_live(large):
    data = large["published"]
    children = data["participants"].set_index("participant_id")["children_in_home"]
    inc = data["incidents"]
    assert inc.loc[inc["participant_id"].map(children) == 0, "practice_check_children"].sum() == 0
    assert inc.loc[inc["participant_id"].map(children) == 1, "practice_check_children"].mean() > 0.2


def test_coder_b_departs_at_configured_rate(large, config):
    data = large["published"]
    rate = config["qualitative"]["coder_disagreement_rate"]
    assert data.coder_a.shape[0] == LARGE_N
    observed = float((data.coder_a != data.coder_b).mean())
    assert abs(observed - rate) < 0.01


def test_contacts_match_incidents_large(large):
    data = large["published"]
    counts = data["incidents"]["participant_id"].value_counts()
    declared = data["participants"].set_index("participant_id")["n_police_contacts"]
    assert (counts.reindex(declared.index).to_numpy() == declared.to_numpy()).all()
    # 1 + Poisson(2), capped at 6: a mean a little below 3
    assert 2.8 < declared.mean() < 3.1
    assert declared.max() == 6 and declared.min() == 1
