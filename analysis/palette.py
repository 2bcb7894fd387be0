"""The one colour palette of every figure and export (Okabe & Ito, colour-blind safe).

Okabe, M., & Ito, K. (2008). Color Universal Design (CUD): how to make figures
and presentations that are friendly to colorblind people.
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

#: Ordered list used for categorical series.
SERIES: tuple[str, ...] = (
    OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["bluish_green"],
    OKABE_ITO["vermillion"], OKABE_ITO["reddish_purple"], OKABE_ITO["sky_blue"],
    OKABE_ITO["yellow"], OKABE_ITO["black"],
)

#: Colour of each qualitative theme (figures and the REFI-QDA codebook share it).
THEME_COLOURS: dict[str, str] = {
    "violence": OKABE_ITO["vermillion"],
    "initiation": OKABE_ITO["blue"],
    "engagement": OKABE_ITO["bluish_green"],
    "arrest": OKABE_ITO["orange"],
    "safety": OKABE_ITO["reddish_purple"],
    "strategies": OKABE_ITO["sky_blue"],
}

#: Colours of the robustness scenarios.
SCENARIO_COLOURS: dict[str, str] = {"published": OKABE_ITO["blue"], "null": OKABE_ITO["orange"],
                                    "reversed": OKABE_ITO["vermillion"],
                                    "contrary": OKABE_ITO["reddish_purple"]}
