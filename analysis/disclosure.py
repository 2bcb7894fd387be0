"""Disclosure control for restricted (real) data: small-cell suppression and the publish check.

Two tools live here.

**Small-cell suppression** (restricted mode, ``data_source: restricted``).
Every count a restricted build publishes (tables, values, figures, the
qualitative summaries) is a *cell* of one :class:`Cells` problem, and the
arithmetic that links published numbers is a set of *constraints*
``total = part + part + ...``. The rules:

1. *Primary suppression*: a count of 1 to ``threshold - 1`` is shown as
   ``"<3"`` (``f"<{threshold}"``). Zero is shown: it describes nobody.
2. *Proportions*: a count ``k`` of a published ``n`` is a constraint
   ``n = k + (n - k)`` whose second part is never shown but is still a cell:
   when ``n - k`` is 1 to ``threshold - 1`` (for example 22 of 24), ``k`` is
   suppressed too, because ``n - k`` would reveal the small group.
3. *Complementary suppression*: no suppressed cell may be derivable from the
   published ones. Whenever a constraint has exactly one unknown member that
   must stay hidden (a small cell, a suppressed cell or a small unpublished
   complement), the smallest non-zero part still shown in that constraint is
   suppressed as well (shown as ``"suppressed"``); failing that its total,
   failing that a zero. This repeats until nothing protected can be derived,
   and a final linear-algebra check (the null space of the constraints over
   the unknown cells) makes sure that no combination of published sums
   determines a protected cell either. Bounds (a suppressed cell is known to
   lie between two numbers) are not protected against.
4. *Derived numbers* (shares, intervals, odds ratios, p-values, kappas,
   percent agreement) of a suppressed count or denominator are suppressed.

The cells and constraints of a whole restricted build are made once by
:func:`study_cells` from the study tables, so a number that appears in several
outputs (the Black survivors in the sample table, the initiation table, the
survivor-level tests and the power statement) gets the same decision
everywhere. Each step recomputes the same plan (it is deterministic and takes
well under a second) and publishes its own part of it.

**Disclosure check** for publishing synthetic data made from real data:
:func:`quasi_identifier_match_share` is the share of synthetic survivors
whose quasi-identifiers (age band, race/ethnicity, children in the home,
relationship status) exactly match at least one restricted survivor, and
:func:`check_disclosure` fails above a threshold. Run it as::

    python -m analysis.disclosure --synthetic data/synthetic \\
        --restricted data/restricted --threshold 0.5 \\
        --output results/restricted/disclosure.json
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

PRIMARY = "primary"
COMPLEMENTARY = "complementary"
#: How a complementary (secondary) suppression is shown.
SUPPRESSED = "suppressed"

Key = Hashable


def marker(threshold: int) -> str:
    """How a small count is shown: ``"<3"`` for a threshold of 3."""
    return f"<{threshold}"


def is_suppressed(value: Any) -> bool:
    """True for a published cell that was suppressed (``"<3"`` or ``"suppressed"``)."""
    return isinstance(value, str) and (value == SUPPRESSED or value.startswith("<"))


def is_missing(value: Any) -> bool:
    """True for a suppressed marker, None or NaN: the number is not published."""
    if value is None or is_suppressed(value):
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def count_text(value: Any) -> str:
    """A published count as text: the marker as is, otherwise the integer."""
    if is_suppressed(value):
        return str(value)
    return str(int(float(value)))


class SuppressionError(RuntimeError):
    """The suppression problem cannot be protected (a bug or a degenerate table)."""


# ---------------------------------------------------------------------------
# The suppression problem


@dataclass
class Cells:
    """Counts (cells) and the sums that link them (constraints ``total = sum(parts)``).

    A cell is *published* when some output shows it (unless suppressed); an
    unpublished cell (such as the ``n - k`` of a proportion) is never shown
    but its value still decides what must be protected. A *fixed* cell (the
    sample size) is published and never suppressed.
    """

    values: dict[Key, int] = field(default_factory=dict)
    published: set[Key] = field(default_factory=set)
    fixed: set[Key] = field(default_factory=set)
    constraints: list[tuple[Key, tuple[Key, ...]]] = field(default_factory=list)
    _seen: set[tuple[Key, tuple[Key, ...]]] = field(default_factory=set, repr=False)
    _determined: dict[Any, list[Key]] = field(default_factory=dict, repr=False)

    def add(self, key: Key, value: int | float, *, published: bool = True,
            fixed: bool = False) -> Key:
        """Add a cell (or check an existing one has the same value)."""
        value = int(value)
        if key in self.values and self.values[key] != value:
            raise ValueError(f"cell {key!r} has two values: {self.values[key]} and {value}")
        self.values.setdefault(key, value)
        if published or fixed:
            self.published.add(key)
        if fixed:
            self.fixed.add(key)
        return key

    def total(self, total: Key, parts: Iterable[Key]) -> None:
        """Add the constraint ``total = sum(parts)`` (all cells must exist; checked)."""
        parts = tuple(parts)
        for key in (total, *parts):
            if key not in self.values:
                raise KeyError(f"constraint names an unknown cell {key!r}")
        if sum(self.values[p] for p in parts) != self.values[total]:
            raise ValueError(f"cells {parts!r} do not add up to {total!r}")
        if (total, parts) not in self._seen and len(parts) > 0:
            self._seen.add((total, parts))
            self.constraints.append((total, parts))

    def share(self, key: Key, value: int | float, denominator: Key, *,
              published: bool = True) -> Key:
        """Add ``key`` as a count of the published ``denominator`` (with its unpublished rest)."""
        self.add(key, value, published=published)
        rest = ("not", key, denominator)
        self.add(rest, self.values[denominator] - self.values[key], published=False)
        self.total(denominator, (key, rest))
        return key

    # -- solving --------------------------------------------------------------

    def _closure(self, shown: set[Key]) -> dict[Key, int | None]:
        """Cells known from the shown ones; the value is the constraint that derived it."""
        known: dict[Key, int | None] = dict.fromkeys(shown)
        changed = True
        while changed:
            changed = False
            for index, (total, parts) in enumerate(self.constraints):
                unknown = [m for m in (total, *parts) if m not in known]
                if len(unknown) == 1:
                    known[unknown[0]] = index
                    changed = True
        return known

    def solve(self, threshold: int) -> Suppression:
        """Primary and complementary suppression at ``threshold`` (see the module docstring)."""
        if threshold < 1:
            raise ValueError(f"small-cell threshold must be at least 1, got {threshold}")
        order = {key: i for i, key in enumerate(self.values)}
        sensitive = {k for k, v in self.values.items() if 0 < v < threshold and k not in self.fixed}
        status: dict[Key, str] = {k: PRIMARY for k in self.values
                                  if k in sensitive and k in self.published}
        protect = set(sensitive)
        for _ in range(10 * len(self.values) + 10):
            shown = {k for k in self.published if k not in status}
            known = self._closure(shown)
            exposed = sorted((k for k in protect if k in known and k not in shown),
                             key=order.__getitem__)
            if not exposed:
                # Sums of constraints can reveal what no single constraint does
                # (a + b and b + c published reveal a - c): check with linear algebra.
                determined = [k for k in self.determined(shown) if k in protect]
                if not determined:
                    return Suppression(dict(self.values), status, threshold)
                self._protect_determined(determined[0], shown, status, protect, order)
                continue
            # A zero is suppressed only when no exposed cell can be protected otherwise.
            if not any(self._protect(key, known, shown, status, protect, order, zeros)
                       for zeros in (False, True) for key in exposed):
                raise SuppressionError(f"cannot protect cell {exposed[0]!r}")
        raise SuppressionError("suppression did not converge")

    def _components(self, shown: set[Key]) -> list[tuple[list[Key], list[int]]]:
        """Groups of unknown cells linked by constraints, each with its constraints' indices."""
        parent: dict[Key, Key] = {}

        def find(k: Key) -> Key:
            while parent.setdefault(k, k) != k:
                parent[k] = parent[parent[k]]
                k = parent[k]
            return k

        for total, parts in self.constraints:
            unknown = [m for m in (total, *parts) if m not in shown]
            for m in unknown[1:]:
                parent[find(m)] = find(unknown[0])
        groups: dict[Key, tuple[list[Key], list[int]]] = {}
        for k in self.values:
            if k not in shown:
                groups.setdefault(find(k), ([], []))[0].append(k)
        for index, (total, parts) in enumerate(self.constraints):
            unknown = [m for m in (total, *parts) if m not in shown]
            if unknown:
                groups[find(unknown[0])][1].append(index)
        return list(groups.values())

    def _matrix(self, unknown: Sequence[Key], rows: Sequence[int]) -> np.ndarray:
        """Constraints ``rows`` (+1 total, -1 parts) over the ``unknown`` cells."""
        column = {k: i for i, k in enumerate(unknown)}
        matrix = np.zeros((max(len(rows), 1), len(unknown)))
        for row, index in enumerate(rows):
            total, parts = self.constraints[index]
            if total in column:
                matrix[row, column[total]] += 1
            for part in parts:
                if part in column:
                    matrix[row, column[part]] -= 1
        return matrix

    def determined(self, shown: set[Key]) -> list[Key]:
        """Unpublished or suppressed cells whose value follows from the shown ones.

        A cell is determined when no solution of the constraints (with the
        shown cells fixed) can change it: its row of the null space of the
        constraint matrix over the unknown cells is zero. Groups of unknown
        cells not linked by any constraint are solved separately (and cached).
        """
        from scipy.linalg import null_space

        out = []
        for unknown, rows in self._components(shown):
            signature = (frozenset(unknown), tuple(rows))
            if signature not in self._determined:
                basis = null_space(self._matrix(unknown, rows))
                free = (np.abs(basis).max(axis=1) > 1e-9 if basis.size
                        else np.zeros(len(unknown), dtype=bool))
                self._determined[signature] = [k for k, f in zip(unknown, free, strict=True)
                                               if not f]
            out.extend(self._determined[signature])
        return out

    def _protect_determined(self, key: Key, shown: set[Key], status: dict[Key, str],
                            protect: set[Key], order: Mapping[Key, int]) -> None:
        """Suppress a shown cell so that ``key`` is no longer determined.

        The constraints whose combination determines ``key`` (a solution of
        ``M^T y = e_key`` over the unknown cells of its group) name the
        candidates: their shown cells, the smallest non-zero first.
        """
        unknown, rows = next(c for c in self._components(shown) if key in c[0])
        target = np.zeros(len(unknown))
        target[unknown.index(key)] = 1.0
        weights = np.linalg.lstsq(self._matrix(unknown, rows).T, target, rcond=None)[0]
        used = [self.constraints[rows[i]] for i in np.flatnonzero(np.abs(weights) > 1e-9)]
        candidates = sorted({m for total, parts in used for m in (total, *parts)
                             if m in shown and m not in self.fixed},
                            key=lambda m: (self.values[m] == 0, self.values[m], order[m]))
        if not candidates:
            raise SuppressionError(f"cannot protect cell {key!r}")
        working = [m for m in candidates if key not in self.determined(shown - {m})]
        choice = (working or candidates)[0]
        status[choice] = COMPLEMENTARY
        protect.add(choice)

    def _protect(self, key: Key, known: Mapping[Key, int | None], shown: set[Key],
                 status: dict[Key, str], protect: set[Key], order: Mapping[Key, int],
                 zeros: bool) -> bool:
        """Break the derivation of ``key``; False if this cell offers no move."""
        index = known[key]
        if index is None:
            return False
        total, parts = self.constraints[index]
        members = [m for m in (total, *parts) if m != key]
        candidates = [m for m in members if m in shown and m not in self.fixed]
        nonzero = sorted((m for m in candidates if m in parts and self.values[m] > 0),
                         key=lambda m: (self.values[m], order[m]))
        choice = (nonzero or [m for m in candidates if m == total] or [None])[0]
        if choice is None:
            # The other members are derived from elsewhere: protect them, so
            # that their own derivations are broken next.
            new = [m for m in members
                   if m not in shown and m not in protect and m not in self.fixed]
            if new:
                protect.update(new)
                return True
            # Last resort: a zero.
            zero_parts = [m for m in candidates if m in parts]
            if not zeros or not zero_parts:
                return False
            choice = zero_parts[0]
        status[choice] = COMPLEMENTARY
        protect.add(choice)
        return True


@dataclass(frozen=True)
class Suppression:
    """The solved problem: which published cells are suppressed, and how they are shown."""

    values: dict[Key, int]
    status: dict[Key, str]
    threshold: int

    def suppressed(self, *keys: Key) -> bool:
        """True if any of ``keys`` is suppressed."""
        return any(k in self.status for k in keys)

    def text(self, key: Key) -> str | int:
        """The published form of a cell: its count, ``"<3"`` or ``"suppressed"``."""
        state = self.status.get(key)
        if state == PRIMARY:
            return marker(self.threshold)
        if state == COMPLEMENTARY:
            return SUPPRESSED
        return self.values[key]


# ---------------------------------------------------------------------------
# One tidy table


def suppress_frame(frame: pd.DataFrame, count: str, threshold: int = 3, *,
                   total: str | None = None, groups: Sequence[str] = (),
                   derived: Sequence[str] = ()) -> pd.DataFrame:
    """Small-cell suppression of one tidy table.

    Parameters
    ----------
    frame
        One row per cell.
    count
        The column of counts.
    threshold
        Counts of 1 to ``threshold - 1`` are shown as ``"<threshold"``.
    total
        The column with each row's published total (the sample size, a group
        size). Without ``groups`` every row is a proportion ``count/total``,
        and ``total - count`` counts too. With ``groups`` the counts of a
        group add up to its total.
    groups
        Columns that define groups whose counts add up to a published total:
        ``total`` if given, else their sum (which is then taken as published).
    derived
        Columns computed from the count (share, interval): blanked where the
        count is suppressed.

    Returns
    -------
    DataFrame
        A copy with ``count`` as published text (integer, ``"<3"`` or
        ``"suppressed"``) and the ``derived`` columns empty where suppressed.
    """
    cells = Cells()
    keys = [("row", i) for i in range(len(frame))]
    values = frame[count].astype(int).tolist()
    if groups:
        grouped = frame.reset_index(drop=True).groupby(list(groups), sort=False).indices
        for name, rows in grouped.items():
            members = [cells.add(keys[i], values[i]) for i in rows]
            size = (int(frame[total].iloc[rows[0]]) if total is not None
                    else sum(values[i] for i in rows))
            group_key = cells.add(("group", name), size, fixed=True)
            cells.total(group_key, members)
    elif total is not None:
        for i, key in enumerate(keys):
            n_key = cells.add(("total", i), int(frame[total].iloc[i]), fixed=True)
            cells.share(key, values[i], n_key)
    else:
        for i, key in enumerate(keys):
            cells.add(key, values[i])
    solved = cells.solve(threshold)
    out = frame.copy()
    out[count] = pd.Series([solved.text(k) for k in keys], index=frame.index, dtype=object)
    hidden = np.array([solved.suppressed(k) for k in keys], dtype=bool)
    for column in derived:
        out[column] = out[column].astype(float).where(~hidden)
    return out


# ---------------------------------------------------------------------------
# The plan of a whole restricted build

RACES = ("Black", "White", "Latina", "Multiracial/other")
ALL_SURVIVORS = "All survivors"
ALL_CONTACTS = "All contacts"
#: The tables a restricted build's suppression plan is made from (no transcripts or excerpts).
PLAN_TABLES = ("participants", "incidents", "violence", "strategies", "qual_codebook",
               "code_applications")
SAFETY_LEVELS = {("Who initiated", "survivor called"): ("Who initiated", "self"),
                 ("Who initiated", "someone else called"): ("Who initiated", "external")}
SURVIVOR_N = ("N",)
CONTACT_N = ("C",)


def sample_key(characteristic: str, category: str) -> Key:
    if characteristic == "Race/ethnicity":
        return ("race", category)
    if characteristic == "Children in the home":
        return ("children", category)
    if characteristic == "Relationship with partner":
        return ("relationship", category)
    return SURVIVOR_N


def group_size_key(group: str) -> Key:
    return SURVIVOR_N if group == ALL_SURVIVORS else ("race", group)


def contacts_key(factor: str, level: str) -> Key:
    factor, level = SAFETY_LEVELS.get((factor, level), (factor, level))
    return CONTACT_N if factor == ALL_CONTACTS else ("contacts", factor, level)


def rate_key(outcome: str, factor: str, level: str) -> Key:
    return ("rate", outcome, factor, level)


def _vector_key(registry: dict[bytes, Key], vector: np.ndarray, default: Key) -> Key:
    """The key of a survivor-level indicator: an earlier key when the same survivors have it."""
    signature = np.asarray(vector, dtype=np.int8).tobytes()
    return registry.setdefault(signature, default)


@dataclass(frozen=True)
class StudyPlan:
    """The suppression of a restricted build, and where each output's cells are."""

    suppression: Suppression
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


def study_cells(tables: Mapping[str, pd.DataFrame], alpha: float = 0.05
                ) -> tuple[Cells, dict[str, dict]]:
    """Every count a restricted build publishes, as one :class:`Cells` problem."""
    from analysis.claims import StudyArrays
    from analysis.describe import all_descriptives
    from analysis.infer import survivor_level_tests
    from analysis.qualitative import code_by_case

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
                    [("pattern", r, pattern) for r in RACES])

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
        cells.total(other, [("race", r) for r in RACES if r != "Black"])
    ever = ("self only", "dual")
    if ("st", "self_initiated", "all") in cells.values:
        cells.total(("st", "self_initiated", "Black"), [("pattern", "Black", p) for p in ever])
        cells.total(("st", "self_initiated", "other"),
                    [("pattern", r, p) for r in RACES if r != "Black" for p in ever])
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
    return StudyPlan(cells.solve(threshold), **extra)


# ---------------------------------------------------------------------------
# Publishing each output


def _publish_rows(frame: pd.DataFrame, plan: StudyPlan, count_key, n_key,
                  derived: Sequence[str], count: str = "successes", n: str = "n") -> pd.DataFrame:
    out = frame.copy()
    counts, sizes, hide = [], [], []
    for _, row in frame.iterrows():
        k_key, size_key = count_key(row), n_key(row)
        counts.append(plan.text(k_key))
        sizes.append(plan.text(size_key))
        hide.append(plan.suppressed(k_key, size_key))
    out[count] = pd.Series(counts, index=frame.index, dtype=object)
    out[n] = pd.Series(sizes, index=frame.index, dtype=object)
    mask = np.array(hide, dtype=bool)
    for column in derived:
        if column in out.columns:
            out[column] = out[column].astype(float).where(~mask)
    return out


SHARE_COLUMNS = ("share", "ci_low", "ci_high")


def publish_descriptives(frames: Mapping[str, pd.DataFrame], plan: StudyPlan
                         ) -> dict[str, pd.DataFrame]:
    """The descriptive tables of :func:`analysis.describe.all_descriptives`, suppressed.

    Minimum and maximum of age and of police contacts are single survivors'
    values and are left empty.
    """
    out = {}
    sample = frames["sample"].copy()
    keys = [sample_key(c, k) for c, k in zip(sample["characteristic"], sample["category"],
                                             strict=True)]
    sample["n"] = pd.Series([plan.text(k) for k in keys], index=sample.index, dtype=object)
    sample["share"] = sample["share"].astype(float).where(
        ~np.array([plan.suppressed(k) for k in keys], dtype=bool))
    for column in ("min", "max"):
        sample[column] = np.nan
    out["sample"] = sample
    out["initiation_patterns"] = _publish_rows(
        frames["initiation_patterns"], plan,
        lambda r: ("pattern", r["group"], r["pattern"]), lambda r: group_size_key(r["group"]),
        SHARE_COLUMNS)
    for name in ("practices_by", "arrests_by", "expected_vs_actual"):
        out[name] = _publish_rows(
            frames[name], plan, lambda r: rate_key(r["outcome"], r["factor"], r["level"]),
            lambda r: contacts_key(r["factor"], r["level"]), (*SHARE_COLUMNS, "gap"))
    for name, prefix in (("violence_forms", "violence"), ("informal_strategies", "strategy")):
        out[name] = _publish_rows(frames[name], plan, lambda r, p=prefix: (p, r["column"]),
                                  lambda r: SURVIVOR_N, SHARE_COLUMNS)
    out["safety_change"] = _publish_rows(
        frames["safety_change"], plan,
        lambda r: ("safety", r["factor"], r["level"], r["safety_change"]),
        lambda r: contacts_key(r["factor"], r["level"]), SHARE_COLUMNS)
    return out


def publish_survivor_tests(frame: pd.DataFrame, plan: StudyPlan) -> pd.DataFrame:
    """Survivor-level tests: counts suppressed, and the test of a row with a suppressed cell."""
    out = frame.copy()
    derived = ("odds_ratio", "ci_low", "ci_high", "p_value", "p_holm")
    hide = []
    for column, key in (("black_yes", lambda o: ("st", o, "Black")),
                        ("black_n", lambda o: ("race", "Black")),
                        ("other_yes", lambda o: ("st", o, "other")),
                        ("other_n", lambda o: ("race_other",))):
        out[column] = pd.Series([plan.text(key(o)) for o in frame["outcome"]],
                                index=frame.index, dtype=object)
    for outcome in frame["outcome"]:
        hide.append(plan.suppressed(("st", outcome, "Black"), ("st", outcome, "other"),
                                    ("race", "Black"), ("race_other",)))
    mask = np.array(hide, dtype=bool)
    for column in derived:
        out[column] = out[column].astype(float).where(~mask)
    out["reason"] = out["reason"].where(~mask, "suppressed: a count of this comparison is small")
    return out


def publish_power(power: Mapping[str, Any], plan: StudyPlan) -> dict[str, Any]:
    """The power statement: its group sizes, and everything computed from them if suppressed."""
    keys = {"n1": ("race", "Black"), "n0": ("race_other",)}
    if not plan.suppressed(*keys.values()):
        return dict(power)
    out: dict[str, Any] = {k: (None if k != "alpha" else v) for k, v in power.items()}
    for name, key in keys.items():
        out[name] = plan.text(key)
    return out


def claim_cells(entry: Mapping[str, Any]) -> list[Key]:
    """The published cells behind a claim's estimate (none for model-based claims)."""
    statistic = entry["statistic"]
    if statistic == "majority_share":
        return [("violence", entry["column"])]
    if statistic == "universal_share":
        return [("strategy_any",)]
    if statistic == "arrest_inconsistency":
        return [rate_key("arrest", ALL_CONTACTS, "all contacts")]
    if statistic == "risk_difference":
        return [rate_key(entry["outcome"], "Race", lv) for lv in ("Black", "other")] + [
            contacts_key("Race", lv) for lv in ("Black", "other")]
    return []


WITHHELD = "counts withheld: restricted data"


def publish_claims(results: Sequence[Mapping[str, Any]], registry: Sequence[Mapping[str, Any]],
                   plan: StudyPlan) -> list[dict[str, Any]]:
    """Claims with the estimate of any claim resting on a suppressed cell suppressed.

    The verdict stays (it is a comparison with a fixed value, not a count), and
    the counts in the reasons of descriptive claims are withheld.
    """
    entries = {e["id"]: e for e in registry}
    out = []
    for result in results:
        entry = entries[result["id"]]
        claim = dict(result)
        if entry["statistic"] != "gee_odds_ratio":
            verdict = "holds" if claim["reproduced"] else "does not hold"
            claim["reason"] = f"{entry['rule']}: {verdict} ({WITHHELD})"
        if plan.suppressed(*claim_cells(entry)):
            for key in ("estimate", "ci_low", "ci_high", "p_value", "p_value_holm"):
                claim[key] = None
            claim["significant"] = None
            claim["suppressed"] = True
        out.append(claim)
    return out


def publish_qualitative(themes: pd.DataFrame, cooccurrence: pd.DataFrame,
                        per_code: pd.DataFrame, plan: StudyPlan
                        ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Themes, co-occurrence and per-code agreement, suppressed (no survivor-level rows)."""
    themes = themes.copy()
    keys = [plan.theme_keys[t] if level == "theme" else plan.code_keys[c]
            for level, t, c in zip(themes["level"], themes["theme"], themes["code"], strict=True)]
    themes["cases"] = pd.Series([plan.text(k) for k in keys], index=themes.index, dtype=object)
    themes["share"] = themes["share"].astype(float).where(
        ~np.array([plan.suppressed(k) for k in keys], dtype=bool))

    co = cooccurrence.copy().astype(object)
    for ci in co.index:
        for cj in co.columns:
            key = plan.code_keys[ci] if ci == cj else plan.pair_keys[(ci, cj)]
            co.loc[ci, cj] = plan.text(key)

    agreement = per_code.copy()
    hide = []
    for column, keys_of in (("cases_a", plan.code_keys), ("cases_b", plan.code_b_keys)):
        agreement[column] = pd.Series([plan.text(keys_of[c]) for c in per_code["code"]],
                                      index=per_code.index, dtype=object)
    for code in per_code["code"]:
        hide.append(plan.suppressed(plan.code_keys[code], plan.code_b_keys[code]))
    mask = np.array(hide, dtype=bool)
    for column in ("agreement", "kappa"):
        agreement[column] = agreement[column].astype(float).where(~mask)
    agreement["band"] = agreement["band"].where(~mask, SUPPRESSED)
    agreement["reason"] = agreement["reason"].where(
        ~mask, "suppressed: a count of this code is small")
    return themes, co, agreement


# ---------------------------------------------------------------------------
# Disclosure check: synthetic data made from real data

#: Age bands of the quasi-identifiers (inclusive bounds; the last is open).
AGE_BANDS = (("18-24", 18, 24), ("25-34", 25, 34), ("35-44", 35, 44), ("45-54", 45, 54),
             ("55+", 55, None))
QUASI_IDENTIFIERS = ("age_band", "race_ethnicity", "children_in_home", "relationship_status")
#: Default of ``disclosure_max_match_share`` (the reasoning is in the README).
DEFAULT_MAX_MATCH_SHARE = 0.5


class DisclosureError(ValueError):
    """Synthetic data match the restricted data on quasi-identifiers too often.

    ``report`` is the disclosure report (with ``passed: false``).
    """

    def __init__(self, message: str, report: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.report = dict(report)


def age_band(age: pd.Series) -> pd.Series:
    """Age in the bands 18-24, 25-34, 35-44, 45-54, 55+."""
    bins = [-math.inf] + [hi + 0.5 for _, _, hi in AGE_BANDS[:-1]] + [math.inf]
    return pd.cut(age.astype(float), bins, labels=[b for b, _, _ in AGE_BANDS]).astype(str)


def quasi_identifiers(participants: pd.DataFrame) -> pd.DataFrame:
    """The quasi-identifier columns of a participants table."""
    return pd.DataFrame({
        "age_band": age_band(participants["age"]),
        "race_ethnicity": participants["race_ethnicity"].astype(str),
        "children_in_home": participants["children_in_home"].astype(int),
        "relationship_status": participants["relationship_status"].astype(str),
    })


def quasi_identifier_match_share(synthetic: pd.DataFrame, restricted: pd.DataFrame) -> float:
    """Share of synthetic participants whose quasi-identifiers match a restricted participant.

    Quasi-identifiers: age band (18-24, 25-34, 35-44, 45-54, 55+),
    race/ethnicity, children in the home and relationship status. A synthetic
    record matches when some restricted record has exactly the same four
    values. Both arguments are participants tables.
    """
    if len(synthetic) == 0:
        raise ValueError("the synthetic participants table is empty")
    real = set(quasi_identifiers(restricted).itertuples(index=False, name=None))
    rows = quasi_identifiers(synthetic).itertuples(index=False, name=None)
    return float(np.mean([row in real for row in rows]))


def check_disclosure(synthetic: pd.DataFrame, restricted: pd.DataFrame,
                     threshold: float = DEFAULT_MAX_MATCH_SHARE) -> dict[str, Any]:
    """The disclosure report; :class:`DisclosureError` when the share exceeds ``threshold``."""
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be in [0, 1], got {threshold}")
    share = quasi_identifier_match_share(synthetic, restricted)
    matched = int(round(share * len(synthetic)))
    report = {
        "quasi_identifiers": list(QUASI_IDENTIFIERS),
        "age_bands": [b for b, _, _ in AGE_BANDS],
        "synthetic_records": len(synthetic),
        "restricted_records": len(restricted),
        "synthetic_records_matching": matched,
        "match_share": share,
        "threshold": threshold,
        "passed": share <= threshold,
    }
    if share > threshold:
        raise DisclosureError(
            f"disclosure check failed: {matched} of {len(synthetic)} synthetic records "
            f"({share:.1%}) match a restricted record on the quasi-identifiers "
            f"({', '.join(QUASI_IDENTIFIERS)}), above the allowed share {threshold:.1%} "
            f"(config key disclosure_max_match_share). Do not publish these synthetic data.",
            report)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: 0 when the check passes, 1 when it fails, 2 on bad input."""
    from analysis.datapackage import read_table
    from analysis.io import write_json

    parser = argparse.ArgumentParser(
        prog="python -m analysis.disclosure",
        description="Share of synthetic participants matching a restricted participant on "
                    "quasi-identifiers; fails above --threshold.")
    parser.add_argument("--synthetic", type=Path, default=Path("data/synthetic"),
                        help="directory of the synthetic tables (default: data/synthetic)")
    parser.add_argument("--restricted", type=Path, default=Path("data/restricted"),
                        help="directory of the restricted tables (default: data/restricted)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_MAX_MATCH_SHARE,
                        help=f"largest allowed match share (default: {DEFAULT_MAX_MATCH_SHARE})")
    parser.add_argument("--output", type=Path, help="write the report (JSON) here")
    args = parser.parse_args(argv)
    try:
        synthetic = read_table(args.synthetic, "participants")
        restricted = read_table(args.restricted, "participants")
        report = check_disclosure(synthetic, restricted, args.threshold)
    except DisclosureError as error:
        if args.output:
            write_json(args.output, error.report)
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.output:
        write_json(args.output, report)
    print(f"disclosure check passed: {report['synthetic_records_matching']} of "
          f"{report['synthetic_records']} synthetic records ({report['match_share']:.1%}) match "
          f"a restricted record on the quasi-identifiers (allowed: {args.threshold:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
