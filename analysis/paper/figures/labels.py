"""How figures name claims, outcomes, contrasts and groups: short readable labels.

Labels are built from a claim's registry fields (its statistic, column,
exposure, outcome and contrast), never typed per claim id, so a new claim in
the registry gets a label from what it measures; a claim whose fields have no
label here is named by its registry statement, shortened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from analysis.steps.statistics import METHODS
from analysis.study.variables import CONTACT_VARIABLES, CONTRASTS

#: Contact-level outcomes, as a row or group heading.
OUTCOME_LABELS: dict[str, str] = {
    name: v.outcome for name, v in CONTACT_VARIABLES.items() if v.outcome}
#: Exposures of the within-survivor associations ("<outcome> by <exposure>").
EXPOSURE_LABELS: dict[str, str] = {
    name: v.exposure for name, v in CONTACT_VARIABLES.items() if v.exposure}
#: Race contrasts: the comparison in a row label, and the two groups (exposed, reference).
CONTRAST_LABELS: dict[str, str] = {name: c.label for name, c in CONTRASTS.items()}
CONTRAST_GROUPS: dict[str, tuple[str, str]] = {name: c.groups for name, c in CONTRASTS.items()}
#: Descriptive claims, by their statistic (and column, for shares of one column).
DESCRIPTIVE_LABELS: dict[str, str] = {
    "ongoing_strategic": "Most described ongoing, strategic violence",
    "beyond_police_capacity": "Violence often beyond police capacity",
    "initiation_patterns": "Police came through her, others or both",
    "arrest_inconsistency": "Arrests were inconsistent",
    "universal_share": "Every survivor used strategies of her own",
}
#: Longest label made from a statement.
STATEMENT_CHARS = 44


def _shorten(statement: str) -> str:
    text = statement.rstrip(".")
    if len(text) <= STATEMENT_CHARS:
        return text
    cut = text[:STATEMENT_CHARS].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "\u2026"


def claim_text(entry: Mapping[str, Any]) -> str:
    """A claim's short label from its registry entry, without its id."""
    outcome, contrast = entry.get("outcome"), entry.get("contrast")
    if contrast in CONTRAST_LABELS and outcome in OUTCOME_LABELS:
        return f"{OUTCOME_LABELS[outcome]} \u2014 {CONTRAST_LABELS[contrast]}"
    exposure = entry.get("exposure")
    if exposure in EXPOSURE_LABELS and outcome in OUTCOME_LABELS:
        return f"{OUTCOME_LABELS[outcome]}, by {EXPOSURE_LABELS[exposure]}"
    for key in (entry.get("column"), entry.get("statistic")):
        if key in DESCRIPTIVE_LABELS:
            return DESCRIPTIVE_LABELS[key]
    return _shorten(entry["statement"])


def claim_label(entry: Mapping[str, Any]) -> str:
    """A short label with the id in parentheses: "Partner arrested, by earlier calls (C6)"."""
    return f"{claim_text(entry)} ({entry['id']})"


def capitalised(text: str) -> str:
    """The text with its first letter capitalised (and nothing else changed)."""
    return text[:1].upper() + text[1:]


def is_association(entry: Mapping[str, Any]) -> bool:
    """True for a claim about an association (its verdict rests on an interval of an effect)."""
    return entry.get("statistic") == "association"


def row_text(entry: Mapping[str, Any]) -> str:
    """A claim's row label under its group heading: the contrast alone for a race claim."""
    contrast = entry.get("contrast")
    if contrast in CONTRAST_LABELS and entry.get("outcome") in OUTCOME_LABELS:
        return f"{capitalised(CONTRAST_LABELS[contrast])} ({entry['id']})"
    return claim_label(entry)


def grouped_rows(entries: Sequence[Mapping[str, Any]], heading: float = 0.8, gap: float = 0.45
                 ) -> tuple[list[tuple[float, str]], list[float]]:
    """Row positions for claims in order, consecutive race claims of one outcome under a heading.

    Returns the headings (y, text) and one y per entry; rows are 1 apart,
    a heading takes ``heading`` and a group is set off by ``gap`` above and
    below.
    """
    headings: list[tuple[float, str]] = []
    ys: list[float] = []
    y, group = 0.0, None
    for entry in entries:
        key = (entry.get("outcome") if entry.get("contrast") in CONTRAST_LABELS
               and entry.get("outcome") in OUTCOME_LABELS else None)
        if key is not None and key != group:
            if ys:
                y += gap
            headings.append((y, OUTCOME_LABELS[key]))
            y += heading
        elif key is None and group is not None:
            y += gap
        group = key
        ys.append(y)
        y += 1.0
    return headings, ys


#: The methods of the batched evaluation (analysis.steps.statistics.METHODS): legend names,
#: level of analysis, and the same methods named in running text (captions and alt text).
METHOD_LABELS: dict[str, str] = {m.id: m.legend for m in METHODS.values()}
METHOD_LEVELS: dict[str, str] = {m.id: m.level for m in METHODS.values()}
METHOD_PROSE: dict[str, str] = {m.id: m.prose for m in METHODS.values()}
