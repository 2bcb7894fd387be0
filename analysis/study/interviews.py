"""The qualitative layer of the synthetic study: codes, interviews, excerpts, two coders.

Every text here is synthetic, written by rules from the phrase grammar of
``resources/interview_grammar.yaml`` and each synthetic survivor's own record;
none is a quotation from anyone, and every transcript says so in its first line.

The layer has four parts, each a pure function of the tables and its own
random stream:

1. **Coder A** (:func:`code_presence`) applies each code of the codebook
   (``resources/qualitative_codebook.yaml``) to a case exactly when the case's
   synthetic record contains what the code describes (the code's
   ``derived_from`` rule).
2. **How each answer is given** (:func:`answer_styles`): for every case and
   code, the answer is ``full``, ``brief`` or ``hedged``, and gets an
   *ambiguity score* in [0, 1]: brief and hedged answers score higher, and so
   does an answer about one code of a *confusable pair* (named in the
   codebook) when the case also has the other code, because it then has to
   describe both (a practice at one contact and none at another), and an
   answer about who called when a neighbour made a call (she may have asked
   for it, which the codebook counts as her own call).
3. **Coder B** (:func:`second_coder`) codes the same excerpts and departs from
   coder A where coding is hard: she may miss a code on its excerpt, more
   likely the more ambiguous the excerpt, or apply the other code of a
   confusable pair to it. The configured
   ``qualitative.coder_disagreement_rate`` is kept as the *expected* share of
   case-code cells on which the coders differ; how it is allocated is
   described in :func:`disagreement_probabilities`.
4. **The interviews** (:func:`write_interviews`): one transcript per survivor,
   interviewer prompts and her answers, with one excerpt per code coder A
   applied, written from the grammar with details of her own record, in time
   linear in the number of survivors and contacts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.io import load_yaml
from analysis.study.vocabulary import PRACTICES, STRATEGIES, number_word, slug

RESOURCES = Path(__file__).resolve().parent / "resources"

#: Answer styles, in the order of their integer codes.
STYLES: tuple[str, ...] = ("full", "brief", "hedged")
#: Base ambiguity of an answer by style: a brief or hedged answer leaves a coder more doubt.
STYLE_AMBIGUITY: dict[str, float] = {"full": 0.0, "brief": 0.3, "hedged": 0.4}
#: Added when the case also has the other code of a confusable pair (the answer describes both).
MIXED_AMBIGUITY = 0.5
#: Added to the answers about who called when a neighbour made a call (she may have asked).
NEIGHBOUR_CALL_AMBIGUITY = 0.3
#: Coder B's weight for missing a code on its excerpt: this plus the excerpt's ambiguity.
OMISSION_BASE = 0.03
#: Coder B's weight for applying the other code of a confusable pair to an excerpt,
#: relative to the weight of missing the excerpt's own code.
CONFUSION_WEIGHT = 1.0
#: ``confusable_with`` of a code that no confusable pair names.
NO_CONFUSABLE = "none"
#: No single case-code decision departs with a probability above this.
MAX_DEPARTURE = 0.9


@lru_cache(maxsize=1)
def qualitative_codebook() -> dict[str, Any]:
    """Themes, codes (definitions, rules, examples) and confusable pairs of the codebook.

    A count the code knows is written into the text where the file names it
    (``{practice_count}``: the number of safety practices, in words).
    """
    with open(RESOURCES / "qualitative_codebook.yaml", encoding="utf-8") as fh:
        book = load_yaml(fh)
    counts = {"practice_count": number_word(len(PRACTICES))}
    for code in book["codes"]:
        for key, value in code.items():
            if isinstance(value, str) and "{" in value:
                code[key] = value.format(**counts)
    return book


@lru_cache(maxsize=1)
def interview_grammar() -> dict[str, Any]:
    """The phrase fragments the synthetic interviews are written from."""
    with open(RESOURCES / "interview_grammar.yaml", encoding="utf-8") as fh:
        return load_yaml(fh)


def code_ids() -> list[str]:
    """The codes of the codebook, in codebook order."""
    return [c["id"] for c in qualitative_codebook()["codes"]]


def confusable_partners(codes: Sequence[str] | None = None) -> np.ndarray:
    """Codes x codes boolean matrix: True where the codebook names the two codes as confusable."""
    codes = list(code_ids() if codes is None else codes)
    index = {c: i for i, c in enumerate(codes)}
    partners = np.zeros((len(codes), len(codes)), dtype=bool)
    for pair in qualitative_codebook()["confusable_pairs"]:
        a, b = pair["codes"]
        if a in index and b in index:
            partners[index[a], index[b]] = partners[index[b], index[a]] = True
    return partners


def _any_by_participant(mask: np.ndarray, n: int, owner: np.ndarray) -> np.ndarray:
    return np.bincount(owner[mask], minlength=n) > 0


def _owner(participants: pd.DataFrame, incidents: pd.DataFrame) -> np.ndarray:
    index = pd.Index(participants["participant_id"])
    return index.get_indexer(incidents["participant_id"])


def code_presence(participants: pd.DataFrame, incidents: pd.DataFrame, violence: pd.DataFrame,
                  strategies: pd.DataFrame) -> np.ndarray:
    """Coder A's case-by-code matrix (0/1), in codebook order.

    Each code's ``derived_from`` rule (see the codebook) is evaluated on the
    survivor's synthetic data; incident columns are read by name.
    """
    n = len(participants)
    owner = _owner(participants, incidents)
    inc = {c: incidents[c].to_numpy() for c in incidents.columns}
    anyp = lambda m: _any_by_participant(np.asarray(m, dtype=bool), n, owner)  # noqa: E731
    rules: dict[str, np.ndarray] = {
        "ongoing_strategic_violence": violence["ongoing_strategic"].to_numpy() == 1,
        "beyond_police_capacity": violence["beyond_police_capacity"].to_numpy() == 1,
        "coercive_control": violence["coercive_control"].to_numpy() == 1,
        "harm_through_children": violence["through_the_children"].to_numpy() == 1,
        "self_initiated_call": anyp(inc["initiator"] == "self"),
        "external_initiated_call": anyp(inc["initiator"] != "self"),
        "safety_practice_received": anyp(inc["any_practice"] == 1),
        "no_safety_practice": anyp(inc["any_practice"] == 0),
        "treated_poorly": anyp(inc["treated_poorly"] == 1),
        "partner_arrested": anyp(inc["arrest"] == 1),
        "no_arrest": anyp(inc["arrest"] == 0),
        "arrest_not_as_wanted": anyp(inc["outcome_as_wanted"] == 0),
        "safety_worse": anyp(inc["safety_change"] == "worse"),
        "safety_better": anyp(inc["safety_change"] == "better"),
        "informal_strategies": strategies["n_strategies"].to_numpy() > 0,
        "protecting_children": strategies["safety_plan_with_children"].to_numpy() == 1,
    }
    return np.column_stack([rules[c] for c in code_ids()]).astype(np.int8)


# --------------------------------------------------------------------------- answer styles


@dataclass(frozen=True)
class AnswerStyles:
    """How each case's answer about each code is given.

    Attributes
    ----------
    style
        Cases x codes, index into :data:`STYLES` (drawn for every cell; it
        matters where coder A applied the code, since only there is an answer).
    ambiguity
        Cases x codes, in [0, 1] in steps of 0.01; 0 where coder A did not
        apply the code (there is no excerpt).
    """

    style: np.ndarray
    ambiguity: np.ndarray


def answer_styles(coder_a: np.ndarray, participants: pd.DataFrame, incidents: pd.DataFrame,
                  rng: np.random.Generator) -> AnswerStyles:
    """Draw each answer's style and score its ambiguity (see the module docstring).

    ambiguity = STYLE_AMBIGUITY[style]
                + MIXED_AMBIGUITY if a confusable partner code also applies to the case
                + NEIGHBOUR_CALL_AMBIGUITY for the initiation codes when a neighbour
                  called at one of her contacts,
    clipped to [0, 1] and rounded to hundredths (so the excerpts table can
    store it exactly as a percentage).
    """
    codes = code_ids()
    shares = interview_grammar()["styles"]
    p = np.array([shares[s] for s in STYLES], dtype=float)
    # What Generator.choice(p=...) does, without its per-call checks: uniforms into the CDF.
    cdf = np.cumsum(p / p.sum())
    cdf /= cdf[-1]
    style = cdf.searchsorted(rng.random(coder_a.shape), side="right").astype(np.int8)
    # Scores in whole hundredths, so that they are exact percentages.
    hundredths = lambda x: int(round(100 * x))  # noqa: E731
    score = np.array([hundredths(STYLE_AMBIGUITY[s]) for s in STYLES], dtype=np.int16)[style]
    applied = coder_a == 1
    for j, row in enumerate(confusable_partners(codes)):
        if row.any():  # a confusable partner of the code also applies to the case
            score[:, j] += hundredths(MIXED_AMBIGUITY) * applied[:, row].any(axis=1)
    neighbour = _any_by_participant(incidents["initiator"].to_numpy() == "neighbour",
                                    len(participants), _owner(participants, incidents))
    for code in ("self_initiated_call", "external_initiated_call"):
        score[:, codes.index(code)] += hundredths(NEIGHBOUR_CALL_AMBIGUITY) * neighbour
    score = np.where(applied, np.minimum(score, 100), 0) / 100.0
    return AnswerStyles(style=style, ambiguity=score)


# --------------------------------------------------------------------------- coder B


def addition_sources(coder_a: np.ndarray, ambiguity: np.ndarray) -> np.ndarray:
    """For each case and code coder A did not apply: the excerpt coder B would misread as it.

    Cases x codes of code indices: the confusable partner of the code that
    coder A applied to the case with the most ambiguous excerpt (ties: the
    first in codebook order), or -1 when no partner applies.
    """
    return _sources(coder_a, ambiguity)[0]


def _sources(coder_a: np.ndarray, ambiguity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`addition_sources` and the ambiguity of each source excerpt (-1: none)."""
    partners = confusable_partners()
    n, m = coder_a.shape
    source = np.full((n, m), -1, dtype=np.int64)
    best = np.full((n, m), -1.0)
    for k in range(m):
        candidate = np.where(coder_a[:, k] == 1, ambiguity[:, k], -1.0)
        for j in np.flatnonzero(partners[:, k]):
            better = (coder_a[:, j] == 0) & (candidate > best[:, j])
            best[better, j] = candidate[better]
            source[better, j] = k
    return source, best


def _departure_weights(coder_a: np.ndarray, ambiguity: np.ndarray) -> np.ndarray:
    """Relative chance that coder B departs from coder A, per case and code."""
    source, source_ambiguity = _sources(coder_a, ambiguity)
    omit = np.where(coder_a == 1, OMISSION_BASE + ambiguity, 0.0)
    confuse = np.where((coder_a == 0) & (source >= 0),
                       CONFUSION_WEIGHT * (OMISSION_BASE + source_ambiguity), 0.0)
    return omit + confuse


def disagreement_probabilities(coder_a: np.ndarray, ambiguity: np.ndarray,
                               rate: float) -> np.ndarray:
    """Per case and code, the probability that coder B's decision differs from coder A's.

    The configured ``rate`` is the expected share of all case-code cells on
    which the coders differ, so the probabilities sum to ``rate x cells``.
    They are allocated in proportion to a weight (:func:`_departure_weights`):

    * where coder A applied the code, ``OMISSION_BASE + ambiguity`` of its
      excerpt (coder B misses it; a clear full answer is rarely missed);
    * where she did not but applied a confusable partner of it,
      ``CONFUSION_WEIGHT x (OMISSION_BASE + ambiguity)`` of that partner's
      excerpt (coder B reads the excerpt as the other code of the pair);
    * elsewhere 0: coder B never applies a code that nothing in the interview
      comes close to.

    Probabilities are ``min(lambda x weight, MAX_DEPARTURE)`` with ``lambda``
    solved so that they sum to the target. If the target is more than the
    weighted cells can carry at ``MAX_DEPARTURE``, the remainder is spread
    evenly over the other cells of cases that have an excerpt (only at rates
    far above the default).
    """
    weights = _departure_weights(coder_a, ambiguity)
    target = float(rate) * weights.size
    prob = np.zeros_like(weights)
    if target <= 0:
        return prob
    eligible = weights > 0
    capacity = MAX_DEPARTURE * int(eligible.sum())
    if target >= capacity:
        prob[eligible] = MAX_DEPARTURE
        others = ~eligible & (coder_a.sum(axis=1, keepdims=True) > 0)
        if others.any():
            prob[others] = min((target - capacity) / int(others.sum()), MAX_DEPARTURE)
        return prob
    capped = np.zeros_like(eligible)
    for _ in range(weights.shape[1] * 4 + 10):
        free = eligible & ~capped
        scale = (target - MAX_DEPARTURE * int(capped.sum())) / float(weights[free].sum())
        now_capped = eligible & (scale * weights >= MAX_DEPARTURE)
        if np.array_equal(now_capped, capped):
            break
        capped = now_capped
    return np.where(capped, MAX_DEPARTURE, np.minimum(scale * weights, MAX_DEPARTURE))


def second_coder(coder_a: np.ndarray, ambiguity: np.ndarray, rate: float,
                 rng: np.random.Generator) -> np.ndarray:
    """Coder B's case-by-code matrix: coder A's, with departures where coding is hard.

    Each cell departs independently with its probability from
    :func:`disagreement_probabilities`, so the expected share of cells on
    which the coders differ is ``rate``.
    """
    prob = disagreement_probabilities(coder_a, ambiguity, rate)
    flips = rng.random(coder_a.shape) < prob
    return np.where(flips, 1 - coder_a, coder_a).astype(np.int8)


def codebook_table() -> pd.DataFrame:
    """The qualitative codebook as a table: code, theme, definition, rules, example, pairs."""
    book = qualitative_codebook()
    themes = {t["id"]: t["label"] for t in book["themes"]}
    confusable: dict[str, list[str]] = {}
    rules: dict[str, list[str]] = {}
    for pair in book["confusable_pairs"]:
        a, b = pair["codes"]
        for code, other in ((a, b), (b, a)):
            confusable.setdefault(code, []).append(other)
            rules.setdefault(code, []).append(f"With {other}: {pair['rule']}")
    return pd.DataFrame([{
        "code": c["id"],
        "label": c["label"],
        "theme": c["theme"],
        "theme_label": themes[c["theme"]],
        "definition": c["definition"],
        "include": c["include"],
        "exclude": c["exclude"],
        "example": c["example"],
        "confusable_with": "; ".join(confusable.get(c["id"], [])) or NO_CONFUSABLE,
        "decision_rule": " ".join(rules.get(c["id"], [])) or "No code is confusable with it.",
        "derived_from": c["derived_from"],
    } for c in book["codes"]])


# --------------------------------------------------------------------------- the interviews


class _Draws:
    """One survivor's random draws, taken in order (a fixed budget per survivor)."""

    __slots__ = ("values", "pos")

    def __init__(self, values: list[float]) -> None:
        self.values = values
        self.pos = 0

    def _next(self) -> float:
        try:
            value = self.values[self.pos]
        except IndexError:
            raise RuntimeError("interview grammar used more random draws than its budget "
                               f"({len(self.values)}); raise DRAWS_PER_SURVIVOR") from None
        self.pos += 1
        return value

    def pick(self, options: Sequence[str]) -> str:
        return options[int(self._next() * len(options))]

    def chance(self, p: float) -> bool:
        return self._next() < p


#: Random draws budgeted per survivor, plus this many per police contact.
DRAWS_PER_SURVIVOR = 160
DRAWS_PER_CONTACT = 6


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    if text.startswith(("I ", "I'")):
        return text
    return text[:1].lower() + text[1:]


def _join(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _sentences(*parts: str) -> str:
    return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class _Record:
    """The parts of one survivor's synthetic record her interview draws on."""

    pid: str
    children: bool
    initiator: list[str]
    practices: list[list[str]]
    treated_poorly: list[int]
    arrest: list[int]
    wanted: list[int]
    as_wanted: list[int]
    safety: list[str]
    forms: dict[str, int]
    strategies: dict[str, int]

    @property
    def n(self) -> int:
        return len(self.initiator)


class _Writer:
    """Writes one survivor's interview from the grammar and her record."""

    def __init__(self, record: _Record, coded: Sequence[int], style: Sequence[int],
                 draws: _Draws, codes: Sequence[str]) -> None:
        self.g = interview_grammar()
        self.r = record
        self.coded = {c: bool(coded[j]) for j, c in enumerate(codes)}
        self.style = {c: STYLES[style[j]] for j, c in enumerate(codes)}
        self.d = draws
        self.kids = draws.pick(self.g["kids"])
        self.slots = {"kids": self.kids, "kids_cap": _cap(self.kids)}
        self.prompt_slots = {"kids": self.kids.replace("my ", "your ")}
        self.parts: list[tuple[str, str | None]] = []

    # --- numbers and lists of contacts -------------------------------------------------
    def times(self, k: int) -> str:
        if k == 1:
            return "once"
        if k == 2:
            return "twice"
        return f"{self.g['count_words'][k]} times" if k < len(self.g["count_words"]) \
            else f"{k} times"

    def other(self, k: int) -> str:
        return "time" if k == 1 else f"{self.g['count_words'][k]} times"

    def which(self, seqs: Sequence[int]) -> tuple[str, str]:
        words = [self.g["ordinals"][s] for s in seqs]
        return _join(words), ("time" if len(words) == 1 else "times")

    def fill(self, text: str, **slots: str) -> str:
        if "{" not in text:
            return text
        return text.format(**{**self.slots, **slots})

    def prompt(self, options: Sequence[str], **slots: str) -> str:
        """An interviewer prompt: her children are "your" children, one contact no "each time"."""
        if self.r.n == 1:
            options = [o for o in options if "each time" not in o] or list(options)
        text = self.d.pick(options)
        return text.format(**{**self.prompt_slots, **slots}) if "{" in text else text

    # --- how an answer is given --------------------------------------------------------
    def styled(self, code: str, full: str, brief: str) -> str:
        """The excerpt of ``code`` in its answer style (full, brief or hedged).

        A hedged answer is one of the code's hedge sentences (about naming,
        remembering or whether the answer fits the question) beside a softer
        account: the code's ``indirect`` sentence, or its brief answer where it
        has none. The hedge is a sentence of its own, so it never qualifies a
        statement of what he or the officers did.
        """
        style = self.style[code]
        if style == "brief":
            return brief
        if style == "hedged":
            c = self.g["codes"][code]
            hedge = self.d.pick(c["hedge"])
            body = self.fill(self.d.pick(c["indirect"])) if "indirect" in c else brief
            return _sentences(hedge, body) if self.d.chance(0.7) else _sentences(body, hedge)
        return full

    # --- transcript assembly -----------------------------------------------------------
    def ask(self, prompt: str, first: bool = False) -> None:
        thanks = "" if first or not self.d.chance(0.5) else self.d.pick(self.g["thanks"])
        self.parts.append((f"Interviewer: {_sentences(thanks, prompt)}\nParticipant: ", None))

    def say(self, text: str, code: str | None = None) -> None:
        if text:
            if self.parts and not self.parts[-1][0].endswith(" "):
                self.parts.append((" ", None))
            self.parts.append((text, code))

    def end_answer(self) -> None:
        self.parts.append(("\n\n", None))

    def opener(self) -> None:
        if self.d.chance(0.35):
            self.say(self.d.pick(self.g["answer_open"]))

    def children_question(self, sec: dict[str, Any], code: str) -> None:
        """A section's question about the children: asked when she has children or the
        code applies; answered with the code's excerpt, or with the section's 'none'."""
        if self.coded[code] or self.r.children:
            self.ask(self.prompt(sec["children_prompt"]))
            if self.coded[code]:
                c = self.g["codes"][code]
                full = _sentences(self.fill(self.d.pick(c["full"])), self.d.pick(c["coda"]))
                self.say(self.styled(code, full, self.fill(self.d.pick(c["brief"]))), code)
            else:
                self.say(self.d.pick(sec["children_none"]))
            self.end_answer()

    # --- the sections of the interview guide ---------------------------------------------
    def relationship(self) -> None:
        sec = self.g["sections"]
        self.ask(self.prompt(sec["relationship"]["prompt"]), first=True)
        self.opener()
        if self.coded["ongoing_strategic_violence"]:
            self.say(self.ongoing(), "ongoing_strategic_violence")
        else:
            self.say(self.d.pick(sec["relationship"]["none"]))
        self.end_answer()
        if self.coded["coercive_control"] or self.d.chance(0.5):
            self.ask(self.prompt(sec["control_prompt"]))
            if self.coded["coercive_control"]:
                self.say(self.coercive(), "coercive_control")
            else:
                self.say(self.d.pick(sec["control_none"]))
            self.end_answer()
        self.children_question(sec, "harm_through_children")

    def ongoing(self) -> str:
        c = self.g["codes"]["ongoing_strategic_violence"]
        span = self.d.pick(self.g["span"])
        forms = [self.d.pick(phrases) for form, phrases in self.g["forms"].items()
                 if self.r.forms.get(form)]
        core = self.fill(self.d.pick(c["full"]), span=span)
        if forms:
            core = _sentences(core, self.fill(self.d.pick(c["forms"]), forms=_join(forms[:2])))
        return self.styled("ongoing_strategic_violence", core,
                           self.fill(self.d.pick(c["brief"]), span=span))

    def coercive(self) -> str:
        c = self.g["codes"]["coercive_control"]
        full = _sentences(self.d.pick(c["full"]), self.d.pick(c["detail"]))
        return self.styled("coercive_control", full, self.d.pick(c["brief"]))

    def initiation(self) -> None:
        sec = self.g["sections"]["initiation"]
        self.ask(self.prompt(sec["prompt"], times=self.times(self.r.n)))
        self.opener()
        own = [i for i, who in enumerate(self.r.initiator) if who == "self"]
        others = [i for i, who in enumerate(self.r.initiator) if who != "self"]
        self_text = self.self_call(own, bool(others)) if self.coded["self_initiated_call"] else ""
        external = self.external_call(others, bool(own)) \
            if self.coded["external_initiated_call"] else ""
        if self_text and external and self.d.chance(0.4):
            first, second = ((self_text, "self_initiated_call"),
                             (external, "external_initiated_call"))
            if others[0] < own[0]:
                first, second = second, first
            self.say(*first)
            self.end_answer()
            self.ask(self.prompt(sec["external_prompt"]))
            self.say(*second)
        else:
            ordered = [(self_text, "self_initiated_call"), (external, "external_initiated_call")]
            if own and others and others[0] < own[0]:
                ordered.reverse()
            for text, code in ordered:
                self.say(text, code)
        self.end_answer()

    def self_call(self, own: list[int], mixed: bool) -> str:
        c = self.g["codes"]["self_initiated_call"]
        if mixed:
            which, word = self.which(own)
            core = self.fill(self.d.pick(c["some"]), which=which, time_word=word)
        else:
            core = self.fill(self.d.pick(c["all"]), times=self.times(len(own)))
        full = _sentences(core, self.d.pick(c["reason"]))
        return self.styled("self_initiated_call", full,
                           self.fill(self.d.pick(c["brief"]), times=self.times(len(own))))

    def external_call(self, others: list[int], mixed: bool) -> str:
        c = self.g["codes"]["external_initiated_call"]
        by_kind: dict[str, list[int]] = {}
        for i in others:
            by_kind.setdefault(self.r.initiator[i], []).append(i)
        sentences = []
        first_who = ""
        for kind, seqs in by_kind.items():
            who = self.d.pick(c["who"][kind])
            first_who = first_who or who
            if not mixed and len(by_kind) == 1:
                when = "" if self.r.n == 1 else f", {self.times(len(seqs))}"
                lead = f"{_cap(who)} called them{when}."
            else:
                which, word = self.which(seqs)
                lead = self.fill(self.d.pick(c["lead"]), which=which, time_word=word, who=who,
                                 who_cap=_cap(who))
            sentences += [lead, self.d.pick(c["reaction"][kind])]
        if not mixed:
            sentences.append(self.d.pick(c["all"]))
        brief = self.fill(self.d.pick(c["brief"]), who_cap=_cap(first_who),
                          times=self.times(len(others)))
        return self.styled("external_initiated_call", _sentences(*sentences), brief)

    def engagement(self) -> None:
        sec = self.g["sections"]["engagement"]
        self.ask(self.prompt(sec["prompt"]))
        self.opener()
        helped = [i for i, p in enumerate(self.r.practices) if p]
        none = [i for i, p in enumerate(self.r.practices) if not p]
        if self.coded["safety_practice_received"]:
            self.say(self.practice_received(helped, bool(none)), "safety_practice_received")
        if self.coded["no_safety_practice"]:
            self.say(self.no_practice(none, bool(helped)), "no_safety_practice")
        self.end_answer()
        self.ask(self.prompt(sec["treatment_prompt"]))
        if self.coded["treated_poorly"]:
            c = self.g["codes"]["treated_poorly"]
            which = self.which([i for i, t in enumerate(self.r.treated_poorly) if t])
            detail, brief = self.d.pick(c["detail"]), self.d.pick(c["brief"])
            if self.r.n == 1:  # "the first time" of her only contact says nothing
                detail = "" if "{" in detail else detail
                brief = c["brief"][0] if "{" in brief else brief
            full = _sentences(self.d.pick(c["full"]),
                              self.fill(detail, which=which[0], time_word=which[1]))
            self.say(self.styled("treated_poorly", full,
                                 self.fill(brief, which=which[0], time_word=which[1])),
                     "treated_poorly")
        else:
            self.say(self.d.pick(sec["treatment_none"]))
        self.end_answer()

    def practice_received(self, helped: list[int], mixed: bool) -> str:
        c = self.g["codes"]["safety_practice_received"]
        seen = [key for key in PRACTICES if any(key in self.r.practices[i] for i in helped)]
        phrases = [self.fill(self.d.pick(c["practice"][key])) for key in seen[:3]]
        leads = c["lead"] + (c["lead_many"] if len(helped) > 1 else [])
        # One thing officers did per sentence: a list of three is not one clause chain.
        core = _sentences(self.fill(self.d.pick(leads), practice=phrases[0]),
                          *(_cap(p) + "." for p in phrases[1:]))
        full = _sentences(self.d.pick(c["mixed_lead"]) if mixed else "", core,
                          self.d.pick(c["coda"]))
        brief = self.fill(self.d.pick(c["brief"]), practice_cap=_cap(phrases[0]))
        return self.styled("safety_practice_received", full, brief)

    def no_practice(self, none: list[int], mixed: bool) -> str:
        c = self.g["codes"]["no_safety_practice"]
        if mixed:
            which, word = self.which(none)
            lead = self.fill(self.d.pick(c["mixed"]), which=which, time_word=word)
        else:
            lead = self.d.pick(c["all"]) if self.r.n > 1 else ""
        full = _sentences(lead, self.d.pick(c["full"]))
        which, word = self.which(none)
        brief = self.d.pick(c["brief"]) if self.r.n > 1 else c["brief"][0]
        return self.styled("no_safety_practice", full,
                           self.fill(brief, times=self.times(len(none)), which=which,
                                     time_word=word))

    def arrest(self) -> None:
        sec = self.g["sections"]["arrest"]
        self.ask(self.prompt(sec["prompt"]))
        self.opener()
        arrested = [i for i, a in enumerate(self.r.arrest) if a]
        not_arrested = [i for i, a in enumerate(self.r.arrest) if not a]
        if self.coded["partner_arrested"]:
            c = self.g["codes"]["partner_arrested"]
            k = len(arrested)
            arrests = ("that time" if self.r.n == 1 else
                       "every time" if k == self.r.n else self.times(k))
            which, word = self.which(arrested)
            when = self.fill(self.d.pick(c["when"]), which=which, time_word=word) \
                if 1 < self.r.n and k < self.r.n else ""
            full = _sentences(self.fill(self.d.pick(c["full"]), arrests=arrests), when,
                              self.d.pick(c["aftermath"]))
            self.say(self.styled("partner_arrested", full,
                                 self.fill(self.d.pick(c["brief"]), arrests=arrests)),
                     "partner_arrested")
        if self.coded["no_arrest"]:
            c = self.g["codes"]["no_arrest"]
            k = len(not_arrested)
            if arrested:
                lead = self.fill(self.d.pick(c["mixed"]), other=self.other(k), times=self.times(k))
            else:
                lead = self.d.pick(c["all"]) if self.r.n > 1 else ""
            full = _sentences(lead, self.d.pick(c["full"]))
            brief = self.d.pick(c["brief_mixed"] if arrested else c["brief"])
            self.say(self.styled("no_arrest", full, self.fill(brief, other=self.other(k))),
                     "no_arrest")
        self.end_answer()
        self.ask(self.prompt(sec["wanted_prompt"]))
        if self.coded["arrest_not_as_wanted"]:
            c = self.g["codes"]["arrest_not_as_wanted"]
            missed = [i for i, w in enumerate(self.r.as_wanted) if not w]
            kinds = dict.fromkeys("arrest_not_wanted" if self.r.arrest[i] else "wanted_no_arrest"
                                  for i in missed)
            said = [self.d.pick(c[kind]) for kind in kinds]
            if len(said) == 2:  # both an unwanted arrest and no arrest when she wanted one
                said[1] = "Another time, " + _lower_first(said[1])
            full = _sentences(*said, self.d.pick(c["coda"]))
            which, word = self.which(missed)
            brief = self.d.pick(c["brief"]) if self.r.n > 1 else c["brief"][0]
            self.say(self.styled("arrest_not_as_wanted", full,
                                 self.fill(brief, which=which, time_word=word)),
                     "arrest_not_as_wanted")
        else:
            self.say(self.d.pick(sec["wanted_none"]))
        self.end_answer()

    def safety(self) -> None:
        sec = self.g["sections"]["safety"]
        self.ask(self.prompt(sec["prompt"]))
        worse, better = self.coded["safety_worse"], self.coded["safety_better"]
        if worse and better:
            self.say(self.d.pick(sec["mixed"]))
        elif not (worse or better):
            self.say(self.d.pick(sec["none"]))
        for code, change in (("safety_worse", "worse"), ("safety_better", "better")):
            if not self.coded[code]:
                continue
            c = self.g["codes"][code]
            seqs = [i for i, s in enumerate(self.r.safety) if s == change]
            which, word = self.which(seqs)
            when = self.fill(self.d.pick(c["when"]), which=which, time_word=word) \
                if self.r.n > 1 else ""
            full = _sentences(self.d.pick(c["full"]), when, self.d.pick(c["coda"]))
            brief = self.d.pick(c["brief"]) if self.r.n > 1 else c["brief"][0]
            self.say(self.styled(code, full, self.fill(brief, which=which, time_word=word)), code)
        self.end_answer()

    def capacity(self) -> None:
        sec = self.g["sections"]["capacity"]
        self.ask(self.prompt(sec["prompt"]))
        if self.coded["beyond_police_capacity"]:
            c = self.g["codes"]["beyond_police_capacity"]
            hidden = next((phrase for form, phrase in self.g["hidden"].items()
                           if form != "default" and self.r.forms.get(form)),
                          self.g["hidden"]["default"])
            full = _sentences(self.fill(self.d.pick(c["full"]), hidden=hidden),
                              self.d.pick(c["coda"]))
            brief = self.fill(self.d.pick(c["brief"]), hidden_cap=_cap(hidden))
            self.say(self.styled("beyond_police_capacity", full, brief), "beyond_police_capacity")
        else:
            self.say(self.d.pick(sec["none"]))
        self.end_answer()

    def strategies(self) -> None:
        sec = self.g["sections"]["strategies"]
        self.ask(self.prompt(sec["prompt"]))
        if self.coded["informal_strategies"]:
            c = self.g["codes"]["informal_strategies"]
            used = [key for key, phrases in c["strategy"].items() if self.r.strategies.get(key)]
            phrases = [self.d.pick(c["strategy"][key]) for key in used[:3]]
            if phrases:
                full = _sentences(self.d.pick(c["lead"]), *(_cap(p) + "." for p in phrases))
                brief = self.fill(self.d.pick(c["brief"]), strategy_cap=_cap(phrases[0]))
            else:
                full = brief = self.fill(c["only_children"][0])
            self.say(self.styled("informal_strategies", full, brief), "informal_strategies")
        else:
            self.say(self.d.pick(sec["none"]))
        self.end_answer()
        self.children_question(sec, "protecting_children")

    def closing(self) -> None:
        self.ask(self.prompt(self.g["closing_prompt"]))
        self.say(self.d.pick(self.g["closing_answer"]))
        self.parts.append(("\n", None))

    def write(self) -> list[tuple[str, str | None]]:
        """The transcript as (text, code) pieces; a code marks an excerpt."""
        header = f"{self.g['header']}\n{self.g['note'].format(pid=self.r.pid)}\n\n"
        self.parts = [(header, None)]
        self.relationship()
        self.initiation()
        self.engagement()
        self.arrest()
        self.safety()
        self.capacity()
        self.strategies()
        self.closing()
        return self.parts


def _most_ambiguous(options: Sequence[int], ambiguity: Sequence[int]) -> int:
    """The code of ``options`` with the most ambiguous excerpt (ties: the first code)."""
    return max(options, key=lambda c: (ambiguity[c], -c))


def _records(participants: pd.DataFrame, incidents: pd.DataFrame, violence: pd.DataFrame,
             strategies: pd.DataFrame) -> list[_Record]:
    """Each survivor's record, with her contacts in the order she described them."""
    n = len(participants)
    owner = _owner(participants, incidents)
    order = np.lexsort((incidents["incident_seq"].to_numpy(), owner))
    owner = owner[order]
    bounds = np.searchsorted(owner, np.arange(n + 1))
    col = lambda name: incidents[name].to_numpy()[order]  # noqa: E731
    initiator, arrest = col("initiator"), col("arrest")
    as_wanted = col("outcome_as_wanted")
    wanted = (col("wanted_arrest") if "wanted_arrest" in incidents.columns
              else (arrest == as_wanted).astype(np.int64))
    practice = np.column_stack([col(f"practice_{key}") for key in PRACTICES]) == 1
    keys = np.array(list(PRACTICES), dtype=object)
    treated, safety = col("treated_poorly"), col("safety_change")
    form_columns = [c for c in violence.columns if c not in ("participant_id",)]
    violence = violence.set_index("participant_id").reindex(participants["participant_id"])
    strategies = strategies.set_index("participant_id").reindex(participants["participant_id"])
    forms = {c: violence[c].to_numpy() for c in form_columns}
    used = {slug(s): strategies[slug(s)].to_numpy() for s in STRATEGIES}
    ids = participants["participant_id"].to_numpy()
    children = participants["children_in_home"].to_numpy()
    records = []
    for i in range(n):
        lo, hi = bounds[i], bounds[i + 1]
        records.append(_Record(
            pid=str(ids[i]), children=bool(children[i]),
            initiator=[str(v) for v in initiator[lo:hi]],
            practices=[list(keys[row]) for row in practice[lo:hi]],
            treated_poorly=[int(v) for v in treated[lo:hi]],
            arrest=[int(v) for v in arrest[lo:hi]],
            wanted=[int(v) for v in wanted[lo:hi]],
            as_wanted=[int(v) for v in as_wanted[lo:hi]],
            safety=[str(v) for v in safety[lo:hi]],
            forms={c: int(v[i]) for c, v in forms.items()},
            strategies={c: int(v[i]) for c, v in used.items()},
        ))
    return records


def write_interviews(tables: Mapping[str, pd.DataFrame], coder_a: np.ndarray,
                     coder_b: np.ndarray, styles: AnswerStyles, rng: np.random.Generator
                     ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Synthetic transcripts, their excerpts and both coders' code applications.

    Parameters
    ----------
    tables
        ``participants``, ``incidents``, ``violence`` and ``strategies``.
    coder_a, coder_b
        Both coders' case-by-code matrices (:func:`code_presence`,
        :func:`second_coder`).
    styles
        How each answer is given (:func:`answer_styles`).
    rng
        The interviews' own random stream: which fragments are chosen.

    Returns
    -------
    transcripts, excerpts, code_applications
        One transcript per survivor: a header line marking it synthetic, then
        interviewer prompts and her answers in the order of the interview
        guide. One excerpt per code coder A applied (``<pid>-E<code number>``),
        with its answer style, ambiguity (percent) and character offsets into
        the transcript (Python ``str`` indices, end exclusive). Coder A codes
        each excerpt with the code it was written for. Coder B codes the same
        excerpts where she agrees; where she applies a code coder A did not,
        she applies it to the excerpt she misread as it
        (:func:`addition_sources`), or, in the rare case that none is confusable,
        to the case's most ambiguous excerpt; where she misses an excerpt's
        code and applied a confusable partner of it to the case, she codes the
        excerpt with that partner instead (the most ambiguous such partner).
        Her case-by-code decisions are exactly ``coder_b``.
    """
    participants = tables["participants"]
    codes = code_ids()
    n, m = coder_a.shape
    records = _records(participants, tables["incidents"], tables["violence"],
                       tables["strategies"])
    budget = DRAWS_PER_SURVIVOR + DRAWS_PER_CONTACT * max((r.n for r in records), default=0)
    draws = rng.random((n, budget))
    position = {code: j for j, code in enumerate(codes)}
    # Plain Python rows: the loop below touches every cell, and numpy scalars are slow there.
    a_rows, b_rows = coder_a.tolist(), coder_b.tolist()
    style_rows = styles.style.tolist()
    percent_rows = np.rint(styles.ambiguity * 100).astype(int).tolist()
    source_rows = addition_sources(coder_a, styles.ambiguity).tolist()
    partners = [np.flatnonzero(row).tolist() for row in confusable_partners(codes)]
    transcripts, excerpts, applications = [], [], []
    for i, record in enumerate(records):
        pid = record.pid
        a, b, ambiguity = a_rows[i], b_rows[i], percent_rows[i]
        pieces = _Writer(record, a, style_rows[i], _Draws(draws[i].tolist()), codes).write()
        offset = 0
        own: dict[int, str] = {}
        for text, code in pieces:
            if code is not None:
                j = position[code]
                excerpt_id = f"{pid}-E{j + 1:02d}"
                excerpts.append((excerpt_id, pid, code, offset, offset + len(text),
                                 STYLES[style_rows[i][j]], ambiguity[j], text))
                applications.append((pid, "A", code, excerpt_id))
                own[j] = excerpt_id
            offset += len(text)
        transcripts.append((pid, "".join(text for text, _ in pieces)))
        for j in range(m):
            if not b[j]:
                continue
            if a[j]:
                applications.append((pid, "B", codes[j], own[j]))
            elif own:
                k = source_rows[i][j]
                applications.append((pid, "B", codes[j], own[k if k >= 0 else
                                                           _most_ambiguous(own, ambiguity)]))
        # An excerpt coder B missed, whose code has a confusable partner she applied to
        # the case: she read it as that partner (her case-level decisions are unchanged).
        for j in range(m):
            if a[j] and not b[j]:
                read_as = [k for k in partners[j] if a[k] and b[k]]
                if read_as:
                    applications.append((pid, "B", codes[_most_ambiguous(read_as, ambiguity)],
                                         own[j]))
    transcript_frame = pd.DataFrame(transcripts, columns=["participant_id", "text"])
    excerpt_frame = pd.DataFrame(excerpts, columns=[
        "excerpt_id", "participant_id", "code", "start", "end", "style", "ambiguity", "text"])
    application_frame = pd.DataFrame(
        applications, columns=["participant_id", "coder", "code", "excerpt_id"])
    application_frame = application_frame.sort_values(
        ["participant_id", "coder", "code", "excerpt_id"], kind="mergesort").reset_index(drop=True)
    return transcript_frame, excerpt_frame, application_frame
