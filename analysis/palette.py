"""The colours of every figure and export: Okabe & Ito's palette, one meaning per colour.

Okabe, M., & Ito, K. (2008). Color Universal Design (CUD): how to make figures
and presentations that are friendly to colorblind people.

Every chromatic colour of the palette carries one meaning across all figures,
so a reader who has learnt that blue is "the survivor called" in one figure is
never told something else by blue in another:

=================  ==========================================
colour             meaning in every figure
=================  ==========================================
blue               the survivor called the police herself
orange             someone else called the police
sky blue           a contact without visible injury
reddish purple     a contact with visible injury
bluish green       verdict: reproduced
yellow             verdict: inconclusive
vermillion         verdict: not reproduced
black and greys    no category: data, intervals, reference lines, text; a grey
                   ramp (:data:`MAGNITUDE_GREYS`) for ordered magnitudes
=================  ==========================================

Everything else is told apart without colour: levels of analysis by marker
shape (square: contact, circle: survivor), the primary level or method by a
filled marker, scenarios and contrasts by rows and panels with their names,
methods by marker and line style, effect sizes by the grey ramp. The dual
initiation pattern (both) is drawn in both initiation colours at once.
:data:`THEME_COLOURS` colour the qualitative codes in the REFI-QDA exports
only, where QDA software needs a colour per code; no figure uses them.
``tests/paper/test_figures.py`` checks that the meanings never share a colour
and that figure modules take colours only from here.
"""

from __future__ import annotations

OKABE_ITO: dict[str, str] = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}

#: Who brought police to the contact.
INITIATOR_COLOURS: dict[str, str] = {"self": OKABE_ITO["blue"], "external": OKABE_ITO["orange"]}

#: Whether the contact involved a visible injury (0: none, 1: visible).
INJURY_COLOURS: dict[int, str] = {0: OKABE_ITO["sky_blue"], 1: OKABE_ITO["reddish_purple"]}

#: A claim's three-level verdict (the values of analysis.steps.claims.VERDICTS).
VERDICT_COLOURS: dict[str, str] = {"reproduced": OKABE_ITO["bluish_green"],
                                   "inconclusive": OKABE_ITO["yellow"],
                                   "not reproduced": OKABE_ITO["vermillion"]}

#: Data without a category: lines, points and cells (NEUTRAL), bars (NEUTRAL_FILL), and an
#: empty cell (ABSENT).
NEUTRAL: str = "#333333"
NEUTRAL_FILL: str = "#A3A3A3"
ABSENT: str = "#EDEDED"
#: Ordered magnitudes, lightest first (e.g. effect multipliers 0 to 2): lightness is the size.
MAGNITUDE_GREYS: tuple[str, ...] = ("#BDBDBD", "#969696", "#636363", "#3A3A3A", "#000000")


def colour_name(colour: str) -> str:
    """The name of a palette colour for alt text ("reddish purple"), from its hex code."""
    names = {value.lower(): name.replace("_", " ") for name, value in OKABE_ITO.items()}
    try:
        return names[colour.lower()]
    except KeyError:
        raise ValueError(f"{colour} is not an Okabe-Ito colour of analysis.palette") from None


#: Colour of each qualitative theme in the REFI-QDA codebook and project (exports only).
THEME_COLOURS: dict[str, str] = {
    "violence": OKABE_ITO["vermillion"],
    "initiation": OKABE_ITO["blue"],
    "engagement": OKABE_ITO["bluish_green"],
    "arrest": OKABE_ITO["orange"],
    "safety": OKABE_ITO["reddish_purple"],
    "strategies": OKABE_ITO["sky_blue"],
}
