"""Restricted-data mode: the plan, what a build publishes, and an attack on it.

The restricted data here are stand-ins: synthetic studies made by the
generator with other seeds than the default (7 with 24 survivors; 11 with 16),
written to ``data/restricted/`` of a scratch copy of the repository (never to
the repository itself), without transcripts or excerpts, as real data may
come. A restricted build runs on each (marked slow), and an
integer-programming attacker (:mod:`tests.disclosure.attack`) reads what it
publishes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.inter_rater import cohens_kappa

from analysis.config import load_config
from analysis.dev.workspace import copy_repository, snakemake, workflow_env
from analysis.disclosure.cells import Cells
from analysis.disclosure.keys import (
    ALL_CONTACTS,
    CONTACT_N,
    SURVIVOR_N,
    contacts_key,
    denominator_key,
    survivor_group_key,
)
from analysis.disclosure.markers import SUPPRESSED
from analysis.disclosure.plan import COUNT_FIELDS, study_cells, study_plan
from analysis.render.engine import docx_text
from analysis.stats.agreement import two_by_two
from analysis.steps.claims import evaluate_claims, load_registry, outcomes_from_counts
from analysis.steps.describe import all_descriptives
from analysis.steps.qualitative import case_agreement
from analysis.study.datapackage import read_study, write_package
from analysis.study.vocabulary import RESTRICTED_TABLES as PLAN_TABLES
from tests.conftest import ROOT
from tests.disclosure.attack import run_attack

THRESHOLD = 3
#: The stand-in restricted studies: (seed, survivors).
STANDINS = {"seed 7, 24 survivors": (7, 24), "seed 11, 16 survivors": (11, 16)}
STANDIN_SEED = 7


def _published_plan(cells_texts: dict, hidden: set, **keys):
    from analysis.disclosure.publish import PublishedPlan

    return PublishedPlan(THRESHOLD, cells_texts, frozenset(hidden), {}, {}, {}, {}, {}, **keys)


def test_a_mean_that_is_a_withheld_count_of_contacts_is_withheld():
    from analysis.disclosure.keys import PREDICTOR_CELLS
    from analysis.disclosure.publish import publish_fits

    black = PREDICTOR_CELLS["black"]
    plan = _published_plan({black: SUPPRESSED, PREDICTOR_CELLS["visible_injury"]: 18}, {black},
                           model_keys={"arrest_adj": [PREDICTOR_CELLS["visible_injury"]]})
    fits = {"arrest_adj": {"terms": ["visible_injury", "prior_calls", "black"],
                           "means": {"visible_injury": 18 / 70, "prior_calls": 2.1,
                                     "black": 37 / 70},
                           "params": [-1.23456, 0.98765, 0.123456, 0.0123456]}}
    out = publish_fits(fits, plan)["arrest_adj"]
    assert out["means"] == {"visible_injury": 18 / 70, "prior_calls": 2.1, "black": None}
    assert out["withheld_means"] == ["black"]
    # The model's own cells are shown: its coefficients at printed precision.
    assert out["params"] == [-1.23, 0.988, 0.123, 0.0123]


def test_a_curve_stops_where_published_counts_still_hold_the_threshold():
    """A count predictor's drawn range says that many contacts lie that far: no further than
    the published contacts by level show (5 of 4+ here, though 3 reached 6 earlier calls)."""
    from analysis.disclosure.keys import contacts_key
    from analysis.disclosure.publish import publish_fits

    levels = {"0": 8, "1": 18, "2": 18, "3": 14, "4+": 5}
    texts = {contacts_key("Earlier calls", lv): n for lv, n in levels.items()}
    plan = _published_plan(texts, set(), model_keys={"m": []})
    fits = {"m": {"means": {}, "reach": {"prior_calls": 6}}}
    assert publish_fits(fits, plan)["m"]["reach"] == {"prior_calls": 4}
    texts[contacts_key("Earlier calls", "4+")] = SUPPRESSED
    plan = _published_plan(texts, {contacts_key("Earlier calls", "4+")}, model_keys={"m": []})
    assert publish_fits(fits, plan)["m"]["reach"] == {"prior_calls": 3}


def test_a_model_resting_on_a_withheld_count_is_withheld():
    from analysis.disclosure.publish import publish_fits, publish_models

    plan = _published_plan({("a",): SUPPRESSED, ("b",): 12}, {("a",)},
                           model_keys={"m1": [("a",), ("b",)], "m2": [("b",)]})
    models = pd.DataFrame({"model": ["M1", "M2"], "model_id": ["m1", "m2"],
                           "outcome": "arrest", "term": "t", "odds_ratio": [1.23456, 2.34567],
                           "ci_low": 0.5, "ci_high": 3.0, "p_value": [0.01234, 0.04321],
                           "log_odds": 0.2, "se": 0.1, "rho": 0.1, "n_contacts": 70,
                           "n_survivors": 24, "estimable": True, "reason": "",
                           "statsmodels_max_abs_diff": 1e-8, "method": "GEE"})
    out = publish_models(models, plan)
    assert out["odds_ratio"].isna().tolist() == [True, False]
    assert out.loc[1, "odds_ratio"] == 2.35 and out.loc[1, "p_value"] == 0.043
    assert out.loc[0, "reason"].startswith("suppressed")
    assert out["statsmodels_max_abs_diff"].isna().all()
    fits = publish_fits({"m1": {"means": {}, "params": [0.1], "cov": [[0.01]]},
                         "m2": {"means": {}, "params": [0.123456], "cov": [[0.0123456]]}}, plan)
    assert fits["m1"]["params"] is None and fits["m1"]["estimable"] is None
    assert fits["m2"]["params"] == [0.123] and fits["m2"]["cov"] == [[0.0123]]


def test_agreement_statistics_are_withheld_with_any_count_of_their_table():
    """Whatever columns the agreement step writes, a withheld table's row keeps none of them."""
    from analysis.disclosure.publish import ALL_CODES, publish_qualitative

    agreement_keys = {c: {k: ("agreement", c, k) for k in ("both", "a_only", "b_only",
                                                           "neither")}
                      for c in ("x", "y", ALL_CODES)}
    texts = {k: 5 for keys in agreement_keys.values() for k in keys.values()}
    texts[("agreement", "y", "a_only")] = SUPPRESSED
    texts[("agreement", ALL_CODES, "b_only")] = SUPPRESSED
    texts.update({("code", "x"): 10, ("code", "y"): SUPPRESSED, ("code_b", "x"): 10,
                  ("code_b", "y"): 9})
    plan = _published_plan(texts, {k for k, v in texts.items() if v == SUPPRESSED},
                           agreement_keys=agreement_keys)
    plan = type(plan)(**{**plan.__dict__, "code_keys": {"x": ("code", "x"), "y": ("code", "y")},
                         "code_b_keys": {"x": ("code_b", "x"), "y": ("code_b", "y")}})
    per_code = pd.DataFrame({"code": ["x", "y"], "cases_a": [10, 2], "cases_b": [10, 9],
                             "a_only": [5, 1], "b_only": [5, 8], "agreement": [0.6, 0.4],
                             "kappa": [0.2, 0.1], "ac1": [0.3, 0.2], "band": ["fair", "slight"],
                             "reason": ["", ""]})
    themes = pd.DataFrame(columns=["level", "theme", "code", "cases", "share"])
    overall = {"unit": "survivor x code", "pooled_kappa": 0.5, "percent_agreement": 0.8,
               "krippendorff_alpha": 0.7, "cases": 24, "codes": 2, "pooled_ac1": 0.6,
               "pooled_kappa_low": 0.3, "by_style": {"brief": 1}}
    _, _, out, summary = publish_qualitative(themes, pd.DataFrame(), per_code, overall, plan)
    assert out.loc[0, ["agreement", "kappa", "ac1"]].tolist() == [0.6, 0.2, 0.3]
    assert out.loc[1, ["agreement", "kappa", "ac1"]].isna().all()   # a new statistic too
    assert out.loc[1, "band"] == SUPPRESSED and out.loc[1, "reason"].startswith("withheld")
    assert out["cases_a"].tolist() == [10, SUPPRESSED] and out["a_only"].tolist() == [5, SUPPRESSED]
    # The pooled table has a withheld count: no pooled statistic; unknown fields not at all,
    # and never the pooled interval (it resamples survivors with all their codes).
    assert summary["pooled_kappa"] is None and summary["percent_agreement"] is None
    assert summary["pooled_ac1"] is None and summary["krippendorff_alpha"] is None
    assert summary["cases"] == 24 and "by_style" not in summary
    assert "pooled_kappa_low" not in summary
    assert summary["pooled_counts"]["b_only"] == SUPPRESSED
    # The pooled table shown: its own statistics are published, but the pooled kappa and AC1
    # (which average each code's chance agreement) wait until no code's table has a withheld
    # count.
    texts[("agreement", ALL_CODES, "b_only")] = 5
    shown = type(plan)(**{**plan.__dict__, "texts": texts,
                          "hidden": frozenset(k for k, v in texts.items() if v == SUPPRESSED)})
    summary = publish_qualitative(themes, pd.DataFrame(), per_code, overall, shown)[3]
    assert summary["percent_agreement"] == 0.8 and summary["krippendorff_alpha"] == 0.7
    assert summary["pooled_kappa"] is None and summary["pooled_ac1"] is None
    texts[("agreement", "y", "a_only")] = 5
    texts[("code", "y")] = 10
    every = type(plan)(**{**plan.__dict__, "texts": texts, "hidden": frozenset()})
    summary = publish_qualitative(themes, pd.DataFrame(), per_code, overall, every)[3]
    assert (summary["pooled_kappa"], summary["pooled_ac1"]) == (0.5, 0.6)
    assert "pooled_kappa_low" not in summary


def test_agreement_over_excerpts_is_refused_in_a_restricted_build():
    """Counts of excerpts have no cell in the plan: publishing that measure is an error."""
    from analysis.disclosure.publish import publish_qualitative

    plan = _published_plan({}, set())
    with pytest.raises(ValueError, match="'excerpt x code' cannot be published"):
        publish_qualitative(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
                            {"unit": "excerpt x code"}, plan)


def test_a_withheld_verdict_is_recomputed_from_counts_as_the_claims_compute_it():
    """The plan's check of verdicts uses the claims' own count functions: same verdicts."""
    registry = load_registry()
    tables = read_study(ROOT / "data" / "synthetic", PLAN_TABLES)
    for entry, result in zip(registry, evaluate_claims(tables, registry), strict=True):
        counts = {lv: {f: v[f] for f in COUNT_FIELDS if v.get(f) is not None}
                  for lv, v in result["levels"].items()}
        outcome = outcomes_from_counts(entry, counts)
        for level, (verdict, direction) in outcome["levels"].items():
            if verdict is not None:
                assert verdict == result["levels"][level]["verdict"], (entry["id"], level)
                assert direction == result["levels"][level]["observed_direction"]
        verdict, observed = outcome["claim"]
        if verdict is not None:
            assert (verdict, observed) == (result["verdict"], result["observed_direction"])


# --- the plan on a stand-in ------------------------------------------------------------------

def _standin(directory: Path, seed: int = STANDIN_SEED, n: int = 24) -> dict[str, pd.DataFrame]:
    """A stand-in restricted study, without transcripts and excerpts."""
    from analysis.study.generate import generate_study

    overrides = {"seed": seed} | ({"n_participants": n} if n != 24 else {})
    config = load_config(overrides=overrides)
    tables = generate_study(config).tables
    write_package(tables, directory, config)
    for name in ("transcripts", "excerpts"):
        (directory / f"{name}.csv").unlink()
    return read_study(directory, PLAN_TABLES)


@pytest.fixture(scope="module")
def standin_tables(tmp_path_factory):
    return _standin(tmp_path_factory.mktemp("standin"))


def _has(cells: Cells, total, parts) -> bool:
    return any(t == total and set(p) == set(parts) for t, p in cells.constraints)


def test_the_plan_links_the_race_groups_of_both_contrasts(standin_tables):
    cells, _ = study_cells(standin_tables)
    black, white = ("race", "Black"), ("race", "White")
    colour, other = survivor_group_key("colour"), survivor_group_key("other")
    assert _has(cells, colour, [black, ("race", "Latina"), ("race", "Multiracial/other")])
    assert _has(cells, other, [white, ("race", "Latina"), ("race", "Multiracial/other")])
    assert _has(cells, SURVIVOR_N, [colour, white]) and _has(cells, SURVIVOR_N, [black, other])
    # Contacts: of colour + White = all contacts = Black + other, each a sum of categories.
    of_colour, white_c = contacts_key("Survivors of colour", "of colour"), contacts_key(
        "Survivors of colour", "White")
    assert _has(cells, CONTACT_N, [of_colour, white_c])
    assert _has(cells, CONTACT_N, [contacts_key("Race", "Black"), contacts_key("Race", "other")])
    assert _has(cells, of_colour, [contacts_key("Race/ethnicity", r)
                                   for r in ("Black", "Latina", "Multiracial/other")])
    # Checking on children: its own denominators, adding up over a factor's levels, and each
    # a share of the level's contacts.
    applies = "contacts with children in the home"
    levels = ("of colour", "White")
    assert _has(cells, denominator_key(ALL_CONTACTS, "all contacts", applies),
                [denominator_key("Survivors of colour", lv, applies) for lv in levels])
    for lv in levels:
        key = denominator_key("Survivors of colour", lv, applies)
        assert _has(cells, contacts_key("Survivors of colour", lv),
                    [key, ("not", key, contacts_key("Survivors of colour", lv))])


def test_every_count_of_every_claim_level_is_a_published_cell(standin_tables):
    registry = load_registry()
    cells, extra = study_cells(standin_tables, registry=registry)
    keys = extra["claim_keys"]
    results = evaluate_claims(standin_tables, registry)
    for result in results:
        assert set(keys[result["id"]]) == set(result["levels"]), result["id"]
        for level, values in result["levels"].items():
            fields = keys[result["id"]][level]["fields"]
            counts = {f for f in COUNT_FIELDS if f in values}
            assert counts <= set(fields), (result["id"], level, counts - set(fields))
            for name, key in fields.items():
                assert key in cells.published, (result["id"], level, key)
                assert cells.values[key] == values[name], (result["id"], level, name)
            assert set(keys[result["id"]][level]["cells"]) <= cells.published
    # A survivor-level race count: the groups' counts add up to one unpublished total.
    c8a, c8b = keys["C8a"]["survivor"]["fields"], keys["C8b"]["survivor"]["fields"]
    total = next(t for t, parts in cells.constraints
                 if set(parts) == {c8a["exposed_yes"], c8a["reference_yes"]})
    assert _has(cells, total, [c8b["exposed_yes"], c8b["reference_yes"]])
    assert total not in cells.published
    # Sign tests: positive + negative + tied = survivors with both kinds of contacts, which
    # for who called are the survivors with the dual pattern.
    c4 = keys["C4"]["survivor"]["fields"]
    both = next(t for t, parts in cells.constraints
                if c4["positive"] in parts and c4["negative"] in parts)
    dual = ("pattern", "All survivors", "dual")
    assert both == dual or _has(cells, dual, [both])


def test_the_plan_protects_every_small_count_and_withholds_nothing_derivable(standin_tables):
    """The plan's own audit: every small count at least the threshold wide, and no withheld
    count derivable exactly (the attack below checks it from the outside)."""
    plan = study_plan(standin_tables, THRESHOLD)
    cells, _ = study_cells(standin_tables, registry=load_registry())
    shown = {k for k in cells.published if k not in plan.suppression.status}
    small = {k for k, v in cells.values.items() if 0 < v < THRESHOLD and k not in cells.fixed}
    ranges = cells.ranges(shown, small | set(plan.suppression.status))
    assert min(ranges[k][1] - ranges[k][0] for k in small) >= THRESHOLD
    assert min(ranges[k][1] - ranges[k][0] for k in plan.suppression.status) >= 1
    assert all(plan.text(k) == SUPPRESSED for k in plan.suppression.status)


def test_the_plan_is_the_same_every_time(standin_tables):
    """Same tables, same plan: the integer programs choose nothing at random."""
    first = study_plan(standin_tables, THRESHOLD).document()
    assert json.dumps(study_plan(standin_tables, THRESHOLD).document(), sort_keys=True) == \
        json.dumps(first, sort_keys=True)


# --- restricted builds on the stand-ins (slow) ------------------------------------------------

def _build(tmp_path_factory, seed: int, n: int):
    repo = copy_repository(tmp_path_factory.mktemp(f"restricted{seed}") / "repo")
    tables = _standin(repo / "data" / "restricted", seed, n)
    result = snakemake(["--cores", "2", "--config", "data_source=restricted",
                        "robustness_replications=20"], repo, timeout=900)
    assert result.returncode == 0, result.output[-4000:]
    return repo, tables


@pytest.fixture(scope="module")
def restricted_build(tmp_path_factory):
    return _build(tmp_path_factory, *STANDINS["seed 7, 24 survivors"])


@pytest.fixture(scope="module", params=list(STANDINS))
def any_restricted_build(request, tmp_path_factory, restricted_build):
    if STANDINS[request.param] == (STANDIN_SEED, 24):
        return restricted_build
    return _build(tmp_path_factory, *STANDINS[request.param])


@pytest.mark.slow
def test_an_attacker_with_every_published_file_derives_no_withheld_count(any_restricted_build):
    """No withheld count is derivable, and no small count is narrowed below the threshold.

    The attacker (tests/disclosure/attack.py) reads the files under
    results/restricted/ and rebuilds the tables' structure from the committed
    synthetic study; the true counts come from the stand-in's own plan cells.
    """
    repo, tables = any_restricted_build
    cells, _ = study_cells(tables)
    small = [k for k, v in cells.values.items() if 0 < v < THRESHOLD and k not in cells.fixed]
    attack, know = run_attack(repo / "results" / "restricted", ROOT / "data" / "synthetic",
                              cells.values, small)
    assert know.markers and set(know.markers.values()) == {SUPPRESSED}
    assert not know.unread, know.unread   # nothing published that the attacker cannot read
    assert "agreement.csv: coefficients" in know.sources
    assert not attack.wrong()   # the attacker's model admits the true tables
    # No withheld count is derivable exactly, and no small count, withheld or never
    # published, can be narrowed to fewer than threshold + 1 values.
    assert not attack.exact(), attack.exact()
    narrow = {k: attack.ranges[k] for k in small if attack.ranges[k][1] - attack.ranges[k][0]
              < THRESHOLD}
    assert not narrow, narrow
    assert set(small) - set(cells.published) and set(small) & set(know.markers)


def _every_published_file(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file())


@pytest.mark.slow
def test_the_attacker_reads_every_kind_of_file_a_reader_receives(restricted_build):
    """Each file is read by the attacker, or is drawn only from files it reads."""
    repo, _ = restricted_build
    out = repo / "results" / "restricted"
    read = {"disclosure/plan.json", "claims.json", "qualitative/agreement.csv",
            "qualitative/agreement.json", "inference/fits.json"}
    read |= {f"tables/{p.name}" for p in (out / "tables").glob("*.csv")}
    # Drawn from files read above (through the plan's cells): the same counts again.
    same_counts = {"inference/survivor_tests.csv", "inference/power.json", "inference/models.csv",
                   "qualitative/themes.csv", "qualitative/cooccurrence.csv", "values.yml",
                   "disclosure.json"}
    # The build's RO-Crate: checksums of these files, the configuration, the jobs and a copy
    # of the workflow; no count.
    provenance = {"ro-crate-metadata.json", "README.md"}
    derived_dirs = ("tables/", "figures/", "manuscript/", "logs/", "robustness/", "simulation/",
                    "workflow/")
    for path in _every_published_file(out):
        name = path.relative_to(out).as_posix()
        assert name in read | same_counts | provenance or name.startswith(derived_dirs), name
    # Synthetic replications only in robustness/ and simulation/; logs hold no number of data.
    for log in (out / "logs").rglob("*.log"):
        text = log.read_text()
        assert not re.search(r"\b\d+ of \d+\b", text) or log.name == "publish_check.log", log


@pytest.mark.slow
def test_the_standin_has_a_small_cell(restricted_build):
    _, tables = restricted_build
    counts = tables["participants"]["race_ethnicity"].value_counts()
    assert 0 < counts["Multiracial/other"] < THRESHOLD


@pytest.mark.slow
def test_outputs_go_to_results_restricted_only(restricted_build):
    repo, _ = restricted_build
    assert sorted(p.name for p in (repo / "results").iterdir()) == ["restricted"]
    out = repo / "results" / "restricted"
    for name in ("claims.json", "values.yml", "disclosure.json", "manuscript/manuscript.html",
                 "manuscript/manuscript.pdf", "figures/code_by_case.png",
                 "robustness/summary.csv"):
        assert (out / name).is_file(), name
    assert not (out / "data").exists()
    assert not (out / "exchange").exists()
    assert not list((repo / "results").rglob("code_by_case.csv"))


@pytest.mark.slow
def test_no_file_under_results_holds_row_level_data(restricted_build):
    repo, tables = restricted_build
    ids = tables["participants"]["participant_id"].tolist()
    checked = 0
    for path in (repo / "results").rglob("*"):
        if not path.is_file() or path.suffix in (".png", ".pdf"):
            continue
        if path.suffix == ".docx":  # compressed: any short string may occur by chance
            text = docx_text(path.read_bytes())
        else:
            # Embedded images (base64) hold any short string by chance: leave them out.
            text = re.sub(r"data:[^,\"'\s]*;base64,[A-Za-z0-9+/=]+", " ",
                          path.read_text(encoding="utf-8", errors="replace"))
        found = {pid for pid in ids if re.search(rf"\b{re.escape(pid)}\b", text)}
        assert found != set(ids), path
        assert not found, (path, sorted(found))
        checked += 1
    assert checked > 50


def _published(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / "tables" / f"{name}.csv", dtype=str, keep_default_na=False)


def _row_key(frame: pd.DataFrame) -> list[tuple]:
    """What names a row of a descriptive table (its columns other than the numbers)."""
    numbers = {"successes", "n", "share", "ci_low", "ci_high", "mean", "sd", "min", "max"}
    columns = [c for c in frame.columns if c not in numbers]
    return [tuple(str(v) for v in row) for row in frame[columns].itertuples(index=False)]


@pytest.mark.slow
def test_every_count_is_shown_or_withheld_with_one_marker(restricted_build):
    repo, tables = restricted_build
    out = repo / "results" / "restricted"
    raw = all_descriptives(tables)
    small = 0
    for name, frame in raw.items():
        published = _published(out, name)
        assert sorted(_row_key(published)) == sorted(_row_key(frame)), name
        rows = dict(zip(_row_key(published), published.to_dict("records"), strict=True))
        for key, original in zip(_row_key(frame), frame.to_dict("records"), strict=True):
            for column in ("successes", "n"):
                if column not in original:
                    continue
                value, shown = int(original[column]), rows[key][column]
                if 0 < value < THRESHOLD:
                    assert shown == SUPPRESSED, (name, column, value, shown)
                    small += 1
                else:
                    assert shown in (str(value), SUPPRESSED), (name, column, value, shown)
    assert small > 0
    # Shares and intervals of a withheld count are empty.
    for name in ("practices_by", "initiation_patterns", "violence_forms"):
        published = _published(out, name)
        hidden = published["successes"] == SUPPRESSED
        assert (published.loc[hidden, ["share", "ci_low", "ci_high"]] == "").all().all()


@pytest.mark.slow
def test_sorted_tables_keep_withheld_rows_last_in_a_fixed_order(any_restricted_build):
    repo, _ = any_restricted_build
    out = repo / "results" / "restricted"
    hidden_somewhere = False
    for name in ("violence_forms", "informal_strategies"):
        frame = _published(out, name)
        hidden = (frame["successes"] == SUPPRESSED).to_numpy()
        hidden_somewhere |= bool(hidden.any())
        # Shown rows by prevalence, then every withheld row, by name (not by its count).
        assert not (np.diff(hidden.astype(int)) < 0).any(), name
        shown = frame.loc[~hidden, "successes"].astype(int).tolist()
        assert shown == sorted(shown, reverse=True), name
        assert frame.loc[hidden, "column"].tolist() == sorted(frame.loc[hidden, "column"]), name
    assert hidden_somewhere


@pytest.mark.slow
def test_sample_summaries_are_published_at_printed_precision(restricted_build):
    repo, tables = restricted_build
    sample = _published(repo / "results" / "restricted", "sample")
    contacts = tables["participants"]["n_police_contacts"]
    row = sample[sample["characteristic"] == "Police contacts described"].iloc[0]
    assert float(row["mean"]) == round(contacts.mean(), 1)
    assert float(row["sd"]) == round(contacts.std(ddof=1), 1)
    assert row["min"] == row["max"] == ""
    for _, row in sample[sample["category"] == "mean (SD)"].iterrows():
        assert len(row["mean"].split(".")[-1]) <= 1 and len(row["sd"].split(".")[-1]) <= 1


def _markdown_rows(path: Path) -> list[list[str]]:
    lines = [line for line in path.read_text().splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def _allowed_count(text: str) -> bool:
    return text == SUPPRESSED or int(text) == 0 or int(text) >= THRESHOLD


@pytest.mark.slow
def test_markdown_tables_show_no_small_count(restricted_build):
    repo, _ = restricted_build
    tables = repo / "results" / "restricted" / "tables"
    for row in _markdown_rows(tables / "sample.md"):
        if ":" in row[0]:
            assert _allowed_count(row[1]), row
    for row in _markdown_rows(tables / "agreement.md"):
        # survivors coded by A / by B / by both, as the plan shows them (no excerpt counts)
        if row[1] != SUPPRESSED:
            parts = row[1].split(" / ")
            assert len(parts) == 3, row
            if not row[0].startswith("**All codes"):
                assert all(_allowed_count(part) for part in parts), row
    for row in _markdown_rows(tables / "survivor_tests.md"):
        for cell in row[1:3]:
            # "Survivors of colour: 10/17"
            yes, n = cell.rsplit(": ", 1)[1].split("/")
            assert _allowed_count(yes) and _allowed_count(n), row
            if SUPPRESSED not in (yes, n):
                assert _allowed_count(str(int(n) - int(yes))), row
    for row in _markdown_rows(tables / "safety_change.md"):
        assert _allowed_count(row[2]), row
    assert "<3" not in "".join(p.read_text() for p in tables.glob("*.md"))


@pytest.mark.slow
def test_complementary_suppression_in_the_sample_table(restricted_build):
    repo, tables = restricted_build
    out = repo / "results" / "restricted"
    sample = _published(out, "sample")
    race = sample[sample["characteristic"] == "Race/ethnicity"].set_index("category")["n"]
    assert race["Multiracial/other"] == SUPPRESSED
    # The total (24) is published: one more race count is withheld, and looks the same.
    assert (race == SUPPRESSED).sum() >= 2
    assert (sample.loc[sample["characteristic"].str.startswith(("Age", "Police")),
                       ["min", "max"]] == "").all().all()
    markdown = (out / "tables" / "sample.md").read_text()
    assert re.search(r"Multiracial/other \| suppressed \|", markdown)


def _shown_as(value: int, shown) -> bool:
    """``value`` published as ``shown``: the marker when small, else itself or the marker."""
    if 0 < value < THRESHOLD:
        return shown == SUPPRESSED
    return shown == SUPPRESSED or (not isinstance(shown, str) and int(shown) == value) or (
        isinstance(shown, str) and shown == str(value))


def _number(text) -> bool:
    return text not in (SUPPRESSED, "", None)


@pytest.mark.slow
def test_shares_leave_no_small_complement_and_practices_no_small_rest(restricted_build):
    repo, _ = restricted_build
    out = repo / "results" / "restricted"
    for name in ("initiation_patterns", "practices_by", "arrests_by", "expected_vs_actual",
                 "violence_forms", "informal_strategies", "safety_change"):
        for _, row in _published(out, name).iterrows():
            if _number(row["successes"]) and _number(row["n"]):
                assert _allowed_count(str(int(row["n"]) - int(row["successes"]))), (name, row)
    # Checking on children is a share of the contacts with children in the home: those
    # contacts and the level's contacts leave no small rest either.
    practices = _published(out, "practices_by")
    for (factor, level), rows in practices.groupby(["factor", "level"]):
        children = rows.loc[rows["outcome"] == "practice_check_children", "n"].iloc[0]
        contacts = rows.loc[rows["outcome"] == "any_practice", "n"].iloc[0]
        assert rows.loc[rows["outcome"] == "practice_check_children", "applies_to"].iloc[0] \
            == "contacts with children in the home"
        if _number(children) and _number(contacts):
            assert _allowed_count(str(int(contacts) - int(children))), (factor, level)
    # Both race factors are published, and their levels' contacts add up to all contacts.
    factors = set(practices["factor"])
    assert {"Race", "Survivors of colour"} <= factors


@pytest.mark.slow
def test_claims_show_their_counts_as_the_plan_does_and_withhold_each_level(
        any_restricted_build):
    from analysis.disclosure.publish import PublishedPlan

    repo, tables = any_restricted_build
    out = repo / "results" / "restricted"
    published = json.loads((out / "claims.json").read_text())
    plan = PublishedPlan.read(out / "disclosure" / "plan.json")
    raw = {c["id"]: c for c in evaluate_claims(tables, load_registry())}
    withheld = outcomes_kept = 0
    for claim in published["claims"]:
        original_claim = raw[claim["id"]]
        for name, level in claim["levels"].items():
            original = original_claim["levels"][name]
            hidden = False
            for field in COUNT_FIELDS:
                if field not in original or original[field] is None:
                    continue
                shown = level[field]
                assert _shown_as(int(original[field]), shown), (claim["id"], name, field, shown)
                hidden |= shown == SUPPRESSED
            for k, n in (("successes", "n"), ("exposed_yes", "exposed_n"),
                         ("reference_yes", "reference_n")):
                if k in level and _number(level[k]) and _number(level[n]):
                    assert _allowed_count(str(int(level[n]) - int(level[k]))), (claim["id"], k)
            if hidden:
                assert level["suppressed"] is True, (claim["id"], name)
            if level["suppressed"]:
                withheld += 1
                numbers = {k: v for k, v in level.items()
                           if isinstance(v, float | dict) and k not in COUNT_FIELDS}
                assert not numbers, (claim["id"], name, numbers)
                assert level["estimate"] is None and level["p_value"] is None
                # A withheld level's verdict only where the plan found it the same for
                # every table its audit leaves possible; else withheld, like its counts.
                if "verdict" in level:
                    kept = plan.outcome_published(claim["id"], name)
                    outcomes_kept += kept
                    assert (level["verdict"] == original["verdict"]) if kept \
                        else level["verdict"] == level["observed_direction"] == SUPPRESSED
            elif "verdict" in level:
                assert level["verdict"] == original["verdict"]
        primary = claim["levels"][claim["primary_level"]]
        assert claim["suppressed"] is primary["suppressed"]
        if claim["suppressed"]:
            assert all(claim[k] is None for k in ("estimate", "ci_low", "ci_high", "p_value",
                                                  "p_value_holm", "significant"))
        if plan.outcome_published(claim["id"], "claim"):
            assert claim["verdict"] == original_claim["verdict"]
        else:
            assert claim["verdict"] == claim["observed_direction"] == SUPPRESSED
            assert claim["reproduced"] is None
        # No reason quotes a count: descriptive claims' counts are withheld.
        detail = re.search(r"\(([^()]*)\)$", claim["reason"]).group(1)
        assert not re.search(r"\d", detail), claim["reason"]
        # Published numbers at printed precision.
        for key in ("estimate", "ci_low", "ci_high"):
            if claim[key] is not None:
                assert claim[key] == round(claim[key], 2), (claim["id"], key)
    assert withheld > 0
    # Holm's adjustment uses every member of a family: withheld with any member's p-value.
    families: dict[str, list] = {}
    for claim in published["claims"]:
        if claim["family"]:
            families.setdefault(claim["family"], []).append(claim)
    for members in families.values():
        if any(c["suppressed"] for c in members):
            assert all(c["p_value_holm"] is None for c in members)
    # values.yml prints a withheld level, and a withheld Holm p-value, as suppressed.
    import yaml

    values = yaml.safe_load((out / "values.yml").read_text())
    for claim in published["claims"]:
        printed = values["claims"][claim["id"]]
        for name, level in claim["levels"].items():
            if level["suppressed"]:
                assert printed[name]["estimate"] == printed[name]["p"] == SUPPRESSED
            else:
                assert printed[name]["estimate"] != SUPPRESSED
        if claim["p_value"] is not None and claim["p_value_holm"] is None:
            assert printed["p_holm"] == SUPPRESSED
        assert printed["verdict"] == claim["verdict"]


@pytest.mark.slow
def test_survivor_tests_and_power_publish_the_claims_counts(restricted_build):
    repo, tables = restricted_build
    out = repo / "results" / "restricted"
    tests = pd.read_csv(out / "inference" / "survivor_tests.csv", dtype=str,
                        keep_default_na=False)
    claims = {c["id"]: c for c in json.loads((out / "claims.json").read_text())["claims"]}
    power = json.loads((out / "inference" / "power.json").read_text())
    sample = _published(out, "sample")
    race = sample[sample["characteristic"] == "Race/ethnicity"].set_index("category")["n"]
    counts = ("exposed_yes", "exposed_n", "reference_yes", "reference_n")
    for _, row in tests.iterrows():
        level = claims[row["claim"]]["levels"]["survivor"]
        # The same count, the same decision in every output.
        assert [row[c] for c in counts] == [str(level[c]) for c in counts], row["claim"]
        entry = power[row["contrast"]]
        assert [str(entry["n1"]), str(entry["n0"])] == [row["exposed_n"], row["reference_n"]]
        hidden = any(row[c] == SUPPRESSED for c in counts)
        assert hidden == level["suppressed"]
        if hidden:
            assert (row[["difference", "ci_low", "ci_high", "p_value", "p_holm"]] == "").all()
            assert row["reason"].startswith("suppressed")
        if (tests.loc[tests["contrast"] == row["contrast"], list(counts)]
                == SUPPRESSED).any().any():
            assert row["p_holm"] == ""
    assert set(tests["contrast"]) == set(power) == {"colour_vs_white", "black_vs_others"}
    assert str(power["black_vs_others"]["n1"]) == race["Black"]
    assert str(power["colour_vs_white"]["n0"]) == race["White"]
    participants = tables["participants"]["race_ethnicity"]
    for contrast, (n1, n0) in {"colour_vs_white": ((participants != "White").sum(),
                                                   (participants == "White").sum()),
                               "black_vs_others": ((participants == "Black").sum(),
                                                   (participants != "Black").sum())}.items():
        assert _shown_as(int(n1), power[contrast]["n1"])
        assert _shown_as(int(n0), power[contrast]["n0"])


@pytest.mark.slow
def test_fitted_models_quote_no_withheld_count_of_contacts(restricted_build, tmp_path):
    from analysis.disclosure.keys import PREDICTOR_CELLS
    from analysis.disclosure.publish import PublishedPlan
    from analysis.paper.figures.arrest import arrest_curve_caption, arrest_curves
    from analysis.paper.figures.style import restricted_mode

    repo, tables = restricted_build
    out = repo / "results" / "restricted"
    fits = json.loads((out / "inference" / "fits.json").read_text())
    texts = PublishedPlan.read(out / "disclosure" / "plan.json").texts
    n_contacts = len(tables["incidents"])
    for model, entry in fits.items():
        for predictor, mean in entry["means"].items():
            key = PREDICTOR_CELLS.get(predictor)
            if key is None or key not in texts:
                continue
            if texts[key] == SUPPRESSED:
                assert mean is None and predictor in entry["withheld_means"], (model, predictor)
            else:
                assert mean == pytest.approx(int(texts[key]) / n_contacts), (model, predictor)
    # The arrest figure still draws when a held covariate's mean is withheld.
    results = tmp_path / "results"
    (results / "inference").mkdir(parents=True)
    (results / "claims.json").write_text((out / "claims.json").read_text())
    fits["arrest_adj"]["means"]["black"] = None
    fits["arrest_adj"]["withheld_means"] = ["black"]
    (results / "inference" / "fits.json").write_text(json.dumps(fits))
    with restricted_mode(THRESHOLD):
        curves = arrest_curves(results, repo / "data" / "restricted")
        caption = arrest_curve_caption(results, repo / "data" / "restricted")
    assert curves.composition == {"black": 0.0} and curves.withheld == ("black",)
    assert "their share of contacts is suppressed" in caption


@pytest.mark.slow
def test_qualitative_outputs_are_withheld_aggregates(restricted_build):
    repo, tables = restricted_build
    out = repo / "results" / "restricted" / "qualitative"
    themes = pd.read_csv(out / "themes.csv", dtype=str, keep_default_na=False)
    agreement = pd.read_csv(out / "agreement.csv", dtype=str, keep_default_na=False)
    co = pd.read_csv(out / "cooccurrence.csv", dtype=str, keep_default_na=False)
    n = len(tables["participants"])
    counts = ["cases_a", "cases_b", "both", "a_only", "b_only", "neither"]
    for frame, columns in ((themes, ["cases"]), (agreement, counts),
                           (co, [c for c in co.columns if c != "code"])):
        for column in columns:
            for value in frame[column]:
                if value != SUPPRESSED:
                    k = int(value)
                    assert k == 0 or k >= THRESHOLD, (column, value)
                    if frame is not co:
                        assert n - k == 0 or n - k >= THRESHOLD, (column, value)
    # A code's coefficients and intervals only with every count of its 2x2 table shown, and
    # then computed from that table alone.
    hidden = agreement[counts].eq(SUPPRESSED).any(axis=1)
    assert hidden.any()
    derived = ["agreement", "kappa", "kappa_low", "kappa_high", "ac1", "ac1_low", "ac1_high"]
    assert (agreement.loc[hidden, derived] == "").all().all()
    assert (agreement.loc[hidden, "band"] == SUPPRESSED).all()
    settings = load_config()["agreement"]
    per_code, _ = case_agreement(tables, load_config()["alpha"],
                                 settings["bootstrap_replicates"], settings["bootstrap_seed"])
    for i in agreement.index[~hidden]:
        row = agreement.loc[i]
        cells = [int(row[k]) for k in ("both", "a_only", "b_only", "neither")]
        assert cells == per_code.loc[i, ["both", "a_only", "b_only", "neither"]].tolist()
        if row["kappa"]:
            assert float(row["kappa"]) == pytest.approx(cohens_kappa(two_by_two(cells),
                                                                     return_results=False))
    overall = json.loads((out / "agreement.json").read_text())
    assert not {"confusable_share", "confusable_disagreements", "by_style",
                "pooled_kappa_low", "pooled_kappa_high"} & set(overall)
    # the pooled kappa and AC1 average every code's chance agreement: withheld with any table
    assert overall["pooled_kappa"] is None and overall["pooled_ac1"] is None


@pytest.mark.slow
def test_values_and_manuscript_state_the_restricted_notice(restricted_build):
    repo, _ = restricted_build
    out = repo / "results" / "restricted"
    values = (out / "values.yml").read_text()
    assert "data_source: restricted" in values
    assert "other:\n    n: suppressed" in values   # sample.other.n
    page = (out / "manuscript" / "manuscript.html").read_text()
    assert "This build analysed restricted data" in page
    assert "Counts below 3 are withheld" in page
    assert "agreement is measured per survivor and code, not per excerpt" in page
    assert "Every number in this paper comes from synthetic data" not in page
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "restricted data" in title and "synthetic data" not in title


@pytest.mark.slow
def test_restricted_tables_hashes_are_published_only_where_configured(restricted_build):
    import yaml

    repo, _ = restricted_build
    out = repo / "results" / "restricted"
    assert load_config()["publish_restricted_hashes"] is False
    values = yaml.safe_load((out / "values.yml").read_text())
    assert set(values["hashes"]) == {"committed_match"}
    table = (out / "tables" / "hashes.md").read_text()
    assert "publish_restricted_hashes" in table
    assert not re.search(r"`[0-9a-f]{64}`", table)


@pytest.mark.slow
def test_no_excerpt_saturation_or_disagreement_table_is_published(restricted_build):
    """Restricted data have no transcripts; the saturation curve follows single interviews;
    disagreement counts have no cell in the plan: none of them is written."""
    from analysis.study.generate import generate_study

    repo, _ = restricted_build
    out = repo / "results" / "restricted"
    qualitative = out / "qualitative"
    for name in ("saturation.csv", "saturation.json", "disagreements.csv",
                 "theme_excerpts.csv", "code_by_case.csv"):
        assert not (qualitative / name).exists(), name
    # Agreement per survivor and code (the plan's tables), not per excerpt: no excerpt count,
    # no pooled interval (it resamples survivors with all their codes), no generator check.
    agreement = pd.read_csv(qualitative / "agreement.csv", dtype=str, keep_default_na=False)
    assert not {"excerpts", "excerpts_a", "excerpts_b"} & set(agreement.columns)
    overall = json.loads((qualitative / "agreement.json").read_text())
    assert overall["unit"] == "survivor x code" and "excerpts" not in overall
    assert not {"confusable_share", "confusable_disagreements", "by_style",
                "case_code_disagreements", "disagreement_rate", "pooled_kappa_low",
                "pooled_ac1_high"} & set(overall)
    # the stand-in's own excerpts (which the build never saw) appear in no output
    excerpts = generate_study(load_config(overrides={"seed": STANDIN_SEED}))["excerpts"]
    long_ones = [t for t in excerpts["text"] if len(t) > 60]
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".md", ".yml", ".csv", ".json", ".html"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not [t for t in long_ones if t in text], path
    values = (out / "values.yml").read_text()
    assert "This build analysed restricted data" in values
    assert "Not shown: restricted data have no transcripts" in (
        out / "tables" / "excerpts.md").read_text()
    assert "Not published for restricted data" in (out / "tables" / "disagreements.md").read_text()
    assert "not drawn for restricted data" in (out / "figures" / "code_saturation.yml").read_text()


@pytest.mark.slow
def test_figures_show_no_single_survivor(restricted_build):
    repo, _ = restricted_build
    figures = repo / "results" / "restricted" / "figures"
    code_by_case = (figures / "code_by_case.yml").read_text()
    assert "survivor-by-code matrix is not shown" in code_by_case
    arrest = (figures / "arrest_curve.yml").read_text()
    assert "observed contacts are not drawn" in arrest or "Not drawn for restricted" in arrest
    assert "Dots along the top edge" not in arrest
    assert "(../results/restricted/figures/code_by_case.png)" in (
        figures / "code_by_case.md").read_text()


@pytest.mark.slow
def test_the_publish_check_reports_whole_records_and_fails_at_the_threshold(restricted_build):
    from analysis.disclosure.check import closest_distances

    repo, tables = restricted_build
    report = json.loads((repo / "results" / "restricted" / "disclosure.json").read_text())
    synthetic = read_study(repo / "data" / "synthetic", list(tables)[:4])
    close = int(np.sum(closest_distances(synthetic, tables) < report["reference_distance"]))
    assert report["synthetic_records_too_close"] == close
    assert report["passed"] is True and report["threshold"] == load_config()[
        "disclosure_max_close_share"]

    def check(threshold: float) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "analysis", "publish-check", "--synthetic", "data/synthetic",
             "--restricted", "data/restricted", "--threshold", str(threshold),
             "--output", str(repo / "check.json")],
            cwd=repo, env=workflow_env(), capture_output=True, text=True, check=False)

    share = report["close_share"]
    passed = check(share + 0.01)
    assert passed.returncode == 0, passed.stderr
    failed = check(share)   # a share equal to the threshold fails (or 0 is not a threshold)
    assert failed.returncode != 0
    assert "disclosure check failed" in failed.stderr or "threshold" in failed.stderr


@pytest.mark.slow
def test_a_table_failing_its_schema_stops_the_step(tmp_path):
    repo = copy_repository(tmp_path / "repo")
    data = repo / "data" / "restricted"
    _standin(data)
    participants = pd.read_csv(data / "participants.csv", dtype=str, keep_default_na=False)
    participants.loc[3, "age"] = "17"
    participants.to_csv(data / "participants.csv", index=False)
    target = "results/restricted/tables/sample.csv"
    result = snakemake(["--cores", "1", target, "--config", "data_source=restricted"], repo,
                       timeout=300)
    assert result.returncode != 0
    # The first job that reads the tables (the disclosure plan every step uses) stops.
    log = (repo / "results" / "restricted" / "logs" / "disclosure_plan.log").read_text()
    assert "table 'participants' column 'age' row 3: fails greater_than_or_equal_to(18)" in log
    assert "17" not in log, log   # the value itself never reaches the log
    assert not (repo / target).exists()
    tables = repo / "results" / "restricted" / "tables"
    assert not tables.exists() or not list(tables.glob("*.csv"))


@pytest.mark.slow
def test_an_empty_restricted_table_names_the_table(tmp_path):
    repo = copy_repository(tmp_path / "repo")
    data = repo / "data" / "restricted"
    _standin(data)
    (data / "strategies.csv").write_text("", encoding="utf-8")
    target = "results/restricted/tables/sample.csv"
    result = snakemake(["--cores", "1", target, "--config", "data_source=restricted"], repo,
                       timeout=300)
    assert result.returncode != 0
    assert "table 'strategies' (strategies.csv) is empty" in result.output, result.output[-3000:]
    assert "No columns to parse" not in result.output
    assert not (repo / target).exists()


# --- configuration and rendering -------------------------------------------------------------

def test_rendering_against_restricted_results_stages_a_rewritten_copy(tmp_path):
    from analysis.render.engine import staged_project

    project = tmp_path / "manuscript"
    project.mkdir()
    (project / "manuscript.qmd").write_text("{{< include ../results/tables/a.md >}}\n")
    (tmp_path / "_quarto.yml").write_text("metadata-files:\n  - results/values.yml\n")
    for results in (tmp_path / "results", tmp_path / "results" / "restricted"):
        (results / "tables").mkdir(parents=True, exist_ok=True)
        (results / "tables" / "a.md").write_text(f"table of {results.name}\n")
    with staged_project(project) as same:
        assert (same / "manuscript.qmd").read_text() == (project / "manuscript.qmd").read_text()
        assert (same / "../results/tables/a.md").read_text() == "table of results\n"
    with staged_project(project, tmp_path / "results" / "restricted") as staged:
        assert not staged.is_relative_to(tmp_path)  # a private copy, not beside the source
        assert (staged.parent / "_quarto.yml").is_file()
        assert (staged / "manuscript.qmd").read_text() == (
            "{{< include ../results/restricted/tables/a.md >}}\n")
        # The staged ../results/ is the project's results folder (figure blocks name
        # ../results/restricted/figures/... themselves).
        assert (staged / "../results/restricted/tables/a.md").read_text() == (
            "table of restricted\n")
    assert not staged.exists()
    assert "../results/tables/a.md" in (project / "manuscript.qmd").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_quarto.yml", "manuscript", "results"]


def test_the_restricted_crate_holds_only_what_the_build_publishes(restricted_build):
    """results/restricted/ro-crate-metadata.json: the aggregate results with their SHA-256,
    the restricted tables by number only (no file name, row, value or, with
    publish_restricted_hashes false as by default, checksum), and the reviewer's check
    passes on the build."""
    from analysis.io import sha256
    from analysis.study.vocabulary import RESTRICTED_TABLES

    repo, tables = restricted_build
    out = repo / "results" / "restricted"
    text = (out / "ro-crate-metadata.json").read_text(encoding="utf-8")
    graph = {e["@id"]: e for e in json.loads(text)["@graph"]}
    data = [f"{name}.csv" for name in RESTRICTED_TABLES]
    digests = {sha256(repo / "data" / "restricted" / name) for name in data}
    assert load_config()["publish_restricted_hashes"] is False
    assert not [d for d in digests if d in text] and "#restricted-sha256-" not in text
    numbered = [e for i, e in graph.items() if i.startswith("#restricted-input-")]
    assert len(numbered) == len(RESTRICTED_TABLES)
    assert all("sha256" not in e and e["encodingFormat"] == "text/csv" for e in numbered)
    # no file name, path or cell of the restricted tables
    for entity in graph.values():
        for key in ("alternateName", "name"):
            assert "data/restricted" not in str(entity.get(key, "")), entity["@id"]
    assert not [i for i in graph if "data/restricted" in i]
    for name in data:  # (the committed synthetic tables, public, are named as inputs)
        assert f"data/restricted/{name}" not in text and f'"{name}"' not in text, name
    for pid in tables["participants"]["participant_id"]:
        assert not re.search(rf"\b{re.escape(pid)}\b", text), pid
    # every file in the crate is a published, aggregate output under results/restricted
    files = [e for e in graph.values() if e["@type"] == "File" and not e["@id"].startswith("#")]
    assert files and all((out / e["@id"]).is_file() for e in files)
    assert all(e["sha256"] == sha256(out / e["@id"]) for e in files)
    assert not [e["@id"] for e in files if e["@id"].startswith(("data/", "exchange/"))]
    assert "disclosure/plan.json" in graph and "disclosure.json" in graph
    assert graph["./"]["name"].endswith("(restricted data)")
    check = subprocess.run([sys.executable, "-m", "analysis", "verify-crate",
                            str(out / "ro-crate-metadata.json"), "--results", str(out),
                            "--restricted-data", "data/restricted"], cwd=repo,
                           env=workflow_env(), capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert re.fullmatch(r"(\d+) files checked against the crate: \1 same, 0 differs, 0 missing",
                        check.stdout.strip())


def test_the_restricted_crate_validates_offline_like_the_synthetic_one(restricted_build, tmp_path):
    from analysis.provenance.validate import failures, run_validator

    repo, _ = restricted_build
    report = run_validator(repo / "results" / "restricted", tmp_path)
    failed = failures(report)
    assert report["skipped_checks"] == 0
    assert [f for f in failed if f.severity == "REQUIRED"] == []
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([\w.-]+_\d+\.\d+)` \|", readme, re.M))
    assert {f.check for f in failed if f.severity == "RECOMMENDED"} == documented
