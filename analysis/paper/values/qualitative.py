"""values.yml, the qualitative layer: themes, intercoder agreement with intervals, where
the coders differed, and code saturation.

Restricted builds publish no saturation curve or disagreement table (the curve
follows single interviews, the counts have no cell in the suppression plan,
and restricted data have no excerpts): their keys then say so in words, so
the manuscript reads in both builds. ``intro`` is the section's opening,
which differs by data source.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from analysis.disclosure.markers import SUPPRESSED, count_text, is_missing
from analysis.paper import fmt
from analysis.paper.values.common import share_text

#: What a restricted build says where a synthetic build reports what only its coding publishes.
NOT_PUBLISHED = "not published for restricted data"


def _code_name(code: str, labels: Mapping[str, str]) -> str:
    return labels.get(code, code.replace("_", " ")).lower()


def _kappa_ci(row: Mapping[str, Any]) -> str:
    if is_missing(row.get("kappa_low")) or is_missing(row.get("kappa_high")):
        return "no interval"
    return f"95% CI {fmt.interval(row['kappa_low'], row['kappa_high'])}"


WORDS = ("No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten")


def _count_word(n: int, capital: bool = False) -> str:
    word = WORDS[n] if n < len(WORDS) else str(n)
    return word if capital else word.lower()


def _no_interval_sentence(n: int, undefined: int, suppressed: int = 0) -> str:
    """Why some codes have no interval (and, in restricted builds, how many are suppressed)."""
    if n == 0:
        text = "Every code with a published kappa has an interval"
    else:
        text = (f"{_count_word(n, True)} code{'s' if n > 1 else ''} "
                f"{'have' if n > 1 else 'has'} no interval, because the coders agreed on every "
                "survivor or one coder applied the code to everyone")
        if undefined:
            text += (f"; for {_count_word(undefined)} of them kappa itself is undefined"
                     if n > 1 else "; its kappa itself is undefined")
    if suppressed:
        text += (f". The kappas of {_count_word(suppressed)} code{'s' if suppressed > 1 else ''}"
                 " are suppressed with their small counts")
    return text


def _lowest_sentence(lowest: Mapping[str, Any], labels: Mapping[str, str], n: int) -> str:
    """The lowest kappa and, where its code is nearly universal or rare, why it is low."""
    code = _code_name(str(lowest["code"]), labels)
    cases = lowest.get("cases_a")
    if is_missing(cases) or lowest.get("kappa") is None:
        return f"The lowest kappa, for *{code}*, is reported in the table"
    k = int(float(cases))
    text = f"The lowest kappa belongs to a code the primary coder applied to {k} of {n} survivors"
    if k >= 0.8 * n or k <= 0.2 * n:
        text += (": when nearly every case has a code, or nearly none, a few disagreements "
                 "weigh heavily against chance agreement, the \u201chigh agreement, low "
                 "kappa\u201d paradox")
    return text


def agreement_values(agreement: pd.DataFrame, overall: Mapping[str, Any],
                     labels: Mapping[str, str]) -> dict[str, str]:
    """Pooled and per-code agreement: kappas, their intervals, the extremes and their codes."""
    defined = agreement.dropna(subset=["kappa"]).sort_values("kappa", kind="mergesort")
    lowest = (defined.iloc[0] if len(defined) else
              pd.Series({"code": "none", "kappa": None, "cases_a": SUPPRESSED}))
    highest = defined.iloc[-1] if len(defined) else lowest
    with_ci = agreement.dropna(subset=["kappa_low", "kappa_high"]) \
        if "kappa_low" in agreement.columns else agreement.iloc[0:0]
    widths = with_ci["kappa_high"].astype(float) - with_ci["kappa_low"].astype(float)
    widest = with_ci.loc[widths.idxmax()] if len(with_ci) else None
    narrowest = with_ci.loc[widths.idxmin()] if len(with_ci) else None
    level = fmt.percent(overall.get("interval_level", 0.95))
    pooled_ci = (fmt.interval(overall["pooled_kappa_low"], overall["pooled_kappa_high"])
                 if not is_missing(overall.get("pooled_kappa_low")) else "n/a")
    def pooled(key: str, show=fmt.number) -> str:
        """A statistic of the pooled table, or the marker where a restricted build withheld it."""
        return SUPPRESSED if overall.get(key) is None else show(overall[key])

    return {
        "pooled_kappa": pooled("pooled_kappa"),
        "pooled_ci": pooled_ci,
        "pooled_band": pooled("pooled_band", str),
        "interval_level": level,
        "bootstrap_reps": fmt.count(overall.get("bootstrap_reps", 0)),
        "alpha": pooled("krippendorff_alpha"),
        "agreement_pct": pooled("percent_agreement", fmt.percent),
        "median_kappa": fmt.number(overall["median_kappa"]),
        "min_kappa": fmt.number(overall["min_kappa"]),
        "max_kappa": fmt.number(overall["max_kappa"]),
        "expected_kappa": pooled("expected_kappa"),
        "n_codes": str(overall["codes"]),
        "n_cells": fmt.count(overall["cells"]),
        "lowest_code": _code_name(str(lowest["code"]), labels),
        "lowest_kappa": fmt.number(lowest["kappa"]),
        "lowest_ci": _kappa_ci(lowest),
        "lowest_cases_a": count_text(lowest["cases_a"]),
        "highest_code": _code_name(str(highest["code"]), labels),
        "highest_kappa": fmt.number(highest["kappa"]),
        "widest_code": (_code_name(str(widest["code"]), labels) if widest is not None
                        else "none"),
        "widest_ci": _kappa_ci(widest) if widest is not None else "no interval",
        "narrowest_code": (_code_name(str(narrowest["code"]), labels)
                           if narrowest is not None else "none"),
        "narrowest_ci": _kappa_ci(narrowest) if narrowest is not None else "no interval",
        "n_no_interval": str(int(overall.get("codes_interval_undefined", 0))),
        "no_interval_sentence": _no_interval_sentence(
            int(overall.get("codes_interval_undefined", 0)),
            int(overall.get("codes_kappa_undefined", 0)),
            int(overall.get("codes_kappa_suppressed", 0))),
        "lowest_sentence": _lowest_sentence(lowest, labels, int(overall["cases"])),
        "n_kappa_undefined": str(int(overall.get("codes_kappa_undefined", 0))),
    }


def disagreement_values(overall: Mapping[str, Any], disagreements: pd.DataFrame | None,
                        labels: Mapping[str, str]) -> dict[str, str]:
    """Where the coders differed: confusable pairs against uniform flips, answer styles."""
    if disagreements is None or "confusable_share" not in overall:
        return {"sentence": "Restricted builds do not publish where the coders differed: the "
                            "counts have no place in the suppression plan, and there are no "
                            "excerpts to tabulate",
                "top_sentence": "in restricted builds it says only that it is not published",
                **{key: NOT_PUBLISHED for key in (
                    "n_disagreements", "confusable_pct", "confusable_uniform_pct",
                    "differ_short_pct", "differ_full_pct", "top_confusion", "top_confusion_n",
                    "n_missed", "n_confused")}}
    styles = overall["by_style"]
    confused = disagreements[disagreements["code_b"].fillna("") != ""]
    if len(confused):
        top = confused.iloc[0]
        top_text = (f"excerpts coder A coded *{_code_name(top['code_a'], labels)}* and coder B "
                    f"coded *{_code_name(top['code_b'], labels)}*"
                    f"{' as well' if top['kind'] == 'also' else ' instead'}")
        top_n = str(int(top["excerpts"]))
    else:
        top_text, top_n = "none", "0"
    concentrated = overall["confusable_share"] > overall["confusable_share_uniform"] + 0.05
    lead = ("The departures were not spread evenly, as uniform flips would be. "
            if concentrated else "The departures were spread about as uniform flips would be. ")
    sentence = lead + (
        f"Of the {int(overall['disagreements'])} decisions on which the coders differed, "
        f"{fmt.percent(overall['confusable_share'])} fell on a code whose confusable partner "
        f"(named in the codebook) the primary coder had applied to the same survivor, where "
        f"uniform flips at the same rate would have put "
        f"{fmt.percent(overall['confusable_share_uniform'])}; and coder B coded "
        f"{fmt.percent(styles['brief_or_hedged']['differ_share'])} of brief or hedged answers "
        f"differently from coder A, against {fmt.percent(styles['full']['differ_share'])} of "
        f"full answers")
    return {
        "sentence": sentence,
        "top_sentence": (f"the most frequent were {top_text} ({top_n} excerpts)"
                         if top_n != "0" else "coder B applied no other code to any excerpt"),
        "n_disagreements": str(int(overall["disagreements"])),
        "confusable_pct": fmt.percent(overall["confusable_share"]),
        "confusable_uniform_pct": fmt.percent(overall["confusable_share_uniform"]),
        "differ_short_pct": fmt.percent(styles["brief_or_hedged"]["differ_share"]),
        "differ_full_pct": fmt.percent(styles["full"]["differ_share"]),
        "top_confusion": top_text,
        "top_confusion_n": top_n,
        "n_missed": str(int(disagreements.loc[disagreements["kind"] == "missed",
                                              "excerpts"].sum())),
        "n_confused": str(int(confused["excerpts"].sum())),
    }


def saturation_values(summary: Mapping[str, Any] | None) -> dict[str, str]:
    """Interviews until no new code: in interview order, and over random orders."""
    if summary is None:
        return {"sentence": "Restricted builds do not draw the curve, which follows single "
                            "interviews in order",
                **{key: NOT_PUBLISHED for key in (
                    "interviews_to_all", "random_median", "random_low", "random_high", "orders",
                    "codes_observed", "band_level")}}
    reached = summary["interviews_to_all_in_order"]
    sentence = (
        f"In interview order, every one of the {summary['codes_observed']} codes the primary "
        f"coder applied had appeared by interview {reached}; over "
        f"{fmt.count(summary['random_orders'])} random orders of the interviews, the last new "
        f"code came with interview {summary['interviews_to_all_median']:.0f} (median; "
        f"{fmt.percent(summary['band_level'])} of orders between "
        f"{summary['interviews_to_all_low']:.0f} and {summary['interviews_to_all_high']:.0f})"
        if reached is not None else
        "In interview order, not every code the primary coder applied appeared")
    return {
        "sentence": sentence,
        "interviews_to_all": str(reached) if reached is not None else "never",
        "random_median": f"{summary['interviews_to_all_median']:.0f}",
        "random_low": f"{summary['interviews_to_all_low']:.0f}",
        "random_high": f"{summary['interviews_to_all_high']:.0f}",
        "orders": fmt.count(summary["random_orders"]),
        "codes_observed": str(summary["codes_observed"]),
        "band_level": fmt.percent(summary["band_level"]),
    }


def theme_values(themes: pd.DataFrame, labels: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Per theme: survivors with at least one of its codes, and its most common code.

    The excerpts quoted per theme are a table (:func:`analysis.paper.tables.excerpts_table`).
    """
    out: dict[str, dict[str, str]] = {}
    for _, row in themes[themes["level"] == "theme"].iterrows():
        theme = str(row["theme"])
        codes = themes[(themes["level"] == "code") & (themes["theme"] == theme)]
        shown = codes[[not is_missing(v) for v in codes["cases"]]]
        top = (shown.assign(_n=shown["cases"].astype(float))
               .sort_values("_n", ascending=False, kind="mergesort").iloc[0]
               if len(shown) else None)
        out[theme] = {
            "label": str(row["theme_label"]),
            "cases": count_text(row["cases"]),
            "pct": share_text(row, counts=("cases",)),
            "top_code": (_code_name(str(top["code"]), labels) if top is not None
                         else NOT_PUBLISHED),
            "top_cases": count_text(top["cases"]) if top is not None else NOT_PUBLISHED,
            "codes": str(len(codes)),
        }
    return out


INTRO = {
    "synthetic": (
        "Everything in this section is synthetic, and it is the part of the package that most "
        "needs saying so. Each survivor has a transcript written by a program: interviewer "
        "prompts from one interview guide, and answers composed by rules from a phrase grammar "
        "of our own, filled in with her synthetic record (how many police contacts she had, "
        "who called each time, what officers did, whether he was arrested and whether that was "
        "what she wanted, how safe she felt afterwards, the forms of violence and the steps "
        "she took herself). No sentence is a quotation from anyone. The primary coder's codes "
        "come from the same record, so the themes below restate the generating model in "
        "words, and the second coder is simulated: what the section can show is how a "
        "qualitative analysis of such material is reported and checked, not anything about "
        "real survivors"),
    "restricted": (
        "This build analysed restricted data: the codes and both coders' decisions come from "
        "the restricted tables, and only aggregate counts are shown, with small counts "
        "suppressed. No transcript or excerpt was read, and none is quoted; the parts of this "
        "section that describe the synthetic interviews and the simulated coders do not apply "
        "to this build"),
}


def qualitative_values(agreement: pd.DataFrame, overall: Mapping[str, Any],
                       themes: pd.DataFrame, disagreements: pd.DataFrame | None = None,
                       saturation: Mapping[str, Any] | None = None,
                       data_source: str = "synthetic") -> dict[str, Any]:
    """``qualitative``: the section's opening, themes, agreement, disagreements, saturation."""
    codes = themes[themes["level"] == "code"]
    labels = dict(zip(codes["code"], codes["label"], strict=True))
    return {
        "intro": INTRO[data_source],
        **agreement_values(agreement, overall, labels),
        "n_themes": str(int((themes["level"] == "theme").sum())),
        "n_cases": str(int(overall["cases"])),
        "disagreement": disagreement_values(overall, disagreements, labels),
        "saturation": saturation_values(saturation),
        "themes": theme_values(themes, labels),
    }
