"""Each variable declared once: its derivations, its labels and the facts written from it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.config import load_config, scenario_config
from analysis.study.arrays import StudyArrays
from analysis.study.batch import generate_batch, replication_rng
from analysis.study.generate import generate_study
from analysis.study.interviews import qualitative_codebook
from analysis.study.schemas import VARIABLES
from analysis.study.variables import (
    ANY_PRACTICE_MEANING,
    CONTACT_VARIABLES,
    CONTRASTS,
    EXTRA_COVARIATES,
    OUTCOMES,
    PREDICTORS,
    SURVIVOR_INDICATORS,
    WITHIN,
)
from analysis.study.vocabulary import PRACTICE_COLUMNS, PRACTICES, number_word


@pytest.fixture(scope="module")
def tables():
    return generate_study(load_config(), interviews=False, coding=False).tables


def test_each_column_is_what_the_tables_say(tables):
    """Every contact variable recomputed from the CSV columns with pandas."""
    study = StudyArrays.from_tables(tables)
    incidents = tables["incidents"].merge(tables["participants"], on="participant_id",
                                          how="left", validate="many_to_one")
    expected = {
        "external_initiation": incidents["initiator"] != "self",
        "self_initiated": incidents["initiator"] == "self",
        "visible_injury": incidents["visible_injury"],
        "prior_calls": incidents["prior_calls"],
        "black": incidents["race_ethnicity"] == "Black",
        "any_practice": incidents["any_practice"],
        "arrest": incidents["arrest"],
        "outcome_as_wanted": incidents["arrest"] == incidents["wanted_arrest"],
        "treated_poorly": incidents["treated_poorly"],
        "children_in_home": incidents["children_in_home"],
    }
    assert set(expected) == set(CONTACT_VARIABLES)
    columns = {**study.outcomes, **study.predictors}
    for name, values in expected.items():
        np.testing.assert_array_equal(columns[name], values.to_numpy(dtype=float), err_msg=name)
    violence = tables["violence"].set_index("participant_id")
    np.testing.assert_array_equal(study.indicators["beyond_police_capacity"],
                                  violence.loc[tables["participants"]["participant_id"],
                                               "beyond_police_capacity"])
    assert (study.indicators["any_strategy"] == (tables["strategies"]["n_strategies"] > 0)).all()


def test_a_batch_derives_the_same_columns_as_the_tables_would():
    """Batched values per contact, and per study the one-study arrays, from one declaration."""
    config, multiplier = scenario_config(load_config(), "published")
    batch = generate_batch(config, multiplier, 24, [replication_rng(5, (1,), r) for r in range(4)])
    for name, variable in CONTACT_VARIABLES.items():
        values = np.asarray(variable.many(batch), dtype=float)
        assert values.shape == batch.cluster.shape, name
        study = batch.study_arrays(2)
        column = {**study.outcomes, **study.predictors}[name]
        np.testing.assert_array_equal(column, values[batch.study == 2], err_msg=name)
    black = batch.race_labels[batch.cluster] == "Black"
    np.testing.assert_array_equal(CONTACT_VARIABLES["black"].many(batch), black)
    for name, indicator in SURVIVOR_INDICATORS.items():
        assert np.asarray(indicator.many(batch)).shape == (batch.B * batch.n,), name


def test_every_outcome_and_predictor_is_named_where_it_is_shown():
    for name in OUTCOMES:
        assert CONTACT_VARIABLES[name].outcome, name
    for name in PREDICTORS:
        assert CONTACT_VARIABLES[name].term, name
    for name in WITHIN:
        assert CONTACT_VARIABLES[name].exposure, name
    for name in EXTRA_COVARIATES:
        variable = CONTACT_VARIABLES[name]
        assert variable.term_words and variable.contacts_words and variable.cell, name


def test_each_disclosure_cell_is_a_level_of_the_describe_tables(tables):
    """The cell a variable names is where the describe tables count its contacts."""
    from analysis.steps.describe import all_descriptives

    frames = all_descriptives(tables)
    levels = pd.concat([frames[n] for n in ("practices_by", "arrests_by", "safety_change")])
    pairs = set(zip(levels["factor"], levels["level"], strict=True))
    applies = set(frames["practices_by"]["applies_to"])
    for name, variable in CONTACT_VARIABLES.items():
        if variable.cell is None:
            continue
        factor, level = variable.cell
        assert (level in applies) if factor == "applies" else ((factor, level) in pairs), name
    for contrast in CONTRASTS.values():
        factor, exposed, reference = contrast.levels
        assert {(factor, exposed), (factor, reference)} <= pairs


def test_any_practice_is_at_least_one_of_every_practice(tables):
    incidents = tables["incidents"]
    assert (incidents["any_practice"] == incidents[list(PRACTICE_COLUMNS)].max(axis=1)).all()
    meaning = {v.name: v.meaning for v in VARIABLES["incidents"]}["any_practice"]
    assert meaning == ANY_PRACTICE_MEANING
    assert f"the {number_word(len(PRACTICES))} safety practices" in meaning
    book = {c["id"]: c for c in qualitative_codebook()["codes"]}
    assert f"the {number_word(len(PRACTICES))} police safety practices" in book[
        "safety_practice_received"]["include"]
    assert not any("{" in str(value) for code in book.values() for value in code.values())
