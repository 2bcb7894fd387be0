"""Small helpers for the methods lab: print saved outputs side by side.

Every exercise saves copies of the workflow's outputs under ``lab-runs/`` and
compares them with one of these commands (standard library only)::

    python training/labtools.py claims lab-runs/claims-default.json lab-runs/claims-seed-*.json
    python training/labtools.py robustness lab-runs/robustness-*.csv
    python training/labtools.py agreement lab-runs/agreement-08.json lab-runs/agreement-20.json

The label of each run is its file name without the extension and without the
part before the first hyphen (``claims-seed-1.json`` -> ``seed-1``).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

#: Claims whose estimate is an odds ratio; the others are shares, counts or differences.
ODDS_RATIO_CLAIMS = {"C4", "C6", "C7"}


def label(path: Path) -> str:
    """``claims-seed-1.json`` -> ``seed-1``; a name without a hyphen is kept whole."""
    stem = path.stem
    return stem.split("-", 1)[1] if "-" in stem else stem


def _num(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.{digits}g}"


def _p(value: float | None) -> str:
    if value is None:
        return "no test"
    return "p<.001" if value < 0.001 else f"p={value:.3f}"


def claims_rows(paths: Sequence[Path]) -> list[str]:
    """One block per claim, one line per run: primary estimate, interval, p-value, verdict."""
    runs = [(label(p), json.loads(p.read_text(encoding="utf-8"))["claims"]) for p in paths]
    width = max(len(name) for name, _ in runs)
    lines: list[str] = []
    for i, first in enumerate(runs[0][1]):
        kind = "odds ratio" if first["id"] in ODDS_RATIO_CLAIMS else "estimate"
        lines.append(f"{first['id']}  {first['statement']}")
        lines.append(f"    expected: {first['expected_direction']}; {kind} [95% interval] at the "
                     f"{first['primary_level']} level")
        for name, claims in runs:
            c = claims[i]
            interval = (f"[{_num(c['ci_low'])}, {_num(c['ci_high'])}]"
                        if c["ci_low"] is not None else "")
            lines.append(f"    {name:<{width}}  {_num(c['estimate']):>7} {interval:<18} "
                         f"{_p(c['p_value']):<8} {c['observed_direction']:<15} {c['verdict']}")
        lines.append("")
    for name, claims in runs:
        counts = {v: [c["id"] for c in claims if c["verdict"] == v]
                  for v in ("reproduced", "inconclusive", "not reproduced")}
        lines.append(f"{name:<{width}}  " + "; ".join(
            f"{v}: {len(ids)} ({', '.join(ids) or 'none'})" for v, ids in counts.items()))
    return lines


def _read_summary(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return {(row["claim"], row["scenario"]): row for row in csv.DictReader(fh)}


def _share(value: str) -> str:
    if value in ("", None):
        return "-"
    text = f"{100 * float(value):.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


def robustness_rows(paths: Sequence[Path]) -> list[str]:
    """Per claim and run: reproduced / inconclusive / not reproduced shares per scenario."""
    runs = [(label(p), _read_summary(p)) for p in paths]
    width = max(len(name) for name, _ in runs)
    claims = list(dict.fromkeys(claim for claim, _ in runs[0][1]))
    scenarios = list(dict.fromkeys(scenario for _, scenario in runs[0][1]))
    reps = ", ".join(f"{name}: {next(iter(rows.values()))['replications']}"
                     for name, rows in runs)
    lines = ["share of replications reproduced / inconclusive / not reproduced",
             f"replications per scenario: {reps}",
             f"{'claim':<6}{'run':<{width}}  " + "  ".join(f"{s:>21}" for s in scenarios)]
    for claim in claims:
        for name, rows in runs:
            cells = []
            for scenario in scenarios:
                row = rows.get((claim, scenario))
                cells.append("-" if row is None else " / ".join(
                    _share(row[f"{v}_share"])
                    for v in ("reproduced", "inconclusive", "not_reproduced")))
            lines.append(f"{claim:<6}{name:<{width}}  " + "  ".join(f"{c:>21}" for c in cells))
    return lines


AGREEMENT_KEYS = ("disagreement_rate", "case_code_disagreement_share", "percent_agreement",
                  "pooled_kappa", "pooled_band", "pooled_ac1", "krippendorff_alpha",
                  "median_kappa", "min_kappa", "max_kappa", "median_ac1",
                  "codes_kappa_undefined")


def agreement_rows(paths: Sequence[Path]) -> list[str]:
    """The overall agreement statistics of each run, side by side."""
    runs = [(label(p), json.loads(p.read_text(encoding="utf-8"))) for p in paths]
    width = max(len(k) for k in AGREEMENT_KEYS)
    lines = [f"{'':<{width}}  " + "  ".join(f"{name:>14}" for name, _ in runs)]
    for key in AGREEMENT_KEYS:
        cells = []
        for _, data in runs:
            value = data.get(key)
            cells.append(f"{value:>14.3f}" if isinstance(value, float) else f"{value!s:>14}")
        lines.append(f"{key:<{width}}  " + "  ".join(cells))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python training/labtools.py",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["claims", "robustness", "agreement"])
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:
        print("error: not found: " + ", ".join(missing), file=sys.stderr)
        return 2
    rows = {"claims": claims_rows, "robustness": robustness_rows,
            "agreement": agreement_rows}[args.what](args.files)
    try:
        print("\n".join(rows))
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
