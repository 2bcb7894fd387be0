"""The generic small-cell suppression engine: cells, the sums that link them, the solution.

Rules (the plan of a restricted build, :mod:`analysis.disclosure.plan`,
states the cells and sums of this study):

1. *Primary suppression*: a count of 1 to ``threshold - 1`` is withheld.
   Zero is shown: it describes nobody. Every withheld count is shown with
   one marker, ``"suppressed"``, whatever its size, so that the marker says
   nothing about it (a ``"<3"`` would tell an attacker that the count is 1
   or 2, and a ``"suppressed"`` beside it that it is 0 or at least 3).
2. *Proportions*: a count ``k`` of a published ``n`` is a constraint
   ``n = k + (n - k)`` whose second part is never shown but is still a cell:
   when ``n - k`` is 1 to ``threshold - 1`` (for example 22 of 24), ``k`` is
   withheld too, because ``n - k`` would reveal the small group.
3. *Complementary suppression* until every small count (published or not)
   has a *feasibility interval* at least ``width`` wide (``threshold`` by
   default): over all tables of non-negative whole numbers that satisfy
   every published number and every sum of the plan, the count's smallest
   and largest values differ by at least ``width``. This is the audit of
   tau-ARGUS and sdcTable (``attack``): the bounds an attacker computes by
   linear programming from the published table, here by integer
   programming (:func:`scipy.optimize.milp`, HiGHS), because counts are
   whole numbers. A width of at least ``threshold`` means the interval of a
   small count always reaches ``threshold``: no attacker can confirm that a
   count is small, let alone which. Cheap checks come first (a constraint
   with one unknown member deriving a small count), then the integer
   programs; each failure withholds one more published count, near the
   failing cell and the smallest first, the one that widens its interval.
   Finally every withheld count that the published numbers determine
   exactly is published again: it hides nothing, and publishing it changes
   no feasible table. So no withheld count is derivable exactly.
4. *Derived numbers* (shares, intervals, odds ratios, p-values, kappas,
   percent agreement) of a withheld count or denominator are withheld.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.disclosure.markers import COMPLEMENTARY, PRIMARY, SUPPRESSED, Key


class SuppressionError(RuntimeError):
    """The suppression problem cannot be protected (a bug or a degenerate table)."""


class _NothingToWithhold(SuppressionError):
    """No shown cell is left whose suppression could widen a cell's interval."""


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
    _by_member: dict[Any, list[int]] = field(default_factory=dict, repr=False)
    _indexed: list[int] = field(default_factory=lambda: [0, -1], repr=False)
    _anchor: set[Key] = field(default_factory=set, repr=False)

    def add(self, key: Key, value: int | float, *, published: bool = True,
            fixed: bool = False) -> Key:
        """Add a cell (or check an existing one has the same value)."""
        value = int(value)
        if key in self.values and self.values[key] != value:
            # The counts are restricted data: name the cell, never its values.
            raise ValueError(f"cell {key!r} is given two different values")
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
            raise ValueError(f"cells {parts!r} do not add up to their total {total!r}")
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

    def solve(self, threshold: int, width: int | None = None) -> Suppression:
        """Primary and complementary suppression at ``threshold`` (see the module docstring).

        ``width`` is the least width of every small count's feasibility
        interval (default: ``threshold``); 0 asks only that no small count be
        derivable exactly by linear algebra.
        """
        if threshold < 1:
            raise ValueError(f"small-cell threshold must be at least 1, got {threshold}")
        width = threshold if width is None else int(width)
        if width < 0:
            raise ValueError(f"protection width must be at least 0, got {width}")
        order = {key: i for i, key in enumerate(self.values)}
        sensitive = {k for k, v in self.values.items() if 0 < v < threshold and k not in self.fixed}
        status: dict[Key, str] = {k: PRIMARY for k in self.values
                                  if k in sensitive and k in self.published}
        # The small counts, and (while single sums derive them) the unpublished cells that do.
        protect = set(sensitive)
        # Withholding more only widens feasibility intervals: a cell once shown wide enough
        # stays so, and every table found feasible stays feasible (the audit's memory).
        audit = _Audit()

        def widen(key: Key) -> None:
            try:
                self._widen(key, {k for k in self.published if k not in status}, status,
                            order, max(width, 1), audit)
            except _NothingToWithhold:
                if key in sensitive:
                    raise SuppressionError(f"cannot protect cell {key!r}") from None
                protect.discard(key)   # a cell deriving a small one: the audit decides

        for _ in range(10 * len(self.values) + 10):
            shown = {k for k in self.published if k not in status}
            known = self._closure(shown)
            exposed = sorted((k for k in protect if k in known and k not in shown),
                             key=order.__getitem__)
            if exposed:
                # A zero is suppressed only when no exposed cell can be protected otherwise;
                # failing both, any shown cell of the cell's linked constraints.
                if not any(self._protect(key, known, shown, status, protect, order, zeros)
                           for zeros in (False, True) for key in exposed):
                    widen(exposed[0])
                continue
            if width < 1:
                # Only exact derivation matters: sums of constraints can reveal what no
                # single constraint does (a + b and b + c published reveal a - c).
                determined = [k for k in self.determined(shown) if k in protect]
                if determined:
                    self._protect_determined(determined[0], shown, status, order)
                    continue
                return self._release(status, threshold, width, audit)
            # Whole non-negative numbers narrow what linear algebra leaves open.
            narrow = self.narrow(shown, sensitive, width, audit)
            if not narrow:
                return self._release(status, threshold, width, audit)
            widen(min(narrow, key=order.__getitem__))
        raise SuppressionError("suppression did not converge")

    def _release(self, status: dict[Key, str], threshold: int, width: int,
                 audit: _Audit) -> Suppression:
        """The solution, with every complement that the published numbers determine published.

        A withheld count whose value follows exactly from what is shown hides
        nothing: publishing it changes no feasible table, so no other
        interval. What is left withheld is never derivable exactly.
        """
        shown = {k for k in self.published if k not in status}
        complements = {k for k, v in status.items() if v == COMPLEMENTARY}
        released = []
        for unknown, rows in self._components(shown):
            targets = [k for k in unknown if k in complements]
            if targets:
                released += _FeasibleSet(self, unknown, rows, shown, audit).narrow(targets, 1)
        final = {k: v for k, v in status.items() if k not in released}
        return Suppression(dict(self.values), final, threshold, width)

    # -- the audit: feasibility intervals by integer programming ---------------

    def _system(self, unknown: Sequence[Key], rows: Sequence[int], shown: set[Key]
                ) -> tuple[Any, np.ndarray]:
        """Constraints ``rows`` as ``A x = b`` over the ``unknown`` cells (sparse ``A``)."""
        from scipy.sparse import coo_matrix

        column = {k: i for i, k in enumerate(unknown)}
        r, c, v = [], [], []
        b = np.zeros(len(rows))
        for row, index in enumerate(rows):
            total, parts = self.constraints[index]
            for member, sign in ((total, 1.0), *((part, -1.0) for part in parts)):
                if member in column:
                    r.append(row)
                    c.append(column[member])
                    v.append(sign)
                else:
                    b[row] -= sign * self.values[member]
        matrix = coo_matrix((v, (r, c)), shape=(len(rows), len(unknown))).tocsr()
        return matrix, b

    def ranges(self, shown: set[Key], keys: Iterable[Key] | None = None
               ) -> dict[Key, tuple[float, float]]:
        """The feasibility interval ``(low, high)`` of unknown cells, by integer programming.

        Over all tables of non-negative whole numbers that keep the ``shown``
        cells at their values and satisfy every constraint: the smallest and
        largest value of each unknown cell in ``keys`` (default: all of them).
        ``high`` is ``inf`` for a cell nothing bounds.
        """
        wanted = None if keys is None else set(keys)
        out: dict[Key, tuple[float, float]] = {}
        for unknown, rows in self._components(shown):
            targets = [k for k in unknown if wanted is None or k in wanted]
            if targets:
                out.update(_FeasibleSet(self, unknown, rows, shown).ranges(targets))
        return out

    def narrow(self, shown: set[Key], keys: Iterable[Key], width: int,
               audit: _Audit | None = None) -> list[Key]:
        """Cells of ``keys`` (unknown ones) whose feasibility interval is narrower than ``width``.

        Solves only what it must: the true table and every solution found
        give each cell a range already known to be feasible, and a cell whose
        known range is wide enough needs no integer program. ``audit`` keeps
        both between calls with fewer and fewer shown cells (one solve).
        """
        audit = audit if audit is not None else _Audit()
        keys = {k for k in keys if k not in audit.wide}
        out = []
        for unknown, rows in self._components(shown):
            targets = [k for k in unknown if k in keys]
            if not targets:
                continue
            # The same unknown cells under the same constraints (so the same shown values)
            # have the same feasible tables: a group no suppression touched is not solved again.
            signature = ("narrow", width, frozenset(unknown), tuple(rows), frozenset(targets))
            if signature not in self._determined:
                feasible = _FeasibleSet(self, unknown, rows, shown, audit)
                self._determined[signature] = feasible.narrow(targets, width)
            out.extend(self._determined[signature])
        return out

    def _widen(self, key: Key, shown: set[Key], status: dict[Key, str],
               order: Mapping[Key, int], width: int, audit: _Audit) -> bool:
        """Suppress one more shown cell so that the interval of ``key`` widens.

        Candidates are the shown cells of the constraints of ``key``'s group,
        the nearest first (in a constraint with ``key``, then with an unknown
        cell in one with ``key``, and so on), then non-zero before zero and the
        smallest first; the first whose suppression makes the interval wide
        enough is taken, else the one that widens it most.
        Returns whether the interval is now wide enough.
        """
        groups = self._components(shown)
        group_of = {k: g for g, (unknown, _) in enumerate(groups) for k in unknown}
        distance = self._distances(key, shown)
        anchored = self._anchored()
        candidates = sorted((m for m in distance if m in shown and m not in anchored),
                            key=lambda m: (distance[m], self.values[m] == 0,
                                           self.values[m], order[m]))
        if not candidates:
            raise _NothingToWithhold(key)
        best, best_width, wide = candidates[0], -1.0, False
        for m in candidates[:_WIDEN_TRIES]:
            # With m withheld, key's group takes in m and the groups m's constraints link.
            merged = {group_of[key]} | {group_of[x] for i in self._rows_of(m)
                                        for x in (self.constraints[i][0], *self.constraints[i][1])
                                        if x in group_of}
            trial_unknown = [m, *(k for g in sorted(merged) for k in groups[g][0])]
            trial_rows = sorted({*self._rows_of(m), *(i for g in merged for i in groups[g][1])})
            # A trial's tables are not the build's: its own memory, seeded with the build's
            # (every table feasible now stays feasible with one more cell withheld).
            feasible = _FeasibleSet(self, trial_unknown, trial_rows, shown - {m}, audit.copy())
            if not feasible.narrow([key], width):
                best, wide = m, True
                break
            i = feasible.index[key]   # narrow solved both extremes of key
            if feasible.high[i] - feasible.low[i] > best_width:
                best, best_width = m, feasible.high[i] - feasible.low[i]
        status[best] = COMPLEMENTARY
        return wide

    def _distances(self, key: Key, shown: set[Key]) -> dict[Key, int]:
        """How many constraints away from ``key`` each cell of its group is.

        Slack travels through unknown cells only: a shown cell is reached, at
        one more than the unknown cell it shares a constraint with, but not
        passed through.
        """
        distance = {key: 0}
        frontier = [key]
        while frontier:
            following = []
            for cell in frontier:
                for index in self._rows_of(cell):
                    total, parts = self.constraints[index]
                    for member in (total, *parts):
                        if member not in distance:
                            distance[member] = distance[cell] + 1
                            if member not in shown:
                                following.append(member)
            frontier = following
        return distance

    def _anchored(self) -> set[Key]:
        """Cells that the fixed cells alone determine: withholding them protects nothing.

        (A cell equal to the sample size, say, because every survivor has it.)
        """
        if self._indexed[1] != len(self.constraints):
            self._anchor.clear()
            self._anchor.update(self._closure(set(self.fixed)))
            self._indexed[1] = len(self.constraints)
        return self._anchor

    def _rows_of(self, key: Key) -> list[int]:
        """Indices of the constraints that name ``key``."""
        if self._indexed[0] != len(self.constraints):
            self._by_member.clear()
            for index, (total, parts) in enumerate(self.constraints):
                for member in dict.fromkeys((total, *parts)):
                    self._by_member.setdefault(member, []).append(index)
            self._indexed[0] = len(self.constraints)
        return self._by_member.get(key, [])

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
                            order: Mapping[Key, int]) -> None:
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
                             if m in shown and m not in self._anchored()},
                            key=lambda m: (self.values[m] == 0, self.values[m], order[m]))
        if not candidates:
            raise SuppressionError(f"cannot protect cell {key!r}")
        working = [m for m in candidates if key not in self.determined(shown - {m})]
        choice = (working or candidates)[0]
        status[choice] = COMPLEMENTARY

    def _protect(self, key: Key, known: Mapping[Key, int | None], shown: set[Key],
                 status: dict[Key, str], protect: set[Key], order: Mapping[Key, int],
                 zeros: bool) -> bool:
        """Break the derivation of ``key``; False if this cell offers no move."""
        index = known[key]
        if index is None:
            return False
        total, parts = self.constraints[index]
        members = [m for m in (total, *parts) if m != key]
        anchored = self._anchored()
        candidates = [m for m in members if m in shown and m not in anchored]
        nonzero = sorted((m for m in candidates if m in parts and self.values[m] > 0),
                         key=lambda m: (self.values[m], order[m]))
        choice = (nonzero or [m for m in candidates if m == total] or [None])[0]
        if choice is None:
            # The other members are derived from elsewhere: protect them, so
            # that their own derivations are broken next.
            new = [m for m in members
                   if m not in shown and m not in protect and m not in anchored]
            if new:
                protect.update(new)
                return True
            # Last resort: a zero.
            zero_parts = [m for m in candidates if m in parts]
            if not zeros or not zero_parts:
                return False
            choice = zero_parts[0]
        status[choice] = COMPLEMENTARY
        return True


#: How many candidate suppressions :meth:`Cells._widen` tries before taking the best.
_WIDEN_TRIES = 3
#: From how many unproven cells of a group the audit first moves them all together.
_SPREAD_FROM = 4


@dataclass
class _Audit:
    """What one solve has learnt: cells shown wide enough, and each cell's feasible range.

    ``low`` and ``high`` are the smallest and largest value of a cell over
    the feasible tables found so far (the true table included). Both stay
    valid while more cells are withheld, which only adds feasible tables.
    """

    wide: set[Key] = field(default_factory=set)
    low: dict[Key, float] = field(default_factory=dict)
    high: dict[Key, float] = field(default_factory=dict)

    def copy(self) -> _Audit:
        return _Audit(set(self.wide), dict(self.low), dict(self.high))


class _FeasibleSet:
    """One group of linked unknown cells: the tables an attacker cannot rule out.

    Non-negative whole numbers satisfying the group's constraints, the shown
    cells at their values. Keeps every solution found (the true table first)
    as each cell's known range, so that most cells need no integer program.
    """

    def __init__(self, cells: Cells, unknown: Sequence[Key], rows: Sequence[int],
                 shown: set[Key], audit: _Audit | None = None) -> None:
        self.unknown = list(unknown)
        self.index = {k: i for i, k in enumerate(self.unknown)}
        self.matrix, self.rhs = cells._system(self.unknown, rows, shown)
        self.audit = audit if audit is not None else _Audit()
        self.low = np.array([self.audit.low.get(k, cells.values[k]) for k in self.unknown],
                            dtype=float)
        self.high = np.array([self.audit.high.get(k, cells.values[k]) for k in self.unknown],
                             dtype=float)

    def _solve(self, objective: np.ndarray) -> np.ndarray | None:
        """A table minimising ``objective``, remembered in the ranges; None if unbounded."""
        from scipy.optimize import Bounds, LinearConstraint, milp

        n = len(self.unknown)
        constraints = ([LinearConstraint(self.matrix, self.rhs, self.rhs)]
                       if self.matrix.shape[0] else [])
        result = milp(objective, integrality=np.ones(n), bounds=Bounds(0, np.inf),
                      constraints=constraints)
        if result.status == 3 or (result.status == 4 and (objective < 0).any()):
            return None
        if result.status != 0 or result.x is None:
            raise SuppressionError(f"the audit failed: {result.message}")
        solution = np.round(result.x)
        np.minimum(self.low, solution, out=self.low)
        np.maximum(self.high, solution, out=self.high)
        self._remember(self.unknown)
        return solution

    def _extreme(self, key: Key, sense: float) -> float:
        """The smallest (``sense`` 1) or largest (-1) value of ``key``; inf if unbounded."""
        i = self.index[key]
        objective = np.zeros(len(self.unknown))
        objective[i] = sense
        solution = self._solve(objective)
        if solution is None:   # unbounded: nothing caps this cell
            self.high[i] = np.inf
            self._remember([key])
            return np.inf
        return float(solution[i])

    def _spread(self, keys: Sequence[Key]) -> None:
        """Two tables with all of ``keys`` as small, then as large, as they can be together.

        Each proves many cells' ranges wide at once, so that fewer need
        integer programs of their own.
        """
        objective = np.zeros(len(self.unknown))
        objective[[self.index[k] for k in keys]] = 1.0
        for sense in (1.0, -1.0):
            if self._solve(sense * objective) is None:
                return

    def _remember(self, keys: Sequence[Key]) -> None:
        for k in keys:
            i = self.index[k]
            self.audit.low[k], self.audit.high[k] = float(self.low[i]), float(self.high[i])

    def ranges(self, keys: Sequence[Key]) -> dict[Key, tuple[float, float]]:
        """The exact feasibility interval of each of ``keys``."""
        return {k: (self._extreme(k, 1.0), self._extreme(k, -1.0)) for k in keys}

    def narrow(self, keys: Sequence[Key], width: int) -> list[Key]:
        """Those of ``keys`` whose feasibility interval is narrower than ``width``."""
        open_keys = [k for k in keys
                     if self.high[self.index[k]] - self.low[self.index[k]] < width]
        if len(open_keys) > _SPREAD_FROM:
            self._spread(open_keys)
        out = []
        for key in keys:
            i = self.index[key]
            for sense in (1.0, -1.0, None):
                if self.high[i] - self.low[i] >= width:
                    self.audit.wide.add(key)
                    break
                if sense is None:
                    out.append(key)
                else:
                    self._extreme(key, sense)
        return out


@dataclass(frozen=True)
class Suppression:
    """The solved problem: which published cells are withheld, and how they are shown."""

    values: dict[Key, int]
    status: dict[Key, str]
    threshold: int
    width: int = 0

    def suppressed(self, *keys: Key) -> bool:
        """True if any of ``keys`` is withheld."""
        return any(k in self.status for k in keys)

    def text(self, key: Key) -> str | int:
        """The published form of a cell: its count, or ``"suppressed"`` (one marker for all)."""
        return SUPPRESSED if key in self.status else self.values[key]


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
        A copy with ``count`` as published text (the integer, or ``"suppressed"``)
        and the ``derived`` columns empty where suppressed.
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
