"""The names (keys) of the cells a restricted build publishes.

A key names one count wherever it appears: the Black survivors are
``("race", "Black")`` in the sample table, the initiation table, the
survivor-level tests, the claims and the power statement alike, so the count
gets one suppression decision everywhere.
"""

from __future__ import annotations

from analysis.disclosure.markers import Key
from analysis.study.variables import CONTACT_VARIABLES, CONTRASTS, PREDICTORS
from analysis.study.vocabulary import RACE_CATEGORIES, REFERENCE_RACE, SURVIVORS_OF_COLOUR

ALL_SURVIVORS = "All survivors"
#: The pooled table of the two coders' decisions (all codes) among the agreement keys.
ALL_CODES = "All codes"
ALL_CONTACTS = "All contacts"
ALL_CONTACTS_LEVEL = "all contacts"
SAFETY_LEVELS = {("Who initiated", "survivor called"): ("Who initiated", "self"),
                 ("Who initiated", "someone else called"): ("Who initiated", "external")}
SURVIVOR_N = ("N",)
CONTACT_N = ("C",)
#: The factor of the plan's unpublished contact counts by race/ethnicity (every category).
RACE_FACTOR = "Race/ethnicity"

#: The survivor groups of the race contrasts, by the race/ethnicity categories they hold.
SURVIVOR_GROUPS: dict[str, tuple[str, ...]] = {
    "Black": ("Black",),
    "other": tuple(r for r in RACE_CATEGORIES if r != "Black"),
    REFERENCE_RACE: (REFERENCE_RACE,),
    "colour": SURVIVORS_OF_COLOUR,
}
#: Each contrast's survivor groups: (exposed, reference).
CONTRAST_GROUPS: dict[str, tuple[str, str]] = {
    "colour_vs_white": ("colour", REFERENCE_RACE),
    "black_vs_others": ("Black", "other"),
}
#: Each contrast's contact-level factor and its (exposed, reference) levels in the describe tables.
CONTRAST_LEVELS: dict[str, tuple[str, str, str]] = {
    name: contrast.levels for name, contrast in CONTRASTS.items()}
#: The contact-level factor levels of the race contrasts, by the categories they hold.
CONTACT_GROUPS: dict[tuple[str, str], tuple[str, ...]] = {
    (factor, level): SURVIVOR_GROUPS[group]
    for contrast, (factor, *levels) in CONTRAST_LEVELS.items()
    for level, group in zip(levels, CONTRAST_GROUPS[contrast], strict=True)
}


def sample_key(characteristic: str, category: str) -> Key:
    if characteristic == "Race/ethnicity":
        return ("race", category)
    if characteristic == "Children in the home":
        return ("children", category)
    if characteristic == "Relationship with partner":
        return ("relationship", category)
    return SURVIVOR_N


def group_size_key(group: str) -> Key:
    """Survivors of a group of the initiation table (all survivors or one category)."""
    return SURVIVOR_N if group == ALL_SURVIVORS else ("race", group)


def survivor_group_key(group: str) -> Key:
    """Survivors of a contrast group (:data:`SURVIVOR_GROUPS`)."""
    members = SURVIVOR_GROUPS[group]
    return ("race", members[0]) if len(members) == 1 else (f"race_{group}",)


def contrast_group_keys(contrast: str) -> tuple[Key, Key]:
    """Survivors of a contrast's (exposed, reference) groups: the power statement's n1, n0."""
    exposed, reference = CONTRAST_GROUPS[contrast]
    return survivor_group_key(exposed), survivor_group_key(reference)


def contacts_key(factor: str, level: str) -> Key:
    factor, level = SAFETY_LEVELS.get((factor, level), (factor, level))
    return CONTACT_N if factor == ALL_CONTACTS else ("contacts", factor, level)


def denominator_key(factor: str, level: str, applies_to: str = ALL_CONTACTS_LEVEL) -> Key:
    """The contacts a share of a practice is of: all of a level's, or those it applies to."""
    if applies_to == ALL_CONTACTS_LEVEL:
        return contacts_key(factor, level)
    return ("contacts_where", applies_to, factor, level)


def rate_key(outcome: str, factor: str, level: str) -> Key:
    return ("rate", outcome, factor, level)


def variable_key(cell: tuple[str, str]) -> Key:
    """The key of a contact variable's cell (:attr:`ContactVariable.cell`): the contacts
    where it is 1, counted in the describe tables (or those a practice applies to)."""
    factor, level = cell
    if factor == "applies":
        return denominator_key(ALL_CONTACTS, ALL_CONTACTS_LEVEL, level)
    return contacts_key(factor, level)


#: A 0/1 contact-level predictor of the clustered models: the cell of the contacts where it
#: is 1 (its mean over contacts, in fits.json, is that count over all contacts).
PREDICTOR_CELLS: dict[str, Key] = {
    name: variable_key(CONTACT_VARIABLES[name].cell) for name in PREDICTORS
    if CONTACT_VARIABLES[name].cell is not None}
