"""The synthetic interviews and the two coders (issue 20): transcripts a reader can believe
as synthetic interview data, drawn from each survivor's record, and a second coder whose
disagreements fall where coding is hard, at the configured overall rate."""

from __future__ import annotations

import copy
import re

import numpy as np
import pandas as pd
import pytest

from analysis.steps.qualitative import code_by_case
from analysis.study.datapackage import read_table
from analysis.study.generate import generate_study, stream
from analysis.study.interviews import (
    STYLES,
    answer_styles,
    code_ids,
    confusable_partners,
    disagreement_probabilities,
    interview_grammar,
    qualitative_codebook,
    second_coder,
)
from analysis.study.vocabulary import PRACTICES

HEADER = "SYNTHETIC INTERVIEW \u2014 generated, not a real person"
#: Words that have no place in calm, non-graphic synthetic interviews.
GRAPHIC = ("blood", "kill", "rape", "punch", "stab", "chok", "strangl", "beat me", "hit me",
           "bruise", "weapon", "gun", "knife")


@pytest.fixture(scope="module")
def large(config):
    """5,000 synthetic survivors with interviews (a few seconds)."""
    return generate_study({**copy.deepcopy(config), "n_participants": 5000})


# --- the transcripts ----------------------------------------------------------------


def test_every_transcript_is_marked_synthetic_and_alternates_speakers(study):
    for pid, text in zip(study["transcripts"]["participant_id"], study["transcripts"]["text"],
                         strict=True):
        lines = text.split("\n")
        assert lines[0] == HEADER
        assert pid in lines[1] and "synthetic" in lines[1]
        turns = [line.split(":", 1)[0] for line in lines[2:] if line]
        assert turns[0] == "Interviewer" and len(turns) >= 16
        assert turns == ["Interviewer", "Participant"] * (len(turns) // 2)


def test_committed_excerpts_are_mostly_distinct(repo_root):
    excerpts = read_table(repo_root / "data" / "synthetic", "excerpts")
    share = excerpts["text"].nunique() / len(excerpts)
    assert share >= 0.8, f"only {share:.1%} of {len(excerpts)} excerpts are distinct"


def test_distinct_share_holds_for_other_seeds(config):
    for seed in (1, 2, 3):
        excerpts = generate_study(config, seed=seed)["excerpts"]
        assert excerpts["text"].nunique() / len(excerpts) >= 0.8, seed


def test_lengths_vary(study):
    lengths = study["excerpts"]["text"].str.len()
    assert lengths.min() < 30 and lengths.max() > 150
    assert lengths.std() > 30
    transcripts = study["transcripts"]["text"].str.len()
    assert transcripts.max() > 1.3 * transcripts.min()


def test_nothing_graphic_and_no_template_slots_left(study):
    for text in study["transcripts"]["text"]:
        lowered = text.lower()
        assert not [w for w in GRAPHIC if w in lowered]
        assert "{" not in text and "}" not in text
        assert "  " not in text and " ." not in text and ".." not in text


def test_answers_carry_details_of_her_record(study):
    """Who called, what officers did, arrests and her own strategies come from her rows."""
    grammar = interview_grammar()["codes"]
    excerpts = study["excerpts"][study["excerpts"]["style"] == "full"]
    incidents = study["incidents"]
    strategies = study["strategies"].set_index("participant_id")
    checked = 0
    for row in excerpts.itertuples(index=False):
        own = incidents[incidents["participant_id"] == row.participant_id]
        if row.code == "external_initiated_call":
            kinds = set(own["initiator"]) - {"self"}
            phrases = [p for kind in kinds for p in grammar[row.code]["who"][kind]]
            assert any(p.lower() in row.text.lower() for p in phrases), row.excerpt_id
            checked += 1
        elif row.code == "safety_practice_received":
            keys = [k for k in PRACTICES if own[f"practice_{k}"].any()]
            phrases = [p.split("{")[0] for k in keys for p in grammar[row.code]["practice"][k]]
            assert any(p in row.text for p in phrases), row.excerpt_id
            checked += 1
        elif row.code == "informal_strategies":
            used = [k for k, v in strategies.loc[row.participant_id].items()
                    if k in grammar[row.code]["strategy"] and v == 1]
            phrases = [p for k in used for p in grammar[row.code]["strategy"][k]]
            assert not used or any(p.lower() in row.text.lower() for p in phrases), row.excerpt_id
            checked += 1
        elif row.code == "partner_arrested":
            k = int(own["arrest"].sum())
            expected = ("that time" if len(own) == 1 else "every time" if k == len(own)
                        else {1: "once", 2: "twice"}.get(k, f"{k} times"))
            assert expected.split()[0] in row.text or "three" in row.text, row.excerpt_id
            checked += 1
    assert checked > 30


def test_the_interviewer_asks_about_her_number_of_contacts(study):
    words = {1: "once", 2: "twice", 3: "three times", 4: "four times", 5: "five times",
             6: "six times"}
    asked = 0
    for pid, text in zip(study["transcripts"]["participant_id"], study["transcripts"]["text"],
                         strict=True):
        match = re.search(r"You said the police were involved ([a-z ]+)\.", text)
        if match:
            n = int(study["participants"].set_index("participant_id").loc[pid,
                                                                          "n_police_contacts"])
            assert match.group(1) == words[n]
            asked += 1
    assert asked >= 3


def test_excerpt_style_and_ambiguity_columns(study):
    excerpts = study["excerpts"]
    assert set(excerpts["style"]) == set(STYLES)
    assert excerpts["ambiguity"].between(0, 100).all()
    by_style = excerpts.groupby("style")["ambiguity"].mean()
    assert by_style["full"] < by_style["brief"] < by_style["hedged"]
    brief = excerpts.loc[excerpts["style"] == "brief", "text"].str.len().median()
    full = excerpts.loc[excerpts["style"] == "full", "text"].str.len().median()
    assert brief < full / 2


def test_many_contacts_stay_within_the_draw_budget(config):
    """Survivors with twenty contacts: the grammar's draws per survivor are budgeted."""
    changed = copy.deepcopy(config)
    changed["n_participants"] = 200
    changed["sample"]["contacts_min"] = 18
    changed["sample"]["contacts_max"] = 20
    changed["sample"]["contacts_mean"] = 19
    data = generate_study(changed)
    assert data["participants"]["n_police_contacts"].max() == 20
    assert len(data["excerpts"]) == int(data.coder_a.sum())


# --- the codebook ---------------------------------------------------------------------


def test_codebook_entries_are_complete():
    book = qualitative_codebook()
    for code in book["codes"]:
        for field in ("definition", "include", "exclude", "example", "derived_from"):
            assert str(code[field]).strip(), (code["id"], field)
    ids = set(code_ids())
    assert len(book["confusable_pairs"]) >= 4
    for pair in book["confusable_pairs"]:
        assert set(pair["codes"]) <= ids and len(set(pair["codes"])) == 2
        assert pair["why"].strip() and pair["rule"].strip()
    partners = confusable_partners()
    assert (partners == partners.T).all() and not partners.diagonal().any()


def test_codebook_table_names_the_confusable_codes(study):
    book = study["qual_codebook"].set_index("code")
    assert book.loc["safety_practice_received", "confusable_with"] == "no_safety_practice"
    assert set(book.loc["arrest_not_as_wanted", "confusable_with"].split("; ")) == {
        "partner_arrested", "no_arrest"}
    assert book.loc["treated_poorly", "confusable_with"] == "none"
    assert "no_safety_practice" in book.loc["safety_practice_received", "decision_rule"]


# --- coder B ---------------------------------------------------------------------------


def test_probabilities_sum_to_the_configured_rate(study, config):
    styles = answer_styles(study.coder_a, study["participants"], study["incidents"],
                           stream(config["seed"], "answers"))
    cells = study.coder_a.size
    for rate in (0.02, 0.08, 0.2, 0.5):
        prob = disagreement_probabilities(study.coder_a, styles.ambiguity, rate)
        assert prob.sum() == pytest.approx(rate * cells)
        assert prob.max() <= 0.9 + 1e-12 and prob.min() >= 0


def test_coder_b_departs_at_the_configured_rate_at_scale(large, config):
    rate = config["qualitative"]["coder_disagreement_rate"]
    assert abs(float((large.coder_a != large.coder_b).mean()) - rate) < 0.005


def test_disagreements_concentrate_on_confusable_pairs(large):
    """Measured: the share of B's departures on a confusable pair in play, against uniform flips.

    A cell is on a confusable pair in play when the code has a partner that coder A
    applied to the same case. Uniform flips would put the share of such cells among all
    cells there (about 0.56); coder B puts far more.
    """
    a, b = large.coder_a, large.coder_b
    in_play = (a.astype(int) @ confusable_partners().T.astype(int)) > 0
    differ = a != b
    share = differ[in_play].sum() / differ.sum()
    uniform = in_play.mean()
    assert 0.45 < uniform < 0.7
    assert share > uniform + 0.2
    # and per cell: departures are more than three times as likely in play as elsewhere
    assert differ[in_play].mean() > 3 * differ[~in_play].mean()
    # codes in no confusable pair depart least
    alone = ~confusable_partners().any(axis=0)
    assert differ[:, alone].mean() < differ[:, ~alone].mean()


def test_ambiguous_excerpts_are_coded_differently_more_often(large):
    excerpts = large["excerpts"]
    apps = large["code_applications"]
    b = apps[apps["coder"] == "B"].groupby("excerpt_id")["code"].agg(tuple)
    differ = np.array([b.get(e, ()) != (c,) for e, c in zip(excerpts["excerpt_id"],
                                                            excerpts["code"], strict=True)])
    full = (excerpts["style"] == "full").to_numpy()
    assert differ[~full].mean() > 2 * differ[full].mean()
    high = (excerpts["ambiguity"] >= 50).to_numpy()
    assert differ[high].mean() > differ[~high].mean()


def test_uniform_flips_would_not_concentrate(large):
    """The measure is not built in: uniform flips give the uniform share."""
    a = large.coder_a
    flips = np.random.default_rng(5).random(a.shape) < 0.08
    in_play = (a.astype(int) @ confusable_partners().T.astype(int)) > 0
    share = flips[in_play].sum() / flips.sum()
    assert abs(share - in_play.mean()) < 0.02


def test_coder_b_applications_match_her_matrix(large, study):
    for data in (study, large):
        matrix = code_by_case(data.tables, "B").to_numpy()
        np.testing.assert_array_equal(matrix, data.coder_b)
    apps = study["code_applications"]
    excerpts = study["excerpts"].set_index("excerpt_id")
    b = apps[apps["coder"] == "B"]
    assert b["excerpt_id"].isin(excerpts.index).all()
    # where B codes an excerpt with another code, that code is a confusable partner of its own
    partners = confusable_partners()
    index = {c: i for i, c in enumerate(code_ids())}
    other = b[b["code"] != excerpts.loc[b["excerpt_id"], "code"].to_numpy()]
    assert len(other) > 0
    for row in other.itertuples(index=False):
        own = excerpts.loc[row.excerpt_id, "code"]
        assert partners[index[own], index[row.code]], (row.excerpt_id, own, row.code)


def test_coder_rate_changes_only_coder_b(config, study):
    changed = copy.deepcopy(config)
    changed["qualitative"]["coder_disagreement_rate"] = 0.2
    other = generate_study(changed)
    for name in ("transcripts", "excerpts", "participants", "incidents"):
        pd.testing.assert_frame_equal(other[name], study[name], obj=name)
    np.testing.assert_array_equal(other.coder_a, study.coder_a)
    assert (other.coder_a != other.coder_b).mean() > (study.coder_a != study.coder_b).mean()


def test_second_coder_without_ambiguity_never_departs_on_clear_codes():
    coder_a = np.zeros((10, len(code_ids())), dtype=np.int8)
    coder_a[:, code_ids().index("treated_poorly")] = 1
    ambiguity = np.zeros(coder_a.shape)
    b = second_coder(coder_a, ambiguity, 0.01, np.random.default_rng(0))
    # only the one code has an excerpt; nothing else can be misread as anything
    assert (b[:, [j for j in range(coder_a.shape[1])
                  if j != code_ids().index("treated_poorly")]] == 0).all()


# --- the excerpts read as speech (issue 28) ----------------------------------------------

SENTENCE = re.compile(r"(?<=[.?!])\s+")
#: An auxiliary left uncontracted before "not", or another form speech contracts.
UNCONTRACTED = re.compile(r"\b(?:do|does|did|could|would|should|was|were|is|are|has|have|had|"
                          r"will)\s+not\b|\bcannot\b|\bI am\b|\bit is\b|\bthat is\b|\bI will\b",
                          re.IGNORECASE)
CONTRACTION = re.compile(r"\b\w+'(?:t|d|ll|ve|re|s|m)\b")
#: A second clause joined to a sentence: a comma or conjunction, then a new subject.
CLAUSE_JOIN = re.compile(r"(?:,|\band\b|\bbut\b|\bso\b)\s+(?:I|I'd|I'm|he|he'd|she|she'd|they|"
                         r"they'd|we|it|it'd|one of them|an officer|someone|nobody|my \w+|"
                         r"the \w+)\b")
#: At most this many clause joins in one sentence (three clauses), and this many words.
MAX_JOINS, MAX_WORDS = 2, 25
#: Codes whose excerpts say what he or the officers did to her: no hedge may touch them.
STRONG_CODES = ("ongoing_strategic_violence", "coercive_control", "harm_through_children",
                "beyond_police_capacity", "treated_poorly", "arrest_not_as_wanted",
                "safety_worse")
ACTORS = re.compile(r"\b(?:he|him|his|he'd|they|them|they'd|officers?|police)\b", re.IGNORECASE)


def _participant_speech(text: str) -> list[str]:
    return [line.split(":", 1)[1] for line in text.split("\n")
            if line.startswith("Participant:")]


def test_answers_are_written_as_speech(large):
    """No "did not" or "I am" in anything a synthetic survivor says; contractions in most
    full and hedged excerpts (brief ones are often a word or two)."""
    for text in large["transcripts"]["text"]:
        for line in _participant_speech(text):
            assert not UNCONTRACTED.search(line), line
    excerpts = large["excerpts"]
    longer = excerpts[excerpts["style"] != "brief"]["text"]
    assert longer.str.contains(CONTRACTION).mean() > 0.5
    # the hand-written parts are contracted too
    grammar = interview_grammar()
    for answer in grammar["closing_answer"]:
        assert not UNCONTRACTED.search(answer), answer


def test_a_hedge_is_a_sentence_of_its_own_never_inside_a_statement(large):
    """Every sentence of an excerpt that holds a hedge word is one of its code's hedge
    sentences, and the hedges of codes that say what he or the officers did name no actor:
    they are about naming, remembering or the question, not about whether it happened."""
    grammar = interview_grammar()
    markers = [m.lower() for m in grammar["hedge_markers"]]
    hedged = 0
    for row in large["excerpts"].itertuples(index=False):
        allowed = set(grammar["codes"][row.code]["hedge"])
        for sentence in SENTENCE.split(row.text):
            if any(m in sentence.lower() for m in markers):
                assert sentence in allowed, (row.excerpt_id, sentence)
                hedged += 1
    assert hedged > 100
    for code in STRONG_CODES:
        for hedge in grammar["codes"][code]["hedge"]:
            assert not ACTORS.search(hedge), (code, hedge)
    # every code has hedges, so no hedged answer falls back to a qualified statement
    assert all(codes["hedge"] for codes in grammar["codes"].values())


def test_no_run_on_clause_chains(large):
    """A list of what officers did, or of her own strategies, is several sentences."""
    longest = joins = 0
    for text in large["excerpts"]["text"]:
        for sentence in SENTENCE.split(text):
            longest = max(longest, len(sentence.split()))
            joins = max(joins, len(CLAUSE_JOIN.findall(sentence)))
            assert len(sentence.split()) <= MAX_WORDS, sentence
            assert len(CLAUSE_JOIN.findall(sentence)) <= MAX_JOINS, sentence
    assert longest > 12 and joins >= 1    # the checks see real sentences


def test_the_old_chains_would_fail_the_check():
    """The check is not vacuous: a chain of the kind the grammar used to write fails it."""
    chain = ("That time, they calmed everything down before anything else, one of them went "
             "through questions about how dangerous it was and they told me about the shelter "
             "and the hotline.")
    assert len(CLAUSE_JOIN.findall(chain)) > MAX_JOINS or len(chain.split()) > MAX_WORDS
    assert UNCONTRACTED.search("I did not know they were coming.")


def test_ids_say_synthetic(study):
    """Participant and excerpt ids cannot be taken for a real participant's."""
    assert study["participants"]["participant_id"].str.fullmatch(r"SYN-\d{2,}").all()
    excerpts = study["excerpts"]
    assert (excerpts["excerpt_id"].str.fullmatch(r"SYN-\d{2,}-E\d{2}")).all()
    assert (excerpts["excerpt_id"].str.rsplit("-", n=1).str[0]
            == excerpts["participant_id"]).all()
