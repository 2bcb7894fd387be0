"""This study's suppression plan: every count a restricted build publishes, and how.

The cells and constraints of a whole restricted build are made once by
:func:`study_cells` from the study tables, so a number that appears in several
outputs (the Black survivors in the sample table, the initiation table, the
survivor-level tests and the power statement) gets the same decision
everywhere. The workflow solves the plan once (rule ``disclosure_plan``,
``python -m analysis disclosure-plan``) and writes its published cells
(:meth:`StudyPlan.document`); every step then publishes its own part with
:mod:`analysis.disclosure.publish`. The rules are those of
:mod:`analysis.disclosure.cells`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.disclosure.cells import Cells, Suppression
from analysis.disclosure.keys import (
    ALL_CONTACTS,
    ALL_SURVIVORS,
    CONTACT_N,
    SURVIVOR_N,
    contacts_key,
    group_size_key,
    rate_key,
    sample_key,
)
from analysis.disclosure.markers import Key
from analysis.steps.describe import all_descriptives
from analysis.steps.infer import survivor_level_tests
from analysis.steps.qualitative import code_by_case
from analysis.study.arrays import StudyArrays
from analysis.study.vocabulary import RACE_CATEGORIES


def _vector_key(registry: dict[bytes, Key], vector: np.ndarray, default: Key) -> Key:
    """The key of a survivor-level indicator: an earlier key when the same survivors have it."""
    signature = np.asarray(vector, dtype=np.int8).tobytes()
    return registry.setdefault(signature, default)


@dataclass(frozen=True)
class StudyPlan:
    """The suppression of a restricted build, and where each output's cells are."""

    suppression: Suppression
    _published: frozenset
    code_keys: dict[str, Key]
    code_b_keys: dict[str, Key]
    theme_keys: dict[str, Key]
    pair_keys: dict[tuple[str, str], Key]

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
        value of a suppressed or unpublished cell is never written.
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
        }


def study_cells(tables: Mapping[str, pd.DataFrame], alpha: float = 0.05
                ) -> tuple[Cells, dict[str, dict]]:
    """Every count a restricted build publishes, as one :class:`Cells` problem."""

    cells = Cells()
    participants = tables["participants"]
    ids = pd.Index(participants["participant_id"])
    cells.add(SURVIVOR_N, len(participants), fixed=True)
    cells.add(CONTACT_N, len(tables["incidents"]), fixed=True)
    frames = all_descriptives(tables, alpha)

    sample = frames["sample"]
    by_characteristic: dict[str, list[Key]] = {}
    for _, row in sample.iterrows():
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

    patterns = frames["initiation_patterns"]
    for _, row in patterns.iterrows():
        cells.add(("pattern", row["group"], row["pattern"]), row["successes"])
    for group, rows in patterns.groupby("group", sort=False):
        cells.total(group_size_key(str(group)), [("pattern", group, p) for p in rows["pattern"]])
    for pattern in dict.fromkeys(patterns["pattern"]):
        cells.total(("pattern", ALL_SURVIVORS, pattern),
                    [("pattern", r, pattern) for r in RACE_CATEGORIES])

    for name in ("practices_by", "arrests_by", "expected_vs_actual"):
        frame = frames[name]
        for _, row in frame.iterrows():
            n_key = cells.add(contacts_key(row["factor"], row["level"]), row["n"])
            cells.share(rate_key(row["outcome"], row["factor"], row["level"]),
                        row["successes"], n_key)
        for factor, rows in frame.groupby("factor", sort=False):
            if factor == ALL_CONTACTS:
                continue
            levels = list(dict.fromkeys(rows["level"]))
            cells.total(CONTACT_N, [contacts_key(str(factor), lv) for lv in levels])
            for outcome in dict.fromkeys(rows["outcome"]):
                cells.total(rate_key(outcome, ALL_CONTACTS, "all contacts"),
                            [rate_key(outcome, str(factor), lv) for lv in levels])

    for name, prefix in (("violence_forms", "violence"), ("informal_strategies", "strategy")):
        for _, row in frames[name].iterrows():
            cells.share((prefix, row["column"]), row["successes"], SURVIVOR_N)

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

    study = StudyArrays.from_tables(tables)
    tests = survivor_level_tests(study, alpha)
    black, other = ("race", "Black"), ("race_other",)
    for _, row in tests.iterrows():
        cells.add(black, row["black_n"])
        cells.add(other, row["other_n"])
        outcome = row["outcome"]
        yes_b = cells.share(("st", outcome, "Black"), row["black_yes"], black)
        yes_o = cells.share(("st", outcome, "other"), row["other_yes"], other)
        every = cells.add(("st", outcome, "all"), row["black_yes"] + row["other_yes"],
                          published=False)
        cells.total(every, [yes_b, yes_o])
    if other in cells.values:
        cells.total(SURVIVOR_N, [black, other])
        cells.total(other, [("race", r) for r in RACE_CATEGORIES if r != "Black"])
    ever = ("self only", "dual")
    if ("st", "self_initiated", "all") in cells.values:
        cells.total(("st", "self_initiated", "Black"), [("pattern", "Black", p) for p in ever])
        cells.total(("st", "self_initiated", "other"),
                    [("pattern", r, p) for r in RACE_CATEGORIES if r != "Black" for p in ever])
        cells.total(("st", "self_initiated", "all"), [("pattern", ALL_SURVIVORS, p) for p in ever])
    ever_external = cells.add(("ever", "external"),
                              sum(cells.values[("pattern", ALL_SURVIVORS, p)]
                                  for p in ("external only", "dual")), published=False)
    cells.total(ever_external, [("pattern", ALL_SURVIVORS, p) for p in ("external only", "dual")])

    # The race-disparity claims (risk differences at contact level) publish the
    # outcome counts of Black and other survivors' contacts.
    race_group = np.where(study.black_incident == 1, "Black", "other")
    for lv in ("Black", "other"):
        cells.share(rate_key("self_initiated", "Race", lv),
                    int(study.outcomes["self_initiated"][race_group == lv].sum()),
                    contacts_key("Race", lv))
    cells.total(contacts_key("Who initiated", "self"),
                [rate_key("self_initiated", "Race", lv) for lv in ("Black", "other")])
    cells.share(("strategy_any",), int(np.sum(study.n_strategies > 0)), SURVIVOR_N)

    # Survivor-level indicators: a qualitative code or theme that holds for the
    # same survivors as a quantitative indicator is the same cell.
    registry: dict[bytes, Key] = {}
    violence = tables["violence"].set_index("participant_id").reindex(ids)
    strategies = tables["strategies"].set_index("participant_id").reindex(ids)
    per_survivor = {
        ("st", "self_initiated", "all"): study.outcomes["self_initiated"],
        ("ever", "external"): 1 - study.outcomes["self_initiated"],
        ("st", "any_practice", "all"): study.outcomes["any_practice"],
        ("st", "arrest", "all"): study.outcomes["arrest"],
    }
    for key, outcome in per_survivor.items():
        ever_vector = np.bincount(study.cluster, weights=outcome, minlength=len(ids)) > 0
        _vector_key(registry, ever_vector, key)
    for column in frames["violence_forms"]["column"]:
        _vector_key(registry, violence[column].to_numpy() == 1, ("violence", column))
    for column in frames["informal_strategies"]["column"]:
        _vector_key(registry, strategies[column].to_numpy() == 1, ("strategy", column))
    _vector_key(registry, study.n_strategies > 0, ("strategy_any",))
    _vector_key(registry, participants["children_in_home"].to_numpy() == 1, ("children", "yes"))

    book = tables["qual_codebook"]
    codes = book["code"].tolist()
    matrix_a = code_by_case(tables, "A")
    matrix_b = code_by_case(tables, "B")
    code_keys = {}
    for code in codes:
        vector = matrix_a[code].to_numpy() == 1
        key = _vector_key(registry, vector, ("code", code))
        code_keys[code] = cells.share(key, int(vector.sum()), SURVIVOR_N)
    code_b_keys = {code: cells.share(("code_b", code), int(matrix_b[code].sum()), SURVIVOR_N)
                   for code in codes}
    theme_keys = {}
    for theme, members in book.groupby("theme", sort=False)["code"]:
        vector = matrix_a[members.tolist()].to_numpy().any(axis=1)
        key = _vector_key(registry, vector, ("theme", theme))
        theme_keys[str(theme)] = cells.share(key, int(vector.sum()), SURVIVOR_N)
    pair_keys = {}
    values = matrix_a.to_numpy() == 1
    for i, ci in enumerate(codes):
        for j in range(i + 1, len(codes)):
            cj = codes[j]
            both = values[:, i] & values[:, j]
            key = _vector_key(registry, both, ("co", ci, cj))
            pair_keys[(ci, cj)] = pair_keys[(cj, ci)] = cells.add(key, int(both.sum()))
            only_i = cells.add(("co_only", ci, cj), int(np.sum(values[:, i] & ~values[:, j])),
                               published=False)
            only_j = cells.add(("co_only", cj, ci), int(np.sum(values[:, j] & ~values[:, i])),
                               published=False)
            neither = cells.add(("co_neither", ci, cj),
                                int(np.sum(~values[:, i] & ~values[:, j])), published=False)
            cells.total(code_keys[ci], [key, only_i])
            cells.total(code_keys[cj], [key, only_j])
            cells.total(SURVIVOR_N, [key, only_i, only_j, neither])
    extra = {"code_keys": code_keys, "code_b_keys": code_b_keys, "theme_keys": theme_keys,
             "pair_keys": pair_keys}
    return cells, extra


def study_plan(tables: Mapping[str, pd.DataFrame], threshold: int,
               alpha: float = 0.05) -> StudyPlan:
    """Solve the suppression of a restricted build (see :func:`study_cells`)."""
    cells, extra = study_cells(tables, alpha)
    return StudyPlan(cells.solve(threshold), frozenset(cells.published), **extra)


