"""The analysis's variables, each declared once: outcomes, predictors, contrasts, summaries.

A *contact variable* is a 0/1 (or count) column with one value per police
contact: an outcome of a claim or a model, a predictor (a term of a clustered
model), or both. Its declaration says how its column is derived, from the
study tables of one study (:attr:`ContactVariable.one`, read by
:meth:`analysis.study.arrays.StudyArrays.from_tables`) and from the arrays of
a batch of generated studies (:attr:`ContactVariable.many`, read by
:meth:`analysis.study.batch.StudyBatch.study_arrays` and the batched claims),
how tables, figures and text name it, which cell of the describe tables counts
its contacts (the disclosure key of a restricted build), whether it varies
between the contacts of one survivor, and whether the configuration may add it
to the arrest model (``arrest_model_extra_covariates``; the schema's enum is
tested against :data:`EXTRA_COVARIATES`).

A *survivor indicator* is a 0/1 value per survivor that a share claim counts,
among the survivors its declaration names. A *contrast* compares two groups of
survivors (the race claims); a *summary* turns a contact-level outcome into a
survivor-level one. Everything that names, derives or counts one of these
reads it from here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis.study.vocabulary import PRACTICES, RACE_CATEGORIES, REFERENCE_RACE, number_word

if TYPE_CHECKING:
    from analysis.study.batch import StudyBatch


class StudyTables:
    """One study's tables as contact-level columns: what :attr:`ContactVariable.one` reads.

    ``contact(column)`` is a column of the incidents table; ``survivor(column)``
    a column of the participants table, repeated for each of her contacts.
    """

    def __init__(self, tables: Mapping[str, pd.DataFrame]) -> None:
        self.participants = tables["participants"]
        self.incidents = tables["incidents"]
        ids = pd.Index(self.participants["participant_id"])
        #: Per contact, its survivor's row in the participants table.
        self.cluster = ids.get_indexer(self.incidents["participant_id"])

    def contact(self, column: str) -> np.ndarray:
        return self.incidents[column].to_numpy()

    def survivor(self, column: str) -> np.ndarray:
        return self.participants[column].to_numpy()[self.cluster]


@dataclass(frozen=True)
class ContactVariable:
    """One contact-level variable of the analysis.

    Attributes
    ----------
    name
        Its name everywhere: registry entries (``outcome``, ``exposure``),
        model specifications, result files.
    one, many
        Its values per contact, from one study's tables (:class:`StudyTables`)
        and from a batch of generated studies (every contact of every study).
    outcome
        As an outcome, the heading figures give it ("Partner arrested"); None
        if it is not an outcome.
    outcome_words
        As an outcome, what a survivor with it did or met, in running text
        ("saw her partner arrested").
    term
        As a predictor, its row in the model table ("Visible injury"); None if
        it is not a predictor.
    term_words
        As a predictor, the covariate in running text ("being a Black survivor").
    contacts_words
        The contacts where it holds, in running text ("with Black survivors").
    exposure
        As the exposure of a within-survivor association, how a claim label
        ends ("Partner arrested, by *earlier calls*").
    within
        Whether it varies between the contacts of one survivor (a survivor-level
        sign test can compare her contacts).
    cell
        The describe tables' (factor, level) that counts the contacts where it
        is 1, or ("applies", what) for contacts a practice applies to: the
        restricted build's disclosure key of its count.
    extra_covariate
        Whether ``arrest_model_extra_covariates`` may add it to the arrest model.
    """

    name: str
    one: Callable[[StudyTables], np.ndarray]
    many: Callable[[StudyBatch], np.ndarray]
    outcome: str | None = None
    outcome_words: str | None = None
    term: str | None = None
    term_words: str | None = None
    contacts_words: str | None = None
    exposure: str | None = None
    within: bool = False
    cell: tuple[str, str] | None = None
    extra_covariate: bool = False


#: Every contact variable, declared once (outcomes and predictors in this order).
CONTACT_VARIABLES: dict[str, ContactVariable] = {v.name: v for v in (
    ContactVariable(
        "external_initiation",
        one=lambda t: t.contact("initiator") != "self",
        many=lambda b: b.self_initiated == 0,
        term="Someone else called (vs survivor)", term_words="someone else calling",
        contacts_words="that someone else initiated", exposure="who called", within=True,
        cell=("Who initiated", "external"), extra_covariate=True),
    ContactVariable(
        "self_initiated",
        one=lambda t: t.contact("initiator") == "self",
        many=lambda b: b.self_initiated,
        outcome="Called police herself", outcome_words="called police herself",
        cell=("Who initiated", "self")),
    ContactVariable(
        "visible_injury",
        one=lambda t: t.contact("visible_injury"),
        many=lambda b: b.visible_injury,
        term="Visible injury", exposure="visible injury", within=True,
        cell=("Visible injury", "visible injury")),
    ContactVariable(
        "prior_calls",
        one=lambda t: t.contact("prior_calls"),
        many=lambda b: b.prior_calls,
        term="Each earlier call", exposure="earlier calls", within=True),
    ContactVariable(
        "black",
        one=lambda t: t.survivor("race_ethnicity") == "Black",
        many=lambda b: b.race_labels[b.cluster] == "Black",
        term="Black survivor (vs other)", term_words="being a Black survivor",
        contacts_words="with Black survivors", cell=("Race", "Black")),
    ContactVariable(
        "any_practice",
        one=lambda t: t.contact("any_practice"),
        many=lambda b: b.any_practice,
        outcome="Officers used a safety practice", outcome_words="had a safety practice"),
    ContactVariable(
        "arrest",
        one=lambda t: t.contact("arrest"),
        many=lambda b: b.arrest,
        outcome="Partner arrested", outcome_words="saw her partner arrested"),
    ContactVariable(
        "outcome_as_wanted",
        one=lambda t: t.contact("outcome_as_wanted"),
        many=lambda b: b.arrest == b.wanted_arrest,
        outcome="Arrest outcome as she wanted",
        outcome_words="got the arrest outcome she wanted",
        cell=("Arrest outcome", "outcome as wanted")),
    ContactVariable(
        "treated_poorly",
        one=lambda t: t.contact("treated_poorly"),
        many=lambda b: b.treated_poorly,
        outcome="Treated poorly by officers", term="Treated poorly",
        term_words="being treated poorly", contacts_words="where she was treated poorly",
        cell=("Treatment by officers", "treated poorly"), extra_covariate=True),
    ContactVariable(
        "children_in_home",
        one=lambda t: t.survivor("children_in_home"),
        many=lambda b: b.children[b.cluster],
        term="Children in the home", term_words="children in the home",
        contacts_words="with children in the home",
        cell=("applies", "contacts with children in the home"), extra_covariate=True),
)}
#: Contact-level 0/1 outcomes a claim or a model may use.
OUTCOMES: tuple[str, ...] = tuple(n for n, v in CONTACT_VARIABLES.items() if v.outcome)
#: Contact-level predictors a clustered model may use.
PREDICTORS: tuple[str, ...] = tuple(n for n, v in CONTACT_VARIABLES.items() if v.term)
#: Predictors that vary between one survivor's contacts (within-survivor associations).
WITHIN: tuple[str, ...] = tuple(n for n in PREDICTORS if CONTACT_VARIABLES[n].within)
#: What ``arrest_model_extra_covariates`` may name (the schema's enum must equal it).
EXTRA_COVARIATES: tuple[str, ...] = tuple(
    n for n in PREDICTORS if CONTACT_VARIABLES[n].extra_covariate)


def contact_columns(names: tuple[str, ...] | list[str],
                    values: Callable[[ContactVariable], np.ndarray]) -> dict[str, np.ndarray]:
    """The named contact variables as float columns, each from ``values(variable)``."""
    return {name: np.asarray(values(CONTACT_VARIABLES[name]), dtype=float) for name in names}


#: The practices counted by ``any_practice``, in words (codebook, exports, figures).
ANY_PRACTICE_MEANING = (f"At least one of the {number_word(len(PRACTICES))} safety practices "
                        "reported")


# --- survivor indicators ----------------------------------------------------------------------


@dataclass(frozen=True)
class SurvivorIndicator:
    """A 0/1 value per survivor that a share claim counts.

    Attributes
    ----------
    name
        The registry's name for it (``column`` of a share claim).
    one, many
        Per survivor, from one study's tables (participants-table order) and
        from a batch (every survivor of every study).
    among
        Which survivors the share is of: None for all of them, or the words of
        :data:`AMONG` naming the survivors it applies to.
    """

    name: str
    one: Callable[[Mapping[str, pd.DataFrame], pd.Index], np.ndarray]
    many: Callable[[StudyBatch], np.ndarray]
    among: str | None = None

    def among_mask(self, n_contacts: np.ndarray) -> np.ndarray:
        """Per survivor (her number of police contacts): whether the share is of her."""
        if self.among is None:
            return np.ones(np.shape(n_contacts), dtype=bool)
        return AMONG[self.among](np.asarray(n_contacts))


#: The survivors a share may be restricted to, by their number of police contacts.
AMONG: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "with police contact": lambda contacts: contacts > 0,
}


def _by_survivor(table: str, column: str) -> Callable[[Mapping[str, pd.DataFrame], pd.Index],
                                                         np.ndarray]:
    def values(tables: Mapping[str, pd.DataFrame], ids: pd.Index) -> np.ndarray:
        return tables[table].set_index("participant_id").reindex(ids)[column].to_numpy()
    return values


#: Every survivor indicator a claim counts.
SURVIVOR_INDICATORS: dict[str, SurvivorIndicator] = {v.name: v for v in (
    SurvivorIndicator("ongoing_strategic", _by_survivor("violence", "ongoing_strategic"),
                      lambda b: b.ongoing),
    # Whether the harm reached beyond what police could address: asked of survivors with
    # police contact.
    SurvivorIndicator("beyond_police_capacity", _by_survivor("violence", "beyond_police_capacity"),
                      lambda b: b.beyond, among="with police contact"),
    SurvivorIndicator("any_strategy",
                      lambda t, ids: _by_survivor("strategies", "n_strategies")(t, ids) > 0,
                      lambda b: b.any_strategy),
)}


# --- contrasts and summaries ------------------------------------------------------------------


@dataclass(frozen=True)
class Contrast:
    """Two groups of survivors a race claim compares: exposed versus reference.

    Attributes
    ----------
    name
        The registry's name (``contrast``).
    exposed, reference
        The race/ethnicity categories of each group.
    description
        The comparison in running text.
    label
        The comparison in a figure's row label.
    groups
        The two groups in running text (figures).
    headings
        The two groups as table headings.
    levels
        The describe tables' factor and its (exposed, reference) levels: where
        the contrast's contacts are counted (the disclosure keys).
    """

    name: str
    exposed: tuple[str, ...]
    reference: tuple[str, ...]
    description: str
    label: str
    groups: tuple[str, str]
    headings: tuple[str, str]
    levels: tuple[str, str, str]

    def masks(self, race: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per survivor (race/ethnicity labels): (exposed, reference) masks."""
        return np.isin(race, self.exposed), np.isin(race, self.reference)


_COLOUR = tuple(r for r in RACE_CATEGORIES if r != REFERENCE_RACE)
#: The survivor-level contrasts of the race claims.
CONTRASTS: dict[str, Contrast] = {c.name: c for c in (
    Contrast("colour_vs_white", _COLOUR, (REFERENCE_RACE,),
             "survivors of colour versus White survivors", "survivors of colour vs White",
             ("survivors of colour", "White survivors"),
             ("Survivors of colour", "White survivors"),
             ("Survivors of colour", "of colour", REFERENCE_RACE)),
    Contrast("black_vs_others", ("Black",), tuple(r for r in RACE_CATEGORIES if r != "Black"),
             "Black survivors versus all other survivors", "Black survivors vs all others",
             ("Black survivors", "all other survivors"),
             ("Black survivors", "All other survivors"),
             ("Race", "Black", "other")),
)}


@dataclass(frozen=True)
class Summary:
    """How a contact-level 0/1 outcome becomes one value per survivor.

    ``holds(counts, contacts)`` takes her number of contacts with the outcome
    and her number of contacts; ``words`` ends a sentence about a survivor
    ("saw her partner arrested *at least once*"), ``of_contacts`` names her
    contacts ("at *least one of her contacts*").
    """

    name: str
    holds: Callable[[np.ndarray, np.ndarray], np.ndarray]
    words: str
    of_contacts: str


#: At least one of her contacts, most of them (more than half), or all of them.
SUMMARIES: dict[str, Summary] = {s.name: s for s in (
    Summary("ever", lambda k, m: k > 0, "at least once", "at least one of her contacts"),
    Summary("most", lambda k, m: 2 * k > m, "at most of her contacts",
            "most (more than half) of her contacts"),
    Summary("always", lambda k, m: (k == m) & (m > 0), "at every contact",
            "all of her contacts"),
)}


def summarise(counts: np.ndarray, contacts: np.ndarray, how: str) -> np.ndarray:
    """Per survivor: her number of contacts with the outcome, summarised (:data:`SUMMARIES`)."""
    if how not in SUMMARIES:
        raise ValueError(f"unknown survivor summary '{how}'; allowed: {', '.join(SUMMARIES)}")
    return SUMMARIES[how].holds(counts, contacts)


__all__ = ["AMONG", "ANY_PRACTICE_MEANING", "CONTACT_VARIABLES", "CONTRASTS", "EXTRA_COVARIATES",
           "OUTCOMES", "PREDICTORS", "SUMMARIES", "SURVIVOR_INDICATORS", "WITHIN",
           "ContactVariable", "Contrast", "StudyTables", "Summary", "SurvivorIndicator",
           "contact_columns", "summarise"]
