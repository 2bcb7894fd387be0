"""This study's suppression plan: every count a restricted build publishes, and how.

The cells and constraints of a whole restricted build are made once by
:func:`study_cells` from the study tables, so a number that appears in several
outputs (the Black survivors in the sample table, the initiation table, the
survivor-level tests, the claims and the power statement) gets the same
decision everywhere. The workflow solves the plan once (rule
``disclosure_plan``, ``python -m analysis disclosure-plan``) and writes its
published cells (:meth:`StudyPlan.document`); every step then publishes its
own part with :mod:`analysis.disclosure.publish`. The rules are those of
:mod:`analysis.disclosure.cells`.

What links the cells (each a constraint ``total = sum(parts)``):

* survivors: the race/ethnicity categories add up to all survivors; the
  contrast groups are sums of categories (survivors of colour = Black +
  Latina + Multiracial/other; all others = White + Latina +
  Multiracial/other) and each contrast's two groups add up to all survivors;
  the initiation patterns of each group add up to its size, and over the
  categories to the pattern's total;
* contacts: the levels of every factor add up to all contacts, and the
  contacts of the race contrasts' levels are sums of the (unpublished)
  contacts of each category (contacts of colour + White contacts = all
  contacts = Black + other contacts); the same for the contacts with each
  outcome, and for the contacts a practice applies to (checking on children:
  contacts with children in the home, a share of each level's contacts);
* the claims: each race claim's survivor-level counts (survivors with the
  outcome, as the claim summarises it, in each group) are sums of the
  unpublished counts per category and add up to an unpublished total; the
  sign tests' positive and negative survivors add up, with the tied ones, to
  the survivors with both kinds of contacts (for who called: the dual
  pattern); the survivors with both arrest outcomes are a share of those with
  two or more contacts; self-initiation per survivor lies between the
  patterns (self only, or self only and dual);
* survivor-level counts of the same survivors (a qualitative code held by
  exactly the survivors with an indicator) are equal (a constraint: the keys
  the plan publishes never say which indicators coincide).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.disclosure.cells import Cells, Suppression
from analysis.disclosure.keys import (
    ALL_CODES,
    ALL_CONTACTS,
    ALL_CONTACTS_LEVEL,
    ALL_SURVIVORS,
    CONTACT_GROUPS,
    CONTACT_N,
    CONTRAST_GROUPS,
    CONTRAST_LEVELS,
    PREDICTOR_CELLS,
    RACE_FACTOR,
    SURVIVOR_GROUPS,
    SURVIVOR_N,
    contacts_key,
    contrast_group_keys,
    denominator_key,
    group_size_key,
    rate_key,
    sample_key,
    survivor_group_key,
)
from analysis.disclosure.markers import Key
from analysis.stats.agreement import CELLS as AGREEMENT_CELLS
from analysis.stats.models import MODELS
from analysis.steps.claims import (
    evaluate_claims,
    load_registry,
    outcomes_from_counts,
    verdict_levels,
)
from analysis.steps.describe import (
    FACTORS,
    all_descriptives,
    contacts_with_context,
    rates_by,
)
from analysis.steps.infer import survivor_level_tests
from analysis.steps.qualitative import code_by_case
from analysis.steps.statistics import initiation_patterns, sign_vectors
from analysis.study.arrays import StudyArrays
from analysis.study.variables import (
    AMONG,
    CONTACT_VARIABLES,
    CONTRASTS,
    OUTCOMES,
    SURVIVOR_INDICATORS,
)
from analysis.study.vocabulary import INITIATION_PATTERNS, RACE_CATEGORIES

#: Contact outcomes that are a level of a factor of the describe tables (all contacts).
OUTCOME_LEVELS: dict[str, tuple[str, str]] = {
    name: CONTACT_VARIABLES[name].cell for name in OUTCOMES
    if CONTACT_VARIABLES[name].cell is not None}
#: The fields of a claim level that hold counts.
COUNT_FIELDS: tuple[str, ...] = (
    "successes", "n", "positive", "negative", "exposed_yes", "exposed_n", "reference_yes",
    "reference_n", "clusters_exposed", "clusters_unexposed", "n_contacts", "n_survivors",
    *INITIATION_PATTERNS)


def _signature(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.int8).tobytes()


def _same_survivors(cells: Cells, registry: dict[bytes, Key], vector: np.ndarray,
                    key: Key) -> None:
    """Register a survivor-level cell; one held by the same survivors as an earlier one equals it.

    The equality is a constraint, not a shared key, so that the plan's published
    keys never say which indicators hold for the same survivors.
    """
    first = registry.setdefault(_signature(vector), key)
    if first != key:
        cells.total(first, [key])


@dataclass(frozen=True)
class StudyPlan:
    """The suppression of a restricted build, and where each output's cells are."""

    suppression: Suppression
    _published: frozenset
    code_keys: dict[str, Key]
    code_b_keys: dict[str, Key]
    theme_keys: dict[str, Key]
    pair_keys: dict[tuple[str, str], Key]
    claim_keys: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    agreement_keys: dict[str, dict[str, Key]] = field(default_factory=dict)
    #: Per claim: whether each level's verdict and direction, and the claim's, are published.
    claim_outcomes: dict[str, dict[str, bool]] = field(default_factory=dict)
    #: Per clustered model: the published cells its estimates rest on.
    model_keys: dict[str, list[Key]] = field(default_factory=dict)

    @property
    def threshold(self) -> int:
        return self.suppression.threshold

    def text(self, key: Key) -> str | int:
        return self.suppression.text(key)

    def suppressed(self, *keys: Key) -> bool:
        return self.suppression.suppressed(*keys)

    def document(self) -> dict[str, Any]:
        """What the build's steps need of the plan, as JSON: published cells only.

        Every published cell with the text it is shown as (its count, the
        small-cell marker or "suppressed") and whether it is suppressed; the
        value of a suppressed or unpublished cell is never written. The claim
        keys name, per claim and level, the cell of each count field and the
        cells its estimate rests on (all published).
        """
        s = self.suppression
        published = [k for k in s.values if k in self._published]
        return {
            "threshold": s.threshold,
            "cells": [[list(k), s.text(k), s.suppressed(k)] for k in published],
            "code_keys": {c: list(k) for c, k in self.code_keys.items()},
            "code_b_keys": {c: list(k) for c, k in self.code_b_keys.items()},
            "theme_keys": {t: list(k) for t, k in self.theme_keys.items()},
            "pair_keys": [[a, b, list(k)] for (a, b), k in self.pair_keys.items()],
            "agreement_keys": {c: {kind: list(k) for kind, k in keys.items()}
                               for c, keys in self.agreement_keys.items()},
            "claim_outcomes": self.claim_outcomes,
            "model_keys": {m: [list(k) for k in keys] for m, keys in self.model_keys.items()},
            "claim_keys": {
                cid: {level: {"fields": {f: list(k) for f, k in keys["fields"].items()},
                              "cells": [list(k) for k in keys["cells"]]}
                      for level, keys in levels.items()}
                for cid, levels in self.claim_keys.items()},
        }


class _Builder:
    """The cells of one study, with the helpers that link survivor-level indicators."""

    def __init__(self, tables: Mapping[str, pd.DataFrame]):
        self.cells = Cells()
        self.registry: dict[bytes, Key] = {}
        self.tables = tables
        self.study = StudyArrays.from_tables(tables)
        self.race = self.study.race

    def survivors(self, vector: np.ndarray, key: Key, published: bool = True) -> Key:
        """The cell of the survivors with a 0/1 indicator (equal to any of the same survivors)."""
        vector = np.asarray(vector, dtype=bool)
        self.cells.add(key, int(vector.sum()), published=published)
        _same_survivors(self.cells, self.registry, vector, key)
        return key

    def within(self, part: Key, whole: Key) -> None:
        """``part`` counts some of the survivors (or contacts) ``whole`` counts."""
        if part == whole:
            return
        rest = self.cells.values[whole] - self.cells.values[part]
        if rest < 0:
            raise ValueError(f"cell {part!r} is larger than {whole!r}, which holds it")
        self.cells.share(part, self.cells.values[part], whole,
                         published=part in self.cells.published)

    def members(self, group: str) -> np.ndarray:
        return np.isin(self.race, SURVIVOR_GROUPS[group])


# --- survivors: the sample, the race groups, the initiation patterns --------------------------


def _sample_cells(b: _Builder, frames: Mapping[str, pd.DataFrame]) -> None:
    cells = b.cells
    by_characteristic: dict[str, list[Key]] = {}
    for _, row in frames["sample"].iterrows():
        key = sample_key(row["characteristic"], row["category"])
        if key == SURVIVOR_N:
            continue
        if row["characteristic"] == "Children in the home":
            cells.share(key, row["n"], SURVIVOR_N)
        else:
            by_characteristic.setdefault(row["characteristic"], []).append(
                cells.add(key, row["n"]))
    for members in by_characteristic.values():
        cells.total(SURVIVOR_N, members)
    b.survivors(np.ones(b.study.n_participants, dtype=bool), SURVIVOR_N)
    for race in RACE_CATEGORIES:
        b.survivors(b.race == race, ("race", race))
    # The contrast groups: sums of categories; each contrast's groups add up to everyone.
    for group, members in SURVIVOR_GROUPS.items():
        key = b.survivors(b.members(group), survivor_group_key(group))
        if len(members) > 1:
            cells.total(key, [("race", r) for r in members])
    for contrast in CONTRASTS:
        cells.total(SURVIVOR_N, list(contrast_group_keys(contrast)))
    participants = b.tables["participants"]
    b.survivors(participants["children_in_home"].to_numpy() == 1, ("children", "yes"))


def _pattern_cells(b: _Builder, frames: Mapping[str, pd.DataFrame]) -> None:
    cells = b.cells
    patterns = frames["initiation_patterns"]
    for _, row in patterns.iterrows():
        cells.add(("pattern", row["group"], row["pattern"]), row["successes"])
    for group, rows in patterns.groupby("group", sort=False):
        cells.total(group_size_key(str(group)), [("pattern", group, p) for p in rows["pattern"]])
    for pattern in dict.fromkeys(patterns["pattern"]):
        cells.total(("pattern", ALL_SURVIVORS, pattern),
                    [("pattern", r, pattern) for r in RACE_CATEGORIES])
    vectors = initiation_patterns(b.study.cluster, b.study.n_participants,
                                  b.study.initiator_self)
    for pattern, vector in vectors.items():
        b.survivors(vector, ("pattern", ALL_SURVIVORS, pattern))
    # Survivors who ever called themselves / were ever reached through someone else.
    for name, parts in (("self", ("self only", "dual")), ("external", ("external only", "dual"))):
        for race in (ALL_SURVIVORS, *RACE_CATEGORIES):
            vector = (vectors[parts[0]] | vectors[parts[1]])
            if race != ALL_SURVIVORS:
                vector = vector & (b.race == race)
            key = (b.survivors(vector, ("ever", name), published=False) if race == ALL_SURVIVORS
                   else cells.add(("ever", name, race), int(vector.sum()), published=False))
            cells.total(key, [("pattern", race, p) for p in parts])


# --- contacts: practices, arrests, the contrast outcomes, by every factor ---------------------


def _contact_cells(b: _Builder, frames: Mapping[str, pd.DataFrame],
                   contrast_outcomes: Sequence[str], alpha: float) -> None:
    cells = b.cells
    contacts = contacts_with_context(b.tables).assign(
        all=ALL_CONTACTS_LEVEL,
        self_initiated=(b.tables["incidents"]["initiator"] == "self").astype(int).to_numpy())
    published = pd.concat([frames[n] for n in ("practices_by", "arrests_by",
                                                "expected_vs_actual")], ignore_index=True)
    outcomes = list(dict.fromkeys([*published["outcome"], *contrast_outcomes]))
    # The contrast outcomes by the contrasts' factors (their risks are published in the claims).
    by_contrast = rates_by(contacts, {o: o for o in contrast_outcomes},
                           {ALL_CONTACTS: "all", **{f: FACTORS[f] for f, *_ in
                                                    CONTRAST_LEVELS.values()}}, alpha)
    # Every outcome by race/ethnicity category: never published, the parts of the groups.
    by_race = rates_by(contacts, {o: o for o in outcomes}, {RACE_FACTOR: "race_ethnicity"}, alpha)
    frame = pd.concat([published, by_contrast, by_race], ignore_index=True)
    shown = [True] * len(published) + [f != ALL_CONTACTS for f in by_contrast["factor"]] + [
        False] * len(by_race)
    for (_, row), publish in zip(frame.iterrows(), shown, strict=True):
        factor, level, applies = row["factor"], row["level"], row["applies_to"]
        n_key = cells.add(denominator_key(factor, level, applies), row["n"], published=publish)
        cells.share(rate_key(row["outcome"], factor, level), row["successes"], n_key,
                    published=publish)
    for (outcome, applies), rows in frame.groupby(["outcome", "applies_to"], sort=False):
        outcome, applies = str(outcome), str(applies)
        all_n = denominator_key(ALL_CONTACTS, ALL_CONTACTS_LEVEL, applies)
        all_rate = rate_key(outcome, ALL_CONTACTS, ALL_CONTACTS_LEVEL)
        for factor, levels in rows.groupby("factor", sort=False)["level"]:
            factor = str(factor)
            if factor == ALL_CONTACTS:
                continue
            levels = list(dict.fromkeys(levels))
            cells.total(all_n, [denominator_key(factor, lv, applies) for lv in levels])
            cells.total(all_rate, [rate_key(outcome, factor, lv) for lv in levels])
            for lv in levels:
                members = CONTACT_GROUPS.get((factor, lv))
                if members is None:
                    continue
                present = [r for r in members if denominator_key(RACE_FACTOR, r, applies)
                           in cells.values]
                cells.total(denominator_key(factor, lv, applies),
                            [denominator_key(RACE_FACTOR, r, applies) for r in present])
                cells.total(rate_key(outcome, factor, lv),
                            [rate_key(outcome, RACE_FACTOR, r) for r in present])
    # A practice that applies at some contacts: its contacts are a share of the level's.
    for _, row in frame[frame["applies_to"] != ALL_CONTACTS_LEVEL].iterrows():
        b.within(denominator_key(row["factor"], row["level"], row["applies_to"]),
                 contacts_key(row["factor"], row["level"]))


def _safety_cells(b: _Builder, frames: Mapping[str, pd.DataFrame]) -> None:
    cells = b.cells
    safety = frames["safety_change"]
    for _, row in safety.iterrows():
        cells.add(contacts_key(row["factor"], row["level"]), row["n"])
        cells.add(("safety", row["factor"], row["level"], row["safety_change"]), row["successes"])
    for (factor, level), rows in safety.groupby(["factor", "level"], sort=False):
        cells.total(contacts_key(factor, level),
                    [("safety", factor, level, c) for c in rows["safety_change"]])
    for factor, rows in safety.groupby("factor", sort=False):
        levels = list(dict.fromkeys(rows["level"]))
        cells.total(CONTACT_N, [contacts_key(str(factor), lv) for lv in levels])
        for change in dict.fromkeys(rows["safety_change"]):
            parts = [("safety", factor, lv, change) for lv in levels]
            total = cells.add(("safety_total", change),
                              sum(cells.values[p] for p in parts), published=False)
            cells.total(total, parts)


def _outcome_level_links(b: _Builder) -> None:
    """An outcome counted over all contacts is a level of a describe factor (self-initiated)."""
    for outcome, (factor, level) in OUTCOME_LEVELS.items():
        total = rate_key(outcome, ALL_CONTACTS, ALL_CONTACTS_LEVEL)
        if total in b.cells.values and contacts_key(factor, level) in b.cells.values:
            b.cells.total(contacts_key(factor, level), [total])


# --- the claims -------------------------------------------------------------------------------


def _summary_cells(b: _Builder, names: dict[bytes, tuple[str, str]], outcome: str,
                   how: str) -> tuple[str, str]:
    """Survivors with a contact outcome (summarised per survivor) in every category and group.

    Returns the summary's name in the cell keys (``("st", outcome, how, group)``); a
    summary that holds for the same survivors as an earlier one has equal counts.
    """
    cells, study = b.cells, b.study
    vector = study.per_survivor(study.outcomes[outcome], how)
    first = names.setdefault(_signature(vector), (outcome, how))

    def key(group: str) -> Key:
        return ("st", outcome, how, group)

    for race in RACE_CATEGORIES:
        cells.share(key(race), int(np.sum(vector & (b.race == race))), ("race", race),
                    published=False)
    for group, members in SURVIVOR_GROUPS.items():
        if len(members) > 1:
            cells.share(key(group), int(np.sum(vector & b.members(group))),
                        survivor_group_key(group), published=False)
            cells.total(key(group), [key(r) for r in members])
    total = b.survivors(vector, key("all"), published=False)
    cells.total(total, [key(r) for r in RACE_CATEGORIES])
    for exposed, reference in CONTRAST_GROUPS.values():
        cells.total(total, [key(exposed), key(reference)])
    if outcome == "self_initiated":
        # Self only <= self-initiated (however summarised) <= self only or dual.
        for race in RACE_CATEGORIES:
            lower, upper = ("pattern", race, "self only"), ("ever", "self", race)
            if how == "ever":
                cells.total(key(race), [upper])
            elif how == "always":
                cells.total(key(race), [lower])
            else:
                b.within(lower, key(race))
                b.within(key(race), upper)
    if first != (outcome, how):
        # Another summary holds for the same survivors: the same counts in every group.
        for group in (*RACE_CATEGORIES, *SURVIVOR_GROUPS):
            cells.total(("st", *first, group), [key(group)])
    return outcome, how


def _model_cells(cells: Cells, extra_covariates: Mapping[str, Sequence[str]] | None
                 ) -> dict[str, list[Key]]:
    """The published cells each clustered model's estimates rest on.

    For each 0/1 term of a model: the contacts where it is 1 (its mean over
    contacts is published with the fit) and the contacts with the model's
    outcome at each level of the term's factor in the describe tables. A
    model is withheld when one of them is (:func:`analysis.disclosure.publish.publish_models`).
    """
    out: dict[str, list[Key]] = {}
    for spec in MODELS.values():
        keys: list[Key] = []
        for term in spec.terms(extra_covariates):
            contacts = PREDICTOR_CELLS.get(term)
            if contacts is None:
                continue   # a count (earlier calls): no cell of its own
            keys.append(contacts)
            if contacts[0] == "contacts":
                factor = contacts[1]
                keys += [k for k in cells.values if isinstance(k, tuple) and len(k) == 4
                         and k[:3] == ("rate", spec.outcome, factor)]
        out[spec.id] = [k for k in dict.fromkeys(keys) if k in cells.published]
    return out


def _claim_cells(b: _Builder, registry: Sequence[Mapping[str, Any]], alpha: float,
                 model_keys: Mapping[str, Sequence[Key]]
                 ) -> dict[str, dict[str, dict[str, Any]]]:
    """The cells of every claim's counts, and the cells each level's estimate rests on."""
    cells, study = b.cells, b.study
    several = b.survivors(study.n_contacts >= 2, ("survivors", "two or more contacts"),
                          published=False)
    b.within(several, SURVIVOR_N)
    b.within(("pattern", ALL_SURVIVORS, "dual"), several)
    arrests = np.bincount(study.cluster, weights=study.outcomes["arrest"],
                          minlength=study.n_participants)
    mixed_vector = (arrests > 0) & (arrests < study.n_contacts) & (study.n_contacts >= 2)
    mixed = b.survivors(mixed_vector, ("survivors", "arrest and no arrest"), published=False)
    b.within(mixed, several)
    # The survivors a share may be restricted to (those with police contact).
    among = {words: b.survivors(holds(study.n_contacts), ("survivors", words), published=False)
             for words, holds in AMONG.items()}
    for key in among.values():
        b.within(key, SURVIVOR_N)

    names: dict[bytes, tuple[str, str]] = {}
    keys: dict[str, dict[str, dict[str, Any]]] = {}
    for entry in registry:
        statistic = entry["statistic"]
        levels: dict[str, dict[str, Any]] = {}
        if statistic in ("share_above", "universal_share"):
            if statistic == "universal_share":
                k = b.survivors(study.indicators["any_strategy"] > 0, ("strategy_any",))
                n = SURVIVOR_N
            else:
                column = entry["column"]
                indicator = SURVIVOR_INDICATORS[column]
                n = SURVIVOR_N if indicator.among is None else among[indicator.among]
                k = b.survivors((study.indicators[column] == 1)
                                & indicator.among_mask(study.n_contacts),
                                ("violence", column, "with police contact"))
                b.within(k, ("violence", column))
                b.within(k, n)
            levels["survivor"] = {"fields": {"successes": k, "n": n}, "cells": [k, n]}
        elif statistic == "initiation_patterns":
            fields = {p: ("pattern", ALL_SURVIVORS, p) for p in INITIATION_PATTERNS}
            levels["survivor"] = {"fields": fields, "cells": list(fields.values())}
        elif statistic == "arrest_inconsistency":
            arrest = rate_key("arrest", ALL_CONTACTS, ALL_CONTACTS_LEVEL)
            levels["contact"] = {"fields": {"successes": arrest, "n": CONTACT_N},
                                 "cells": [arrest, CONTACT_N]}
            levels["survivor"] = {"fields": {"successes": mixed, "n": several},
                                  "cells": [mixed, several]}
        elif statistic == "association" and "contrast" in entry:
            contrast, outcome = entry["contrast"], entry["outcome"]
            exposed, reference = CONTRAST_GROUPS[contrast]
            n1, n0 = contrast_group_keys(contrast)
            factor, level1, level0 = CONTRAST_LEVELS[contrast]
            contact_cells = [rate_key(outcome, factor, level1), contacts_key(factor, level1),
                             rate_key(outcome, factor, level0), contacts_key(factor, level0)]
            missing = [key for key in contact_cells if key not in cells.published]
            if missing:
                raise ValueError(f"claim {entry['id']}: no published contact counts {missing!r}")
            levels["contact"] = {"fields": {"clusters_exposed": n1, "clusters_unexposed": n0},
                                 "cells": [*contact_cells, n1, n0]}
            name = _summary_cells(b, names, outcome, entry["survivor_outcome"])
            yes1, yes0 = ("st", *name, exposed), ("st", *name, reference)
            fields = {"exposed_yes": yes1, "exposed_n": n1, "reference_yes": yes0,
                      "reference_n": n0}
            levels["survivor"] = {"fields": fields, "cells": list(fields.values())}
            if outcome == "arrest" and entry["survivor_outcome"] == "ever":
                b.within(mixed, b.survivors(study.per_survivor(study.outcomes["arrest"], "ever"),
                                            ("st", *name, "all"), published=False))
        elif statistic == "association":
            exposure, outcome = entry["exposure"], entry["outcome"]
            positive, negative, both = sign_vectors(study, exposure, outcome)
            both_key = b.survivors(both, ("survivors", "both kinds", exposure, outcome),
                                   published=False)
            b.within(both_key, several)
            pos = b.survivors(positive, ("sign", exposure, outcome, "positive"))
            neg = b.survivors(negative, ("sign", exposure, outcome, "negative"))
            ties = cells.add(("sign", exposure, outcome, "tied"),
                             int(np.sum(both & ~positive & ~negative)), published=False)
            cells.total(both_key, [pos, neg, ties])
            # The clustered model's estimate: withheld with a count of its outcome by a term.
            levels["contact"] = {"fields": {"n_contacts": CONTACT_N, "n_survivors": SURVIVOR_N},
                                 "cells": list(model_keys[entry["model"]])}
            levels["survivor"] = {"fields": {"positive": pos, "negative": neg},
                                  "cells": [pos, neg]}
        else:
            raise ValueError(f"claim {entry['id']}: the disclosure plan does not know "
                             f"statistic '{statistic}'")
        keys[entry["id"]] = levels

    # What the claims publish: each count field is its cell (the values must agree).
    for result in evaluate_claims(study, list(registry), alpha):
        for level, level_keys in keys[result["id"]].items():
            values = result["levels"][level]
            for name, key in level_keys["fields"].items():
                if name in values and values[name] is not None:
                    cells.add(key, values[name])
    for _, row in survivor_level_tests(study, alpha, registry).iterrows():
        for name, key in keys[row["claim"]]["survivor"]["fields"].items():
            cells.add(key, row[name])
    for contrast in CONTRASTS:
        exposed, reference = b.study.groups(contrast)
        for key, mask in zip(contrast_group_keys(contrast), (exposed, reference), strict=True):
            cells.add(key, int(mask.sum()))
    return keys


# --- the qualitative outputs ------------------------------------------------------------------


def _qualitative_cells(b: _Builder) -> dict[str, Any]:
    cells, tables = b.cells, b.tables
    book = tables["qual_codebook"]
    codes = book["code"].tolist()
    matrix_a = code_by_case(tables, "A")
    matrix_b = code_by_case(tables, "B")
    code_keys = {}
    for code in codes:
        vector = matrix_a[code].to_numpy() == 1
        code_keys[code] = cells.share(("code", code), int(vector.sum()), SURVIVOR_N)
        _same_survivors(cells, b.registry, vector, code_keys[code])
    code_b_keys = {code: cells.share(("code_b", code), int(matrix_b[code].sum()), SURVIVOR_N)
                   for code in codes}
    theme_keys = {}
    for theme, members in book.groupby("theme", sort=False)["code"]:
        vector = matrix_a[members.tolist()].to_numpy().any(axis=1)
        theme_keys[str(theme)] = cells.share(("theme", theme), int(vector.sum()), SURVIVOR_N)
        _same_survivors(cells, b.registry, vector, theme_keys[str(theme)])
    pair_keys = {}
    values = matrix_a.to_numpy() == 1
    for i, ci in enumerate(codes):
        for j in range(i + 1, len(codes)):
            cj = codes[j]
            both = values[:, i] & values[:, j]
            key = cells.add(("co", ci, cj), int(both.sum()))
            _same_survivors(cells, b.registry, both, key)
            pair_keys[(ci, cj)] = pair_keys[(cj, ci)] = key
            only_i = cells.add(("co_only", ci, cj), int(np.sum(values[:, i] & ~values[:, j])),
                               published=False)
            only_j = cells.add(("co_only", cj, ci), int(np.sum(values[:, j] & ~values[:, i])),
                               published=False)
            neither = cells.add(("co_neither", ci, cj),
                                int(np.sum(~values[:, i] & ~values[:, j])), published=False)
            cells.total(code_keys[ci], [key, only_i])
            cells.total(code_keys[cj], [key, only_j])
            cells.total(SURVIVOR_N, [key, only_i, only_j, neither])
    return {"code_keys": code_keys, "code_b_keys": code_b_keys, "theme_keys": theme_keys,
            "pair_keys": pair_keys,
            "agreement_keys": _agreement_cells(b, matrix_a, matrix_b, code_keys, code_b_keys)}


def _agreement_cells(b: _Builder, matrix_a: pd.DataFrame, matrix_b: pd.DataFrame,
                     code_keys: Mapping[str, Key], code_b_keys: Mapping[str, Key]
                     ) -> dict[str, dict[str, Key]]:
    """The two coders' 2x2 table of each code over survivors, and of all codes pooled.

    Every agreement statistic a restricted build publishes
    (:func:`analysis.steps.qualitative.case_agreement`: percent agreement,
    kappa and AC1 with their intervals per code; percent agreement and
    Krippendorff's alpha of the pooled table; the pooled kappa and AC1 of all
    tables) is a function of these tables, and publishing it reveals them;
    so their four counts are published cells, and a statistic is published
    only when none of its counts is withheld
    (:func:`analysis.disclosure.publish.publish_qualitative`).
    """
    cells = b.cells
    keys: dict[str, dict[str, Key]] = {}
    for code in matrix_a.columns:
        x, y = matrix_a[code].to_numpy() == 1, matrix_b[code].to_numpy() == 1
        parts = dict(zip(AGREEMENT_CELLS, (x & y, x & ~y, ~x & y, ~x & ~y), strict=True))
        keys[code] = {kind: cells.add(("agreement", code, kind), int(v.sum()))
                      for kind, v in parts.items()}
        cells.total(code_keys[code], [keys[code]["both"], keys[code]["a_only"]])
        cells.total(code_b_keys[code], [keys[code]["both"], keys[code]["b_only"]])
        cells.total(SURVIVOR_N, [keys[code][kind] for kind in AGREEMENT_CELLS])
    pooled = {}
    for kind in AGREEMENT_CELLS:
        parts = [keys[code][kind] for code in matrix_a.columns]
        pooled[kind] = cells.add(("agreement", ALL_CODES, kind),
                                 sum(cells.values[k] for k in parts))
        cells.total(pooled[kind], parts)
    decisions = cells.add(("agreement", ALL_CODES, "cells"), matrix_a.size, fixed=True)
    cells.total(decisions, [pooled[kind] for kind in AGREEMENT_CELLS])
    return {**keys, ALL_CODES: pooled}


def study_cells(tables: Mapping[str, pd.DataFrame], alpha: float = 0.05,
                registry: Sequence[Mapping[str, Any]] | None = None,
                extra_covariates: Mapping[str, Sequence[str]] | None = None
                ) -> tuple[Cells, dict[str, Any]]:
    """Every count a restricted build publishes, as one :class:`Cells` problem.

    Returns the cells and where the outputs' counts are (``code_keys``,
    ``code_b_keys``, ``theme_keys``, ``pair_keys``, ``agreement_keys``,
    ``claim_keys`` and ``model_keys``). ``extra_covariates`` are the
    configured covariates added to the adjusted models of an outcome.
    """
    registry = list(registry if registry is not None else load_registry())
    b = _Builder(tables)
    cells = b.cells
    cells.add(SURVIVOR_N, len(tables["participants"]), fixed=True)
    cells.add(CONTACT_N, len(tables["incidents"]), fixed=True)
    frames = all_descriptives(tables, alpha)

    _sample_cells(b, frames)
    _pattern_cells(b, frames)
    contrast_outcomes = list(dict.fromkeys(e["outcome"] for e in registry if "contrast" in e))
    _contact_cells(b, frames, contrast_outcomes, alpha)
    _safety_cells(b, frames)
    _outcome_level_links(b)
    for name, prefix in (("violence_forms", "violence"), ("informal_strategies", "strategy")):
        for _, row in frames[name].iterrows():
            cells.share((prefix, row["column"]), row["successes"], SURVIVOR_N)
    cells.share(("strategy_any",), int(np.sum(b.study.indicators["any_strategy"] > 0)),
                SURVIVOR_N, published=False)
    _register_indicators(b, frames)
    model_keys = _model_cells(cells, extra_covariates)
    claim_keys = _claim_cells(b, registry, alpha, model_keys)
    extra = _qualitative_cells(b)
    return cells, {**extra, "claim_keys": claim_keys, "model_keys": model_keys}


def _register_indicators(b: _Builder, frames: Mapping[str, pd.DataFrame]) -> None:
    """Survivor-level indicators of the violence and strategy tables, in the registry."""
    tables = b.tables
    ids = pd.Index(tables["participants"]["participant_id"])
    violence = tables["violence"].set_index("participant_id").reindex(ids)
    strategies = tables["strategies"].set_index("participant_id").reindex(ids)
    for column in frames["violence_forms"]["column"]:
        b.survivors(violence[column].to_numpy() == 1, ("violence", column))
    for column in frames["informal_strategies"]["column"]:
        b.survivors(strategies[column].to_numpy() == 1, ("strategy", column))
    b.survivors(b.study.indicators["any_strategy"] > 0, ("strategy_any",), published=False)


#: Count fields of a claim level that are part of another (no table has more of the part).
PART_OF = (("successes", "n"), ("exposed_yes", "exposed_n"), ("reference_yes", "reference_n"))
#: The most tables :func:`claim_outcomes` evaluates for one claim; beyond, it withholds.
MAX_OUTCOME_TABLES = 20_000


def claim_outcomes(cells: Cells, solved: Suppression, claim_keys: Mapping[str, Any],
                   registry: Sequence[Mapping[str, Any]], alpha: float = 0.05
                   ) -> dict[str, dict[str, bool]]:
    """Per claim: may each level's verdict and direction, and the claim's own, be published?

    A verdict says on which side of a threshold an estimate fell, so a
    withheld level's verdict can narrow the counts the level withholds. It
    is published only when it is the same for every table the audit leaves
    possible: each withheld count field ranges over its feasibility interval
    (all combinations, a superset of the possible tables, so the check errs
    towards withholding), and the verdict and direction are recomputed from
    the counts (:func:`analysis.steps.claims.outcomes_from_counts`) for
    every combination. What counts alone do not decide (a model-based
    level) is withheld with its level. A level whose cells are all shown
    publishes its verdict. The claim's verdict rests on the levels its
    statistic names (:func:`analysis.steps.claims.verdict_levels`: an
    association's primary level, every level of a descriptive claim).
    """
    from itertools import product

    shown = {k for k in cells.published if k not in solved.status}
    out: dict[str, dict[str, bool]] = {}
    for entry in registry:
        levels = claim_keys[entry["id"]]
        withheld = {lv for lv, keys in levels.items() if solved.suppressed(*keys["cells"])}
        rests_on = set(levels) & set(verdict_levels(entry))
        published = {lv: lv not in withheld for lv in levels}
        published["claim"] = not (withheld & rests_on)
        if all(published.values()):
            out[entry["id"]] = published
            continue
        fields = [(lv, f, key) for lv, keys in levels.items() for f, key in keys["fields"].items()]
        free = sorted({key for *_, key in fields if key not in shown}, key=repr)
        bounds = cells.ranges(shown, free)
        sizes = [bounds[k][1] - bounds[k][0] + 1 for k in free]
        seen: dict[str, set] = {name: set() for name in published}
        if all(np.isfinite(sizes)) and np.prod(sizes, dtype=float) <= MAX_OUTCOME_TABLES:
            for point in product(*(range(int(bounds[k][0]), int(bounds[k][1]) + 1)
                                   for k in free)):
                value = {k: cells.values[k] for *_, k in fields}
                value.update(zip(free, point, strict=True))
                counts = {lv: {f: value[key] for lv2, f, key in fields if lv2 == lv}
                          for lv in levels}
                if any(part in c and whole in c and c[part] > c[whole]
                       for c in counts.values() for part, whole in PART_OF):
                    continue   # not a table: more with the outcome than in the group
                outcome = outcomes_from_counts(entry, counts, alpha)
                for lv, pair in outcome["levels"].items():
                    seen[lv].add(pair)
                seen["claim"].add(outcome["claim"])
            for name in published:
                if not published[name]:
                    published[name] = len(seen[name]) == 1 and None not in next(iter(seen[name]))
        out[entry["id"]] = published
    return out


def study_plan(tables: Mapping[str, pd.DataFrame], threshold: int, alpha: float = 0.05,
               extra_covariates: Mapping[str, Sequence[str]] | None = None) -> StudyPlan:
    """Solve the suppression of a restricted build (see :func:`study_cells`)."""
    registry = load_registry()
    cells, extra = study_cells(tables, alpha, registry, extra_covariates)
    solved = cells.solve(threshold)
    outcomes = claim_outcomes(cells, solved, extra["claim_keys"], registry, alpha)
    return StudyPlan(solved, frozenset(cells.published), **extra, claim_outcomes=outcomes)
