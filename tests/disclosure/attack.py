"""An integer-programming attacker on what a restricted build publishes.

The attacker has every file a reader of ``results/restricted/`` receives and
this package's code, not the restricted data. It rebuilds the structure of
the published tables (which counts add up to which) by running the public
plan code on the committed synthetic study, as an outsider could, keeping
only the sums that hold for any study (a sum that holds because two
indicators happen to coincide in the synthetic data is left out). It then
reads the published counts and markers, and everything else in the files
that pins a count down:

* a share or interval printed beside a withheld count (count = share * n);
* the place of a withheld row in a table sorted by prevalence (its count lies
  between its neighbours');
* a withheld level's verdict and direction (only the counts that give the
  same verdict and direction remain);
* the two coders' percent agreement, kappa and AC1 per code (the tables of
  survivors that give all three) and, pooled, the disagreements and
  Krippendorff's alpha (coder A's plus coder B's total);
* the mean of a 0/1 model term over contacts (a count of contacts).

Over all tables of non-negative whole numbers consistent with all of it
(``"<3"`` meaning 1 or 2 and ``"suppressed"`` 0 or at least 3 where a build
used two markers; one marker means only "withheld"), it computes the
smallest and largest value of every withheld count with
:func:`scipy.optimize.milp`. Independent of the plan's own audit
(:mod:`analysis.disclosure.cells`): it shares only the public code that
names the cells.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

Key = Hashable
#: An upper bound no count of a study reaches (for the either-or of two markers).
BIG = 100_000


def _key(value: Any) -> Key:
    return tuple(_key(v) for v in value) if isinstance(value, list) else value


def _number(text: Any) -> float | None:
    """A published number, or None for a marker, an empty cell or a missing value."""
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        return None if isinstance(text, float) and math.isnan(text) else float(text)
    if not isinstance(text, str):
        return None
    try:
        return float(text)
    except ValueError:
        return None


@dataclass
class Knowledge:
    """What the attacker knows: the structure and every published fact about the cells."""

    constraints: list[tuple[Key, tuple[Key, ...]]]
    shown: dict[Key, int] = field(default_factory=dict)
    markers: dict[Key, str] = field(default_factory=dict)
    bounds: dict[Key, tuple[int, int]] = field(default_factory=dict)
    #: Linear facts ``sum(coef * cell) == rhs``.
    equations: list[tuple[dict[Key, float], float]] = field(default_factory=list)
    #: Facts with a few possible values: linear forms, and the value tuples they may take.
    choices: list[tuple[list[dict[Key, float]], list[tuple[float, ...]]]] = field(
        default_factory=list)
    #: Where each fact came from (file: how many facts), for the report.
    sources: dict[str, int] = field(default_factory=dict)
    #: Published numbers that reveal something about withheld counts but that the attacker
    #: does not turn into constraints (a test requires there are none).
    unread: list[str] = field(default_factory=list)

    def note(self, source: str) -> None:
        self.sources[source] = self.sources.get(source, 0) + 1

    def bound(self, key: Key, low: float, high: float, source: str) -> None:
        old = self.bounds.get(key, (0, BIG))
        self.bounds[key] = (max(old[0], int(math.ceil(low))), min(old[1], int(math.floor(high))))
        self.note(source)

    def equals(self, coefficients: Mapping[Key, float], rhs: float, source: str) -> None:
        self.equations.append((dict(coefficients), float(rhs)))
        self.note(source)


# --- the structure, rebuilt from the committed synthetic study ----------------------------------

def structure(synthetic: Path) -> list[tuple[Key, tuple[Key, ...]]]:
    """The sums of the plan on the committed synthetic study, except coincidences.

    A constraint with a single part (``a = b``) says that two counts are
    equal; the plan adds one when two indicators hold for the same survivors
    in the study at hand, which need not be so in another study.
    """
    from analysis.disclosure.plan import study_cells
    from analysis.study.datapackage import read_study
    from analysis.study.vocabulary import RESTRICTED_TABLES

    cells, _ = study_cells(read_study(synthetic, RESTRICTED_TABLES))
    return [(t, p) for t, p in cells.constraints if len(p) > 1]


# --- reading the published files -----------------------------------------------------------------

def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _count_key_of_rows(name: str, row: Mapping[str, str]) -> tuple[Key, Key] | None:
    """The cells of a descriptive table's row: (count, denominator)."""
    from analysis.disclosure.keys import (
        SURVIVOR_N,
        contacts_key,
        denominator_key,
        group_size_key,
        rate_key,
    )

    if name == "initiation_patterns":
        return ("pattern", row["group"], row["pattern"]), group_size_key(row["group"])
    if name in ("practices_by", "arrests_by", "expected_vs_actual"):
        return (rate_key(row["outcome"], row["factor"], row["level"]),
                denominator_key(row["factor"], row["level"], row["applies_to"]))
    if name == "violence_forms":
        return ("violence", row["column"]), SURVIVOR_N
    if name == "informal_strategies":
        return ("strategy", row["column"]), SURVIVOR_N
    if name == "safety_change":
        return (("safety", row["factor"], row["level"], row["safety_change"]),
                contacts_key(row["factor"], row["level"]))
    return None


def _read_tables(results: Path, know: Knowledge) -> None:
    """Shares beside withheld counts, and the ranks of sorted tables."""
    for path in sorted((results / "tables").glob("*.csv")):
        frame = _read_csv(path)
        if "successes" not in frame.columns:
            continue
        rows = [(_count_key_of_rows(path.stem, r), r) for _, r in frame.iterrows()]
        for keys, row in rows:
            count, n = _number(row["successes"]), _number(row["n"])
            share = _number(row.get("share"))
            if keys and count is None and share is not None and n is not None:
                know.equals({keys[0]: 1.0}, round(share * n), f"{path.name}: share")
        if path.stem in ("violence_forms", "informal_strategies"):
            counts = [_number(r["successes"]) for _, r in frame.iterrows()]
            for i, (keys, _) in enumerate(rows):
                if counts[i] is not None:
                    continue
                above = [c for c in counts[:i] if c is not None]
                below = [c for c in counts[i + 1:] if c is not None]
                if below:   # a withheld row placed above a shown one: ranked with them
                    know.bound(keys[0], below[0], above[-1] if above else BIG,
                               f"{path.name}: rank")


def _read_claims(results: Path, know: Knowledge, alpha: float,
                 ranges: Mapping[Key, tuple[float, float]]) -> None:
    """Verdicts and directions published for withheld levels (``ranges``: what is known)."""
    from analysis.steps.claims import load_registry

    document = json.loads((results / "claims.json").read_text())
    plan = json.loads((results / "disclosure" / "plan.json").read_text())
    entries = {e["id"]: e for e in load_registry()}
    for claim in document["claims"]:
        keys = plan["claim_keys"][claim["id"]]
        entry = entries[claim["id"]]
        for name, level in claim["levels"].items():
            fields = {f: _key(k) for f, k in keys[name]["fields"].items()}
            hidden = [f for f in fields if _number(level.get(f)) is None]
            if not hidden:
                continue
            known = (level.get("verdict"), level.get("observed_direction"))
            claim_known = (claim.get("verdict"), claim.get("observed_direction"))
            constrain = [("level", known)] if _published_word(known[0]) else []
            if _published_word(claim_known[0]) and (
                    entry["statistic"] != "association" or name == claim["primary_level"]):
                constrain.append(("claim", claim_known))
            if constrain:
                _verdict_bounds(know, entry, claim, keys, name, constrain, alpha, ranges)


def _published_word(text: Any) -> bool:
    return isinstance(text, str) and text not in ("suppressed", "")


def _verdict_bounds(know: Knowledge, entry: Mapping, claim: Mapping, keys: Mapping[str, Any],
                    level: str, constrain: list, alpha: float,
                    ranges: Mapping[Key, tuple[float, float]]) -> None:
    """Keep the counts of a level that give the published verdicts (bounds of what is left)."""
    from analysis.steps.claims import outcomes_from_counts

    fields = {f: _key(k) for f, k in keys[level]["fields"].items()}
    current = {}
    for f, key in fields.items():
        value = _number(claim["levels"][level].get(f))
        if value is not None:
            current[f] = [int(value)]
        else:
            low, high = ranges[key]
            current[f] = list(range(int(low), int(min(high, BIG)) + 1))
    if math.prod(len(v) for v in current.values()) > 200_000:
        return
    others = {lv: {f: int(_number(v[f])) for f in keys[lv]["fields"]
                   if _number(v.get(f)) is not None}
              for lv, v in claim["levels"].items() if lv != level}
    allowed: dict[str, set[int]] = {f: set() for f in fields}
    names = list(current)
    for point in product(*(current[f] for f in names)):
        counts = dict(zip(names, point, strict=True))
        if any(p in counts and w in counts and counts[p] > counts[w]
               for p, w in (("successes", "n"), ("exposed_yes", "exposed_n"),
                            ("reference_yes", "reference_n"))):
            continue
        try:
            outcome = outcomes_from_counts(entry, {**others, level: counts}, alpha)
        except (KeyError, ValueError, ZeroDivisionError):
            continue
        ok = all((outcome["levels"].get(level) if what == "level" else outcome["claim"])
                 in (pair, (None, None)) and
                 (outcome["levels"].get(level) if what == "level" else outcome["claim"])[0]
                 is not None for what, pair in constrain)
        if ok:
            for f in names:
                allowed[f].add(counts[f])
    for f, key in fields.items():
        if allowed[f] and _number(claim["levels"][level].get(f)) is None:
            know.bound(key, min(allowed[f]), max(allowed[f]), "claims.json: verdict")


def _all_tables(n: int) -> np.ndarray:
    """Every 2x2 table of ``n`` units as (both, a_only, b_only, neither) rows."""
    return np.array([(a, b, c, n - a - b - c) for a in range(n + 1) for b in range(n + 1 - a)
                     for c in range(n + 1 - a - b)], dtype=float)


def _matches(value: float | None, computed: np.ndarray) -> np.ndarray:
    if value is None:
        return np.ones(computed.shape, dtype=bool)
    return np.isclose(computed, value, rtol=0, atol=1e-9)


def _read_agreement(results: Path, know: Knowledge) -> None:
    """Per-code and pooled agreement statistics: the coders' tables they reveal.

    Per code: every table of the survivors (both, A only, B only, neither) that
    gives the published percent agreement, kappa and AC1 is one possible value
    of the code's four cells. Pooled: the disagreements (published, or from
    percent agreement) fix A only + B only of the pooled table, and
    Krippendorff's alpha then fixes coder A's plus coder B's total. The pooled
    kappa and AC1 of de Vries et al. are functions of every code's table at
    once; the attacker does not solve them, and notes it (``unread``) when
    they are published beside a withheld count of a code's table.
    """
    from analysis.stats.agreement import CELLS, binary_coefficients

    n = know.shown[("N",)]
    tables = _all_tables(n)
    point = binary_coefficients(tables)
    per_code = _read_csv(results / "qualitative" / "agreement.csv")
    withheld_table = False
    for _, row in per_code.iterrows():
        code = row["code"]
        forms = [{("agreement", code, kind): 1.0} for kind in CELLS]
        if any(("agreement", code, kind) in know.markers for kind in CELLS):
            withheld_table = True
        published = {stat: _number(row.get(stat)) for stat in ("agreement", "kappa", "ac1")}
        if all(v is None for v in published.values()):
            continue
        keep = (_matches(published["agreement"], point.agreement)
                & _matches(published["kappa"], point.kappa)
                & _matches(published["ac1"], point.ac1))
        know.choices.append((forms, [tuple(t) for t in tables[keep]]))
        know.note("agreement.csv: coefficients")
    overall = json.loads((results / "qualitative" / "agreement.json").read_text())
    decisions = int(overall["decisions"])
    pooled = "All codes"
    differ = _number(overall.get("disagreements"))
    share = _number(overall.get("percent_agreement"))
    if differ is None and share is not None:
        differ = round((1 - share) * decisions)
    if differ is None:
        return
    know.equals({("agreement", pooled, "a_only"): 1.0, ("agreement", pooled, "b_only"): 1.0},
                differ, "agreement.json: disagreements")
    alpha = _number(overall.get("krippendorff_alpha"))
    if alpha is not None:
        # Two coders, every unit coded by both: alpha = 1 - (2D - 1) d / (n1 n0), with D the
        # decisions, d the disagreements, n1 the applications by either coder, n0 = 2D - n1.
        totals = [m for m in range(2 * decisions + 1)
                  if m * (2 * decisions - m) > 0 and abs(
                      1 - (2 * decisions - 1) * differ / (m * (2 * decisions - m)) - alpha)
                  < 1e-9]
        form = {("agreement", pooled, "both"): 2.0, ("agreement", pooled, "a_only"): 1.0,
                ("agreement", pooled, "b_only"): 1.0}
        if totals:
            know.choices.append(([form], [(m,) for m in totals]))
            know.note("agreement.json: Krippendorff's alpha")
    if withheld_table and any(_number(overall.get(k)) is not None
                              for k in ("pooled_kappa", "pooled_ac1")):
        know.unread.append("agreement.json: pooled kappa or AC1 beside a withheld table")


def _read_fits(results: Path, know: Knowledge) -> None:
    """The mean of a 0/1 term over contacts is a count of contacts."""
    from analysis.disclosure.keys import CONTACT_N, PREDICTOR_CELLS

    fits = json.loads((results / "inference" / "fits.json").read_text())
    contacts = know.shown[CONTACT_N]
    for entry in fits.values():
        for term, mean in entry.get("means", {}).items():
            key = PREDICTOR_CELLS.get(term)
            if key is not None and _number(mean) is not None and key not in know.shown:
                know.equals({key: 1.0}, round(mean * contacts), "fits.json: mean")


def knowledge(results: Path, synthetic: Path) -> Knowledge:
    """What the attacker learns from ``results`` (a restricted build's results folder),
    verdicts aside (:func:`run_attack` adds them)."""
    know = Knowledge(structure(synthetic))
    plan = json.loads((results / "disclosure" / "plan.json").read_text())
    for key, text, _ in plan["cells"]:
        value = _number(text)
        if value is None:
            know.markers[_key(key)] = str(text)
        else:
            know.shown[_key(key)] = int(value)
    know.threshold = int(plan["threshold"])   # type: ignore[attr-defined]
    _read_tables(results, know)
    _read_agreement(results, know)
    _read_fits(results, know)
    return know


# --- the integer programs ----------------------------------------------------------------------

@dataclass
class Attack:
    """The feasibility interval of each attacked cell, and the true value (for the report)."""

    ranges: dict[Key, tuple[float, float]]
    truth: dict[Key, int]

    def exact(self) -> list[Key]:
        return [k for k, (lo, hi) in self.ranges.items() if hi - lo < 0.5]

    def narrower_than(self, width: int) -> list[Key]:
        return [k for k, (lo, hi) in self.ranges.items() if hi - lo < width]

    def wrong(self) -> list[Key]:
        """Cells whose true value the attacker's model excludes (a bug in the attacker)."""
        return [k for k, (lo, hi) in self.ranges.items()
                if k in self.truth and not lo - 1e-6 <= self.truth[k] <= hi + 1e-6]


def attack(know: Knowledge, targets: list[Key], truth: Mapping[Key, int]) -> Attack:
    """Smallest and largest value of each target over every table consistent with ``know``."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import lil_matrix

    threshold = getattr(know, "threshold", 3)
    keys = sorted({k for t, p in know.constraints for k in (t, *p)} | set(know.shown)
                  | set(know.markers) | set(targets)
                  | {k for coef, _ in know.equations for k in coef}, key=repr)
    # Either-or markers ("suppressed" beside "<3": 0 or at least the threshold) need a switch.
    keys = sorted(set(keys) | {k for forms, _ in know.choices for f in forms for k in f}, key=repr)
    two_markers = any(m.startswith("<") for m in know.markers.values())
    switches = [k for k, m in know.markers.items() if two_markers and not m.startswith("<")]
    index = {k: i for i, k in enumerate(keys)}
    n = len(keys) + len(switches)
    low, high = np.zeros(n), np.full(n, float(BIG))
    for k, v in know.shown.items():
        low[index[k]] = high[index[k]] = v
    for k, m in know.markers.items():
        if m.startswith("<"):
            low[index[k]], high[index[k]] = 1, int(m[1:]) - 1
    for k, (lo, hi) in know.bounds.items():
        low[index[k]], high[index[k]] = max(low[index[k]], lo), min(high[index[k]], hi)
    high[len(keys):] = 1
    choice_vars = [len(values) for _, values in know.choices]
    first_choice = len(keys) + len(switches)
    n += sum(choice_vars)
    low, high = np.concatenate([low, np.zeros(sum(choice_vars))]), np.concatenate(
        [high, np.ones(sum(choice_vars))])
    rows = (len(know.constraints) + len(know.equations) + 2 * len(switches)
            + sum(len(forms) + 1 for forms, _ in know.choices))
    matrix = lil_matrix((rows, n))
    lower, upper = np.zeros(rows), np.zeros(rows)
    r = 0
    for total, parts in know.constraints:
        matrix[r, index[total]] += 1
        for p in parts:
            matrix[r, index[p]] -= 1
        r += 1
    for coefficients, rhs in know.equations:
        for k, c in coefficients.items():
            matrix[r, index[k]] += c
        lower[r] = upper[r] = rhs
        r += 1
    for s, k in enumerate(switches):
        z = len(keys) + s
        matrix[r, index[k]], matrix[r, z] = 1, -threshold          # x >= t z
        lower[r], upper[r] = 0, np.inf
        matrix[r + 1, index[k]], matrix[r + 1, z] = 1, -BIG       # x <= BIG z
        lower[r + 1], upper[r + 1] = -np.inf, 0
        r += 2
    z = first_choice
    for forms, values in know.choices:   # one of the value tuples: sum(z) = 1
        for i, form in enumerate(forms):
            for k, c in form.items():
                matrix[r, index[k]] += c
            for j, value in enumerate(values):
                matrix[r, z + j] = -value[i]
            r += 1
        for j in range(len(values)):
            matrix[r, z + j] = 1
        lower[r] = upper[r] = 1
        r += 1
        z += len(values)
    constraint = LinearConstraint(matrix.tocsr(), lower, upper)
    ranges = {}
    for k in targets:
        extremes = []
        for sense in (1.0, -1.0):
            objective = np.zeros(n)
            objective[index[k]] = sense
            result = milp(objective, integrality=np.ones(n), bounds=Bounds(low, high),
                          constraints=[constraint])
            if result.status != 0:
                raise RuntimeError(f"the attack on {k!r} failed: {result.message}")
            extremes.append(float(round(result.x[index[k]])))
        ranges[k] = (extremes[0], extremes[1])
    return Attack(ranges, {k: truth[k] for k in targets if k in truth})


def run_attack(results: Path, synthetic: Path, truth: Mapping[Key, int],
               extra_targets: list[Key] = (), alpha: float = 0.05) -> tuple[Attack, Knowledge]:
    """The whole attack on ``results``: every withheld count, and ``extra_targets``.

    A first round of integer programs gives each withheld count of a claim
    its range; the published verdicts then keep only the counts that give
    them, and a second round gives the final ranges.
    """
    know = knowledge(results, synthetic)
    targets = sorted({*know.markers, *extra_targets}, key=repr)
    first = attack(know, targets, truth)
    before = len(know.bounds)
    _read_claims(results, know, alpha, first.ranges)
    if len(know.bounds) == before:
        return first, know
    return attack(know, targets, truth), know
