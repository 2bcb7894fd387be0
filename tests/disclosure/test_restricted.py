"""Restricted-data mode: small-cell suppression, aggregate outputs only, the publish check.

The restricted data here are a stand-in: a synthetic study made by the
generator with another seed (7), written to ``data/restricted/`` of a scratch
copy of the repository (never to the repository itself), without transcripts
or excerpts, as real data may come. One restricted build runs on it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.config import load_config
from analysis.dev.workspace import copy_repository, snakemake, workflow_env
from analysis.disclosure.cells import Cells, suppress_frame
from analysis.disclosure.check import (
    DisclosureError,
    check_disclosure,
    quasi_identifier_match_share,
)
from analysis.disclosure.keys import (
    ALL_CONTACTS,
    CONTACT_N,
    SURVIVOR_N,
    contacts_key,
    denominator_key,
    survivor_group_key,
)
from analysis.disclosure.markers import SUPPRESSED
from analysis.disclosure.plan import COUNT_FIELDS, study_cells
from analysis.render.engine import docx_text
from analysis.steps.claims import evaluate_claims, load_registry
from analysis.steps.describe import all_descriptives
from analysis.study.datapackage import read_study, write_package
from analysis.study.vocabulary import RESTRICTED_TABLES as PLAN_TABLES

THRESHOLD = 3
SMALL = f"<{THRESHOLD}"
STANDIN_SEED = 7


# --- the suppression rules on hand-made tables ---------------------------------------------

def test_primary_and_complementary_suppression_in_a_group():
    frame = pd.DataFrame({"race": ["Black", "White", "Latina", "Multiracial/other"],
                          "n": [11, 7, 4, 2], "total": 24,
                          "share": [11 / 24, 7 / 24, 4 / 24, 2 / 24]})
    out = suppress_frame(frame, "n", THRESHOLD, total="total", groups=["total"],
                         derived=["share"])
    # 2 is small; 24 - 11 - 7 - 4 would reveal it, so the next smallest (4) goes too.
    assert out["n"].tolist() == [11, 7, SUPPRESSED, SMALL]
    assert out["share"].isna().tolist() == [False, False, True, True]
    assert out["share"].iloc[0] == pytest.approx(11 / 24)


def test_zeros_are_kept_and_two_small_cells_need_no_complement():
    frame = pd.DataFrame({"g": "a", "k": [0, 1, 2, 9, 0]})
    out = suppress_frame(frame, "k", THRESHOLD, groups=["g"])
    assert out["k"].tolist() == [0, SMALL, SMALL, 9, 0]


def test_one_small_cell_among_zeros_takes_the_smallest_non_zero_cell():
    frame = pd.DataFrame({"g": ["x"] * 4 + ["y"] * 3, "k": [0, 2, 8, 5, 6, 7, 8]})
    out = suppress_frame(frame, "k", THRESHOLD, groups=["g"])
    assert out["k"].tolist() == [0, SMALL, 8, SUPPRESSED, 6, 7, 8]


def test_proportions_suppress_a_small_complement_and_derived_values():
    frame = pd.DataFrame({"item": list("abcde"), "k": [22, 2, 0, 24, 12], "n": 24})
    frame["share"] = frame["k"] / frame["n"]
    frame["ci_low"] = frame["share"] - 0.1
    out = suppress_frame(frame, "k", THRESHOLD, total="n", derived=["share", "ci_low"])
    # 22 of 24 leaves 2: shown, 22 would reveal the small group; 0 and 24 describe nobody.
    assert out["k"].tolist() == [SUPPRESSED, SMALL, 0, 24, 12]
    assert out["share"].isna().tolist() == [True, True, False, False, False]
    assert out["ci_low"].isna().tolist() == [True, True, False, False, False]
    assert out["n"].tolist() == [24] * 5


def test_a_threshold_of_one_suppresses_nothing():
    frame = pd.DataFrame({"g": "a", "k": [1, 2, 3]})
    assert suppress_frame(frame, "k", 1, groups=["g"])["k"].tolist() == [1, 2, 3]


def test_sums_of_constraints_cannot_reveal_a_suppressed_cell():
    # a + b = 10 and b + c = 11 are published with c; then b = 11 - c and a = 10 - b:
    # suppressing a (small) must hide more than the first constraint alone suggests.
    cells = Cells()
    for key, value in (("t1", 10), ("t2", 11), ("a", 2), ("b", 8), ("c", 3)):
        cells.add(key, value, fixed=key in ("t1", "t2"))
    cells.total("t1", ["a", "b"])
    cells.total("t2", ["b", "c"])
    solved = cells.solve(THRESHOLD)
    assert solved.status["a"] == "primary"
    shown = {k for k in cells.published if k not in solved.status}
    assert "a" not in cells.determined(shown)
    assert solved.suppressed("b") and solved.suppressed("c")


def test_a_mean_that_is_a_suppressed_count_of_contacts_is_withheld():
    from analysis.disclosure.keys import PREDICTOR_CELLS
    from analysis.disclosure.publish import PublishedPlan, publish_fits

    black = PREDICTOR_CELLS["black"]
    plan = PublishedPlan(THRESHOLD, {black: SUPPRESSED, PREDICTOR_CELLS["visible_injury"]: 18},
                         frozenset({black}), {}, {}, {}, {}, {})
    fits = {"arrest_adj": {"terms": ["visible_injury", "prior_calls", "black"],
                           "means": {"visible_injury": 18 / 70, "prior_calls": 2.1,
                                     "black": 37 / 70}}}
    out = publish_fits(fits, plan)["arrest_adj"]
    assert out["means"] == {"visible_injury": 18 / 70, "prior_calls": 2.1, "black": None}
    assert out["withheld_means"] == ["black"]


# --- the publish check on hand-made tables ---------------------------------------------------

def _participants(rows):
    return pd.DataFrame(rows, columns=["age", "race_ethnicity", "children_in_home",
                                       "relationship_status"])


def test_match_share_compares_age_bands_and_the_other_quasi_identifiers():
    restricted = _participants([(19, "Black", 1, "together"), (40, "White", 0, "separated")])
    synthetic = _participants([(24, "Black", 1, "together"),     # same band 18-24: match
                               (25, "Black", 1, "together"),     # band 25-34: no match
                               (44, "White", 0, "separated"),    # same band 35-44: match
                               (40, "White", 1, "separated")])   # children differ
    assert quasi_identifier_match_share(synthetic, restricted) == pytest.approx(0.5)
    assert quasi_identifier_match_share(restricted, restricted) == 1.0


def test_check_disclosure_fails_above_the_threshold_only():
    restricted = _participants([(30, "Latina", 1, "together")])
    synthetic = _participants([(31, "Latina", 1, "together"), (60, "White", 0, "together")])
    assert check_disclosure(synthetic, restricted, 0.5)["passed"] is True
    with pytest.raises(DisclosureError, match="disclosure_max_match_share") as error:
        check_disclosure(synthetic, restricted, 0.4)
    assert error.value.report["match_share"] == pytest.approx(0.5)
    assert error.value.report["passed"] is False


# --- a restricted build ---------------------------------------------------------------------

def _standin(directory: Path) -> dict[str, pd.DataFrame]:
    """The stand-in restricted tables (seed 7), without transcripts and excerpts."""
    from analysis.study.generate import generate_study

    config = load_config(overrides={"seed": STANDIN_SEED})
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


@pytest.fixture(scope="module")
def restricted_build(tmp_path_factory):
    repo = copy_repository(tmp_path_factory.mktemp("restricted") / "repo")
    tables = _standin(repo / "data" / "restricted")
    result = snakemake(["--cores", "2", "--config", "data_source=restricted",
                        "robustness_replications=20"], repo, timeout=600)
    assert result.returncode == 0, result.output[-4000:]
    return repo, tables


def test_the_standin_has_a_small_cell(restricted_build):
    _, tables = restricted_build
    counts = tables["participants"]["race_ethnicity"].value_counts()
    assert 0 < counts["Multiracial/other"] < THRESHOLD


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


def test_every_small_count_is_shown_as_below_the_threshold(restricted_build):
    repo, tables = restricted_build
    out = repo / "results" / "restricted"
    raw = all_descriptives(tables)
    small = 0
    for name, frame in raw.items():
        published = _published(out, name)
        assert len(published) == len(frame), name
        for column in ("successes", "n"):
            if column not in frame.columns:
                continue
            for value, shown in zip(frame[column], published[column], strict=True):
                if 0 < value < THRESHOLD:
                    assert shown == SMALL, (name, column, value, shown)
                    small += 1
                elif value == 0:
                    assert shown in ("0", SUPPRESSED), (name, column, shown)
                else:
                    assert shown in (str(int(value)), SUPPRESSED), (name, column, value, shown)
    assert small > 0
    # Shares and intervals of a suppressed count are empty.
    for name in ("practices_by", "initiation_patterns", "violence_forms"):
        published = _published(out, name)
        hidden = published["successes"].isin([SMALL, SUPPRESSED])
        assert (published.loc[hidden, ["share", "ci_low", "ci_high"]] == "").all().all()


def _markdown_rows(path: Path) -> list[list[str]]:
    lines = [line for line in path.read_text().splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def _allowed_count(text: str) -> bool:
    return text in (SMALL, SUPPRESSED) or int(text) == 0 or int(text) >= THRESHOLD


def test_markdown_tables_show_no_small_count(restricted_build):
    repo, _ = restricted_build
    tables = repo / "results" / "restricted" / "tables"
    for row in _markdown_rows(tables / "sample.md"):
        if ":" in row[0]:
            assert _allowed_count(row[1]), row
    for row in _markdown_rows(tables / "agreement.md"):
        # excerpt counts have no cell in the plan (it keys survivors): none is shown
        assert row[1] == "not published", row
    for row in _markdown_rows(tables / "survivor_tests.md"):
        for cell in row[1:3]:
            # "Survivors of colour: 10/17"
            yes, n = cell.rsplit(": ", 1)[1].split("/")
            assert _allowed_count(yes) and _allowed_count(n), row
            if not {yes, n} & {SMALL, SUPPRESSED}:
                assert _allowed_count(str(int(n) - int(yes))), row
    for row in _markdown_rows(tables / "safety_change.md"):
        assert _allowed_count(row[2]), row


def test_complementary_suppression_in_the_sample_table(restricted_build):
    repo, tables = restricted_build
    out = repo / "results" / "restricted"
    sample = _published(out, "sample")
    race = sample[sample["characteristic"] == "Race/ethnicity"].set_index("category")["n"]
    assert race["Multiracial/other"] == SMALL
    # The total (24) is published: one more race count is suppressed.
    assert (race == SUPPRESSED).sum() >= 1
    assert (sample.loc[sample["characteristic"].str.startswith(("Age", "Police")),
                       ["min", "max"]] == "").all().all()
    markdown = (out / "tables" / "sample.md").read_text()
    assert re.search(r"Multiracial/other \| <3 \|", markdown)
    assert "Latina" in markdown and SUPPRESSED in markdown


def _shown_as(value: int, shown) -> bool:
    """``value`` published as ``shown``: its marker when small, else itself or suppressed."""
    if 0 < value < THRESHOLD:
        return shown == SMALL
    return shown == SUPPRESSED or (not isinstance(shown, str) and int(shown) == value) or (
        isinstance(shown, str) and shown == str(value))


def _number(text) -> bool:
    return text not in (SMALL, SUPPRESSED, "", None)


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


def test_claims_show_their_counts_as_the_plan_does_and_withhold_each_level(restricted_build):
    repo, tables = restricted_build
    published = json.loads((repo / "results" / "restricted" / "claims.json").read_text())
    raw = {c["id"]: c for c in evaluate_claims(tables, load_registry())}
    small = withheld = 0
    for claim in published["claims"]:
        assert claim["verdict"] == raw[claim["id"]]["verdict"]
        for name, level in claim["levels"].items():
            original = raw[claim["id"]]["levels"][name]
            hidden = False
            for field in COUNT_FIELDS:
                if field not in original or original[field] is None:
                    continue
                shown = level[field]
                assert _shown_as(int(original[field]), shown), (claim["id"], name, field, shown)
                small += shown == SMALL
                hidden |= shown in (SMALL, SUPPRESSED)
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
        primary = claim["levels"][claim["primary_level"]]
        assert claim["suppressed"] is primary["suppressed"]
        if claim["suppressed"]:
            assert all(claim[k] is None for k in ("estimate", "ci_low", "ci_high", "p_value",
                                                  "p_value_holm", "significant"))
        # No reason quotes a count: descriptive claims' counts are withheld.
        detail = re.search(r"\(([^()]*)\)$", claim["reason"]).group(1)
        assert not re.search(r"\d", detail), claim["reason"]
    assert small > 0 and withheld > 0
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

    values = yaml.safe_load((repo / "results" / "restricted" / "values.yml").read_text())
    for claim in published["claims"]:
        printed = values["claims"][claim["id"]]
        for name, level in claim["levels"].items():
            if level["suppressed"]:
                assert printed[name]["estimate"] == printed[name]["p"] == SUPPRESSED
            else:
                assert printed[name]["estimate"] != SUPPRESSED
        if claim["p_value"] is not None and claim["p_value_holm"] is None:
            assert printed["p_holm"] == SUPPRESSED


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
        hidden = any(row[c] in (SMALL, SUPPRESSED) for c in counts)
        assert hidden == level["suppressed"]
        if hidden:
            assert (row[["difference", "ci_low", "ci_high", "p_value", "p_holm"]] == "").all()
            assert row["reason"].startswith("suppressed")
        if (tests.loc[tests["contrast"] == row["contrast"], list(counts)]
                .isin([SMALL, SUPPRESSED]).any().any()):
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


def test_fitted_models_quote_no_suppressed_count_of_contacts(restricted_build, tmp_path):
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
            if texts[key] in (SMALL, SUPPRESSED):
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


def test_qualitative_outputs_are_suppressed_aggregates(restricted_build):
    repo, tables = restricted_build
    out = repo / "results" / "restricted" / "qualitative"
    themes = pd.read_csv(out / "themes.csv", dtype=str, keep_default_na=False)
    agreement = pd.read_csv(out / "agreement.csv", dtype=str, keep_default_na=False)
    co = pd.read_csv(out / "cooccurrence.csv", dtype=str, keep_default_na=False)
    n = len(tables["participants"])
    for frame, columns in ((themes, ["cases"]), (agreement, ["cases_a", "cases_b"]),
                           (co, [c for c in co.columns if c != "code"])):
        for column in columns:
            for value in frame[column]:
                if value not in (SMALL, SUPPRESSED):
                    k = int(value)
                    assert k == 0 or k >= THRESHOLD, (column, value)
                    if frame is not co:
                        assert n - k == 0 or n - k >= THRESHOLD, (column, value)
    hidden = agreement["cases_a"].isin([SMALL, SUPPRESSED])
    assert (agreement.loc[hidden, "kappa"] == "").all()


def test_no_suppressed_cell_follows_from_the_published_ones(restricted_build):
    _, tables = restricted_build
    cells, _ = study_cells(tables)
    solved = cells.solve(THRESHOLD)
    shown = {k for k in cells.published if k not in solved.status}
    protected = set(solved.status) | {k for k, v in cells.values.items()
                                      if 0 < v < THRESHOLD and k not in cells.fixed}
    assert not protected & set(cells.determined(shown))


def test_values_and_manuscript_state_the_restricted_notice(restricted_build):
    repo, _ = restricted_build
    out = repo / "results" / "restricted"
    values = (out / "values.yml").read_text()
    assert "data_source: restricted" in values
    assert "other:\n    n: <3" in values   # sample.other.n
    page = (out / "manuscript" / "manuscript.html").read_text()
    assert "This build analysed restricted data" in page
    assert "Counts below 3 are suppressed" in page
    assert "Every number in this paper comes from synthetic data" not in page


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
    agreement = pd.read_csv(qualitative / "agreement.csv", dtype=str, keep_default_na=False)
    assert not {"excerpts", "excerpts_a", "excerpts_b", "both", "a_only", "b_only",
                "neither"} & set(agreement.columns)
    hidden = agreement["cases_a"].isin([SMALL, SUPPRESSED])
    assert (agreement.loc[hidden, ["kappa", "kappa_low", "kappa_high", "ac1", "ac1_low",
                                   "ac1_high"]] == "").all().all()
    # the agreement measure still works there: per excerpt and code, from the applications
    shown = agreement[~(hidden | agreement["cases_b"].isin([SMALL, SUPPRESSED]))]
    assert len(shown) and (shown["ac1"] != "").all()
    overall = json.loads((qualitative / "agreement.json").read_text())
    assert overall["unit"] == "excerpt x code" and overall["pooled_ac1"] is not None
    assert not {"confusable_share", "confusable_disagreements", "by_style",
                "case_code_disagreements", "disagreement_rate"} & set(overall)
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


def test_figures_show_no_single_survivor(restricted_build):
    repo, _ = restricted_build
    figures = repo / "results" / "restricted" / "figures"
    code_by_case = (figures / "code_by_case.yml").read_text()
    assert "survivor-by-code matrix is not shown" in code_by_case
    arrest = (figures / "arrest_curve.yml").read_text()
    assert "observed contacts are not drawn" in arrest
    assert "Dots along the top edge" not in arrest
    assert "(../results/restricted/figures/code_by_case.png)" in (
        figures / "code_by_case.md").read_text()


def test_the_publish_check_reports_a_match_share_and_fails_above_a_threshold(restricted_build):
    repo, tables = restricted_build
    report = json.loads((repo / "results" / "restricted" / "disclosure.json").read_text())
    synthetic = read_study(repo / "data" / "synthetic", ["participants"])["participants"]
    share = quasi_identifier_match_share(synthetic, tables["participants"])
    assert report["match_share"] == pytest.approx(share)
    assert report["passed"] is True and report["threshold"] == 0.5
    assert 0 < share <= 0.5

    def check(threshold: float) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "analysis", "publish-check", "--synthetic", "data/synthetic",
             "--restricted", "data/restricted", "--threshold", str(threshold),
             "--output", str(repo / "check.json")],
            cwd=repo, env=workflow_env(), capture_output=True, text=True, check=False)

    passed = check(round(share, 4) + 0.01)
    assert passed.returncode == 0, passed.stderr
    failed = check(round(share, 4) - 0.01)
    assert failed.returncode == 1
    assert "disclosure check failed" in failed.stderr
    assert json.loads((repo / "check.json").read_text())["passed"] is False


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

@pytest.mark.parametrize("value", [-0.1, 1.5, "half"])
def test_the_disclosure_threshold_must_be_a_share(value):
    from analysis.config import ConfigError

    with pytest.raises(ConfigError, match="disclosure_max_match_share"):
        load_config(overrides={"disclosure_max_match_share": value})


def test_the_default_disclosure_threshold_is_one_half():
    assert load_config()["disclosure_max_match_share"] == 0.5


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
    the restricted tables by hash only (no file name, no row, no value), and the reviewer's
    check inside the secure environment matches them by content."""
    from analysis.io import sha256
    from analysis.study.vocabulary import RESTRICTED_TABLES

    repo, tables = restricted_build
    out = repo / "results" / "restricted"
    text = (out / "ro-crate-metadata.json").read_text(encoding="utf-8")
    graph = {e["@id"]: e for e in json.loads(text)["@graph"]}
    data = [f"{name}.csv" for name in RESTRICTED_TABLES]
    digests = {sha256(repo / "data" / "restricted" / name) for name in data}
    hashed = {i.removeprefix("#restricted-sha256-") for i in graph
              if i.startswith("#restricted-sha256-")}
    assert hashed == digests and len(hashed) == len(RESTRICTED_TABLES)
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
