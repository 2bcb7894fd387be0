"""values.yml, the qualitative layer: themes, intercoder agreement with intervals, where
the coders differed, and code saturation.

Restricted builds publish no saturation curve or disagreement table (the curve
follows single interviews, the counts have no cell in the suppression plan,
and restricted data have no excerpts): their keys then say so in words, so
the manuscript reads in both builds. ``intro`` is the section's opening,
which differs by data source.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from analysis.disclosure.markers import SUPPRESSED, count_text, is_missing
from analysis.paper import fmt
from analysis.paper.values.common import share_text
from analysis.study.vocabulary import number_word

#: What a restricted build says where a synthetic build reports what only its coding publishes.
NOT_PUBLISHED = "not published for restricted data"


def _code_name(code: str, labels: Mapping[str, str]) -> str:
    return labels.get(code, code.replace("_", " ")).lower()


def _ci(row: Mapping[str, Any], stat: str = "kappa") -> str:
    if is_missing(row.get(f"{stat}_low")) or is_missing(row.get(f"{stat}_high")):
        return "no interval"
    return f"95% CI {fmt.interval(row[f'{stat}_low'], row[f'{stat}_high'])}"


def _kappa_ci(row: Mapping[str, Any]) -> str:
    return _ci(row, "kappa")


def _count_word(n: int, capital: bool = False) -> str:
    word = "no" if n == 0 else number_word(n)
    return word.capitalize() if capital else word


def _no_interval_sentence(n: int, undefined: int, suppressed: int = 0) -> str:
    """Why some codes have no interval (and, in restricted builds, how many are withheld)."""
    if n == 0:
        text = "Every code with a published kappa has an interval"
    else:
        text = (f"{_count_word(n, True)} code{'s' if n > 1 else ''} "
                f"{'have' if n > 1 else 'has'} no interval, because the coders never differed "
                f"on {'them' if n > 1 else 'it'}: every resample agrees perfectly, and a "
                "bootstrap interval would be the single point 1")
        if undefined:
            text += (f"; for {_count_word(undefined)} of them kappa itself is undefined"
                     if n > 1 else "; its kappa itself is undefined")
    if suppressed:
        text += (f". The coefficients of {_count_word(suppressed)} "
                 f"code{'s' if suppressed > 1 else ''} are withheld, because a count of "
                 f"{'their tables' if suppressed > 1 else 'its table'} is")
    return text


def _counts_published(row: Mapping[str, Any]) -> bool:
    return all(not is_missing(row.get(k)) for k in ("both", "a_only", "b_only"))


def _lowest_sentence(lowest: Mapping[str, Any], labels: Mapping[str, str],
                     units: str = "excerpts") -> str:
    """The lowest kappa, read from its counts: how many units each coder gave the code."""
    code = _code_name(str(lowest["code"]), labels)
    if lowest.get("kappa") is None or not _counts_published(lowest):
        return f"The lowest kappa, for *{code}*, is reported in the table"
    both, a_only, b_only = (int(float(lowest[k])) for k in ("both", "a_only", "b_only"))
    either = both + a_only + b_only
    return (f"The lowest kappa is easiest to read from its counts: of the {either} {units} "
            f"either coder gave *{code}*, both gave it to {both}; coder A alone to {a_only} "
            f"and coder B alone to {b_only}")


def _prevalence_sentence(agreement: pd.DataFrame, labels: Mapping[str, str]) -> str:
    """Why AC1 sits near percent agreement here: every code is absent from most excerpts."""
    if "excerpts_a" not in agreement.columns or agreement["excerpts_a"].map(is_missing).any():
        return ("Every code is absent from most excerpts, so percent agreement and AC1 are "
                "dominated by excerpts that neither coder gave the code; kappa discounts those "
                "agreed absences and is the stricter reading")
    share = agreement["excerpts_a"].astype(float) / agreement["excerpts"].astype(float)
    top = agreement.loc[share.idxmax()]
    return (f"Every code is absent from most excerpts (the most frequent, "
            f"*{_code_name(str(top['code']), labels)}*, is on {fmt.percent(share.max())} of "
            "them), so percent agreement and AC1 are dominated by excerpts that neither coder "
            "gave the code; kappa discounts those agreed absences and is the stricter reading "
            "here, AC1 the check that a low kappa is not an artefact of a rare code")


#: How the manuscript describes the unit of agreement and its intervals, by data source
#: (a restricted build measures agreement per survivor and code: see
#: :func:`analysis.steps.qualitative.case_agreement`).
MEASURE = {
    "synthetic": (
        "We measure agreement on coded segments, as qualitative coders compare their work: "
        "for each of the {n_excerpts} excerpts and each of the {n_codes} codes, did each coder "
        "apply the code to the excerpt? That gives {n_decisions} decisions, and per code four "
        "counts: excerpts both coders gave the code, those only one of them gave it, and those "
        "neither did"),
    "restricted": (
        "In this restricted build agreement is measured per survivor and code, not per "
        "excerpt: for each of the {n_cases} survivors and each of the {n_codes} codes, did each "
        "coder apply the code to her? That gives {n_decisions} decisions, and per code four "
        "counts of survivors: those both coders gave the code, those only one of them gave it, "
        "and those neither did. These counts are cells of the suppression plan, like every "
        "other count this build publishes. Agreement per excerpt is not published for "
        "restricted data: its counts of excerpts have no place in the plan, and a coefficient "
        "computed from them would narrow counts of survivors that the plan withholds"),
}
CAPTION = {
    "synthetic": (
        "Intercoder agreement between the two simulated coders, per code and pooled, over "
        "excerpt-by-code decisions: the excerpts coder A gave the code, those coder B gave it "
        "and those both gave it, out of all the synthetic excerpts, with Cohen's kappa and "
        "Gwet's AC1 and their 95% bootstrap intervals (survivors resampled; none where the "
        "coders never differed). The pooled row gives the summed counts, the pooled kappa and "
        "the AC1 pooled the same way (see Methods)."),
    "restricted": (
        "Intercoder agreement between the two coders, per code and pooled, over "
        "survivor-by-code decisions (restricted data): the survivors coder A gave the code, "
        "those coder B gave it and those both gave it, as the suppression plan shows them, "
        "with Cohen's kappa and Gwet's AC1 and each code's 95% bootstrap interval (survivors "
        "resampled from the code's table; none where the coders never differed). A code's "
        "coefficients are withheld where a count of its table is. The pooled row gives the "
        "summed counts and the pooled kappa and AC1 (see Methods), without intervals."),
}
INTERVALS = {
    "synthetic": (
        "Each interval resamples survivors with all their excerpts, {reps} times, so it cannot "
        "leave the range of the coefficient; an upper limit of 1.00 means that in at least one "
        "resample in forty the coders never differed on that code"),
    "restricted": (
        "Each code's interval resamples survivors, {reps} times, from that code's own table, "
        "so it rests on no more than the four counts the table shows and cannot leave the "
        "range of the coefficient. The pooled coefficients are shown without intervals: "
        "resampling survivors with all their codes draws on which codes each survivor holds, "
        "which no published table shows. Where a count of a code's table is withheld, so are "
        "its coefficients, and the pooled kappa and AC1 where any count is"),
}


#: Restricted builds: why kappa and AC1 can part (no excerpt counts to name the rarest code).
RESTRICTED_PREVALENCE = (
    "Where a code is held by nearly every survivor or by almost none, agreement is dominated "
    "by the common decision, and kappa's chance correction pulls it towards zero even when "
    "the coders rarely differ; AC1 is the check that a low kappa is not an artefact of such "
    "a code")


def agreement_values(agreement: pd.DataFrame, overall: Mapping[str, Any],
                     labels: Mapping[str, str], data_source: str = "synthetic"
                     ) -> dict[str, str]:
    """Pooled and per-code agreement: kappa and AC1 with their bootstrap intervals, the
    extremes and their codes, over excerpt x code decisions (synthetic builds) or
    survivor x code decisions (restricted builds, which withhold what a withheld count
    would reveal: those values are the marker)."""
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
    restricted = data_source == "restricted"

    def pooled(key: str, show: Callable[[Any], str] = fmt.number) -> str:
        """A pooled statistic, or the marker where a restricted build withheld it."""
        return SUPPRESSED if overall.get(key) is None else show(overall[key])

    def pooled_ci(stat: str) -> str:
        if restricted:
            return NOT_PUBLISHED
        low, high = overall.get(f"pooled_{stat}_low"), overall.get(f"pooled_{stat}_high")
        return fmt.interval(low, high) if not is_missing(low) else "n/a"

    counts = {"n_codes": str(overall["codes"]), "n_cases": str(overall["cases"]),
              "n_excerpts": (NOT_PUBLISHED if "excerpts" not in overall
                             else fmt.count(overall["excerpts"])),
              "n_decisions": fmt.count(overall["decisions"])}
    return {
        "measure_sentence": MEASURE[data_source].format(**counts),
        "table_caption": CAPTION[data_source],
        "interval_sentence": INTERVALS[data_source].format(
            reps=fmt.count(overall.get("bootstrap_reps", 0))),
        "pooled_kappa": pooled("pooled_kappa"),
        "pooled_ci": pooled_ci("kappa"),
        "pooled_band": pooled("pooled_band", str),
        "pooled_ac1": pooled("pooled_ac1"),
        "pooled_ac1_ci": pooled_ci("ac1"),
        "interval_level": level,
        "bootstrap_reps": fmt.count(overall.get("bootstrap_reps", 0)),
        "alpha": pooled("krippendorff_alpha"),
        "agreement_pct": pooled("percent_agreement", fmt.percent),
        "median_kappa": fmt.number(overall["median_kappa"]),
        "min_kappa": fmt.number(overall["min_kappa"]),
        "max_kappa": fmt.number(overall["max_kappa"]),
        "min_ac1": fmt.number(overall.get("min_ac1")),
        "max_ac1": fmt.number(overall.get("max_ac1")),
        **{k: v for k, v in counts.items() if k != "n_cases"},
        "n_decision_disagreements": pooled("disagreements", fmt.count),
        "lowest_code": _code_name(str(lowest["code"]), labels),
        "lowest_kappa": fmt.number(lowest["kappa"]),
        "lowest_ci": _kappa_ci(lowest),
        "lowest_ac1": fmt.number(lowest.get("ac1")),
        "lowest_ac1_ci": _ci(lowest, "ac1"),
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
        "lowest_sentence": _lowest_sentence(lowest, labels,
                                            "survivors" if restricted else "excerpts"),
        "prevalence_sentence": (RESTRICTED_PREVALENCE if restricted
                                else _prevalence_sentence(agreement, labels)),
        "n_kappa_undefined": str(int(overall.get("codes_kappa_undefined", 0))),
    }


def disagreement_values(overall: Mapping[str, Any], disagreements: pd.DataFrame | None,
                        labels: Mapping[str, str]) -> dict[str, str]:
    """The generator check and where the coders differed: the configured rate against the
    share of case-code decisions coder B changed, confusable pairs against uniform flips,
    answer styles, and the most frequent exchange of codes on excerpts."""
    if disagreements is None or "confusable_share" not in overall:
        return {"sentence": "Restricted builds have no simulated coder to check, and do not "
                            "publish where the coders differed: those counts have no place in "
                            "the suppression plan, and there are no excerpts to tabulate",
                "top_sentence": "in restricted builds it says only that it is not published",
                **{key: NOT_PUBLISHED for key in (
                    "n_disagreements", "confusable_pct", "confusable_uniform_pct",
                    "differ_short_pct", "differ_full_pct", "top_confusion", "top_confusion_n",
                    "n_missed", "n_confused", "configured_rate", "case_share",
                    "n_case_decisions")}}
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
    differ = int(overall["case_code_disagreements"])
    sentence = (
        f"The generator was set to make coder B depart from coder A on an expected "
        f"{fmt.percent(overall['disagreement_rate'])} of the "
        f"{fmt.count(overall['case_code_decisions'])} case-code decisions (did she apply the "
        f"code to this survivor?); in this build she departed on {differ} "
        f"({fmt.percent(overall['case_code_disagreement_share'], 1)}). "
        + ("Her departures were not spread evenly, as uniform flips would be: "
           if concentrated else "Her departures were spread about as uniform flips would be: ")
        + f"{fmt.percent(overall['confusable_share'])} fell on a code whose confusable partner "
        f"(named in the codebook) the primary coder had applied to the same survivor, where "
        f"uniform flips at the same rate would have put "
        f"{fmt.percent(overall['confusable_share_uniform'])}; and she coded "
        f"{fmt.percent(styles['brief_or_hedged']['differ_share'])} of brief or hedged answers "
        f"differently from coder A, against {fmt.percent(styles['full']['differ_share'])} of "
        f"full answers")
    return {
        "sentence": sentence,
        "top_sentence": (f"the most frequent were {top_text} ({top_n} excerpts)"
                         if top_n != "0" else "coder B applied no other code to any excerpt"),
        "n_disagreements": str(differ),
        "configured_rate": fmt.percent(overall["disagreement_rate"]),
        "case_share": fmt.percent(overall["case_code_disagreement_share"], 1),
        "n_case_decisions": fmt.count(overall["case_code_decisions"]),
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
        **agreement_values(agreement, overall, labels, data_source),
        "n_themes": str(int((themes["level"] == "theme").sum())),
        "n_cases": str(int(overall["cases"])),
        "disagreement": disagreement_values(overall, disagreements, labels),
        "saturation": saturation_values(saturation),
        "themes": theme_values(themes, labels),
    }
