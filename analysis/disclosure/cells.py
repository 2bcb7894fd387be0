"""The generic small-cell suppression engine: cells, the sums that link them, the solution.

Rules (the plan of a restricted build, :mod:`analysis.disclosure.plan`,
states the cells and sums of this study):

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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.disclosure.markers import COMPLEMENTARY, PRIMARY, SUPPRESSED, Key, marker


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
