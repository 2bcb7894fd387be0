"""The names (keys) of the cells a restricted build publishes.

A key names one count wherever it appears: the Black survivors are
``("race", "Black")`` in the sample table, the initiation table, the
survivor-level tests and the power statement alike, so the count gets one
suppression decision everywhere.
"""

from __future__ import annotations

from analysis.disclosure.markers import Key

ALL_SURVIVORS = "All survivors"
ALL_CONTACTS = "All contacts"
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
