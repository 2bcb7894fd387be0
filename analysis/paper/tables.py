"""The manuscript's tables as Markdown pipe tables, generated from the results.

Captions live in the manuscript (a ``: Caption {#tbl-id}`` line after the
include), so each file here is only the table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from analysis.disclosure.markers import SUPPRESSED, count_text, is_suppressed
from analysis.disclosure.publish import AGREEMENT_COUNTS, AGREEMENT_UNIT
from analysis.paper import fmt
from analysis.paper.expectations import expectation_text
from analysis.paper.values import Bundle, true_values
from analysis.paper.values.claims import claim_values
from analysis.paper.values.common import extreme_text, one, row_suppressed, share_text
from analysis.paper.values.reproducibility import software_rows
from analysis.paper.values.robustness import performance_measure
from analysis.steps.performance import needed_text
from analysis.steps.statistics import METHODS
from analysis.study.variables import CONTACT_VARIABLES, CONTRASTS
from analysis.study.vocabulary import PRACTICES, RACE_CATEGORIES

#: Every Markdown table the values step writes (``results/tables/<name>.md``).
TABLES: tuple[str, ...] = ("sample", "claims", "models", "survivor_tests", "excerpts",
                           "agreement", "disagreements", "expected_vs_actual", "robustness",
                           "sample_size", "covariance",
                           "parameters", "safety_change", "software", "hashes")


def pipe_table(headers: Sequence[str], rows: Sequence[Sequence[Any]],
               align: str | None = None, widths: Sequence[int] | None = None) -> str:
    """A Markdown pipe table; ``align`` has one of l, r, c per column.

    Pandoc sizes the columns of a wide pipe table by the number of dashes in
    the separator line, so each column gets dashes in proportion to its
    longest content (between 7 and 32 characters, or the relative ``widths``
    given), and the separator is made wider than the text so that the table
    spans the page and its cells wrap.
    """
    align = align or "l" * len(headers)
    escape = lambda v: str(v).replace("|", "\\|")  # noqa: E731
    if widths is None:
        widths = []
        for j, header in enumerate(headers):
            longest_word = max(len(word) for word in str(header).split())
            longest = max([longest_word] + [len(str(r[j])) for r in rows])
            widths.append(max(7, min(longest, 32)) + 3)
    scale = max(1.0, 110 / sum(widths))
    marks = []
    for a, w in zip(align, widths, strict=True):
        dashes = "-" * max(3, round(w * scale) - 1)
        marks.append({"l": ":" + dashes, "r": dashes + ":", "c": ":" + dashes[1:] + ":"}[a])
    lines = ["| " + " | ".join(map(escape, headers)) + " |",
             "|" + "|".join(marks) + "|"]
    lines += ["| " + " | ".join(map(escape, row)) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def sample_table(bundle: Bundle) -> str:
    sample = bundle.tables["sample"]
    rows = []
    for _, row in sample.iterrows():
        if pd.notna(row.get("mean")):
            low, high = extreme_text(row["min"]), extreme_text(row["max"])
            rows.append((row["characteristic"],
                         f"{fmt.number(row['mean'], 1)} ({fmt.number(row['sd'], 1)})",
                         SUPPRESSED if SUPPRESSED in (low, high) else f"{low}{fmt.DASH}{high}"))
        else:
            rows.append((f"{row['characteristic']}: {row['category']}", count_text(row["n"]),
                         share_text(row, counts=("n",))))
    return pipe_table(("Characteristic", "n or mean (SD)", "% or range"), rows, "lrr")


LEVEL_NAMES = {"contact": "contacts", "survivor": "survivors"}


def _level_cell(values: Mapping[str, str]) -> str:
    if values["ci"] in ("n/a", SUPPRESSED):
        return values["estimate"]
    return f"{values['estimate']} {values['ci']}"


def claims_table(bundle: Bundle, config: Mapping[str, Any]) -> str:
    """Every claim: the primary level's estimate and interval, the other level's, the true value."""
    truths = true_values(bundle, config)
    rows = []
    for claim in bundle.claims:
        v = claim_values(claim, truths.get(claim["id"]))
        primary = claim["primary_level"]
        other = next((lv for lv in claim["levels"] if lv != primary), None)
        other_cell = (f"{_level_cell(v[other])} ({LEVEL_NAMES[other]})" if other else "")
        rows.append((v["id"], v["statement"],
                     f"{_level_cell(v[primary])} ({LEVEL_NAMES[primary]})", other_cell,
                     v["truth"]["value"] if "truth" in v else "n/a", f"**{v['verdict']}**"))
    return pipe_table(("Claim", "Finding (our paraphrase)", "Primary level, estimate [95% CI]",
                       "Other level", "True value", "Verdict"), rows, "llllrl",
                      widths=(7, 31, 21, 21, 8, 15))


TERM_LABELS = {name: v.term for name, v in CONTACT_VARIABLES.items() if v.term}


def models_table(bundle: Bundle) -> str:
    rows = []
    for _, row in bundle.models.iterrows():
        if row["estimable"]:
            rows.append((row["model"], TERM_LABELS[row["term"]], fmt.number(row["odds_ratio"]),
                         fmt.interval(row["ci_low"], row["ci_high"]), fmt.p_bare(row["p_value"]),
                         f"{int(row['n_contacts'])} / {int(row['n_survivors'])}"))
        else:
            rows.append((row["model"], TERM_LABELS[row["term"]], "not estimable", row["reason"],
                         "", f"{int(row['n_contacts'])} / {int(row['n_survivors'])}"))
    return pipe_table(("Outcome", "Term", "OR", "95% CI", "p", "Contacts / survivors"), rows,
                      "llrrrr")


def survivor_tests_table(bundle: Bundle) -> str:
    """Survivor-level comparisons of both contrasts: shares, difference, Fisher and Holm p."""
    rows = []
    labels = {name: c.headings for name, c in CONTRASTS.items()}
    for _, row in bundle.survivor_tests.iterrows():
        exposed, reference = labels[row["contrast"]]
        counts = ("exposed_yes", "exposed_n", "reference_yes", "reference_n")
        if row_suppressed(row, counts):
            tests = (SUPPRESSED, SUPPRESSED, SUPPRESSED)
        else:
            tests = (f"{fmt.points(row['difference'])} "
                     f"{fmt.points_interval(row['ci_low'], row['ci_high'])}"
                     if row["estimable"] else "n/a",
                     fmt.p_bare(row["p_value"]),
                     # Restricted data: Holm's p of a contrast with a suppressed row is withheld.
                     SUPPRESSED if pd.notna(row["p_value"]) and pd.isna(row["p_holm"])
                     else fmt.p_bare(row["p_holm"]))
        rows.append((row["label"], f"{exposed}: {row['exposed_yes']}/{row['exposed_n']}",
                     f"{reference}: {row['reference_yes']}/{row['reference_n']}", *tests))
    return pipe_table(("Survivor-level outcome", "Group", "Comparison group",
                       "Difference, points [95% CI]", "p (Fisher)", "p (Holm)"), rows, "lllrrr",
                      widths=(26, 20, 20, 18, 8, 8))


def agreement_table(bundle: Bundle, codebook: pd.DataFrame | None = None) -> str:
    """Agreement per code and pooled, over excerpt x code decisions (synthetic builds) or
    survivor x code decisions (restricted builds).

    Per code: the units (excerpts, or survivors) coder A gave the code, those coder
    B gave it and those both gave it (the counts every coefficient is computed
    from), Cohen's kappa and Gwet's AC1 with their bootstrap intervals. A
    restricted build shows its counts of survivors as the disclosure plan does,
    and withholds the coefficients of a code whose table has a withheld count, the
    pooled ones when a count they rest on is withheld, and the pooled intervals
    (:func:`analysis.disclosure.publish.publish_qualitative`).
    """
    labels = {} if codebook is None else dict(zip(codebook["code"], codebook["label"],
                                                  strict=True))
    ov = bundle.agreement_overall
    survivors = ov.get("unit") == AGREEMENT_UNIT

    def coefficient(value: Any, low: Any, high: Any) -> str:
        if pd.isna(value):
            return "undefined"
        text = fmt.number(value)
        return text + (f" {fmt.interval(low, high)}" if pd.notna(low) else "")

    def pooled(stat: str) -> str:
        if ov.get(f"pooled_{stat}") is None:   # restricted: a count it rests on is withheld
            return SUPPRESSED
        return coefficient(ov[f"pooled_{stat}"], ov.get(f"pooled_{stat}_low"),
                           ov.get(f"pooled_{stat}_high"))

    rows = []
    totals = [0, 0, 0]
    counted = survivors or "excerpts_a" in bundle.agreement.columns
    columns = ("cases_a", "cases_b", "both") if survivors else ("excerpts_a", "excerpts_b", "both")
    for _, row in bundle.agreement.iterrows():
        kappa = coefficient(row["kappa"], row.get("kappa_low"), row.get("kappa_high"))
        ac1 = coefficient(row.get("ac1"), row.get("ac1_low"), row.get("ac1_high"))
        if row_suppressed(row, ("cases_a", "cases_b", *AGREEMENT_COUNTS, "band")):
            kappa = ac1 = SUPPRESSED
        if survivors:
            counts = " / ".join(count_text(row[k]) for k in columns)
        elif counted:
            numbers = [int(row[k]) for k in columns]
            totals = [t + n for t, n in zip(totals, numbers, strict=True)]
            counts = " / ".join(map(str, numbers))
        else:
            counts = "not published"
        rows.append((labels.get(row["code"], row["code"]), counts, kappa, ac1))
    if survivors:
        cells = ov.get("pooled_counts", {})
        both, a_only, b_only = (cells.get(k, SUPPRESSED) for k in ("both", "a_only", "b_only"))
        shown = not any(is_suppressed(v) for v in (both, a_only, b_only))
        pooled_counts = (" / ".join(count_text(v) for v in (
            float(both) + float(a_only), float(both) + float(b_only), both))
            if shown else SUPPRESSED)
    else:
        pooled_counts = " / ".join(map(str, totals)) if counted else "not published"
    rows.append(("**All codes (pooled)**", pooled_counts, pooled("kappa"), pooled("ac1")))
    unit = "Survivors" if survivors else "Excerpts"
    return pipe_table(("Code", f"{unit} coded: A / B / both", "Cohen's kappa [95% CI]",
                       "Gwet's AC1 [95% CI]"), rows, "lrrr", widths=(40, 22, 24, 24))


def excerpts_table(bundle: Bundle, codebook: pd.DataFrame | None = None) -> str:
    """The synthetic excerpts quoted per theme (chosen by the rule of
    :func:`analysis.steps.qualitative.theme_excerpts`), each with its code and id.

    Restricted builds have no excerpts: one row says none is shown.
    """
    headers = ("Theme", "Code (survivors)", "Synthetic excerpt")
    if bundle.theme_excerpts is None:
        return pipe_table(headers, [("Not shown: restricted data have no transcripts", "", "")],
                          "lll")
    labels = {} if codebook is None else dict(zip(codebook["code"], codebook["label"],
                                                  strict=True))
    themes = {} if codebook is None else dict(zip(codebook["theme"], codebook["theme_label"],
                                                  strict=False))
    rows = []
    previous = None
    for _, row in bundle.theme_excerpts.iterrows():
        theme = themes.get(row["theme"], row["theme"])
        text = " ".join(str(row["text"]).split())
        rows.append(("" if theme == previous else theme,
                     f"{labels.get(row['code'], row['code'])} ({int(row['cases'])})",
                     f"\u201c{text}\u201d ({row['excerpt_id']}, synthetic)"))
        previous = theme
    return pipe_table(headers, rows, "lll", widths=(20, 24, 66))


def disagreements_table(bundle: Bundle, codebook: pd.DataFrame | None = None) -> str:
    """Excerpts the coders coded differently: per coder A's code, what coder B did instead.

    One row per code (codebook order) with at least one such excerpt: how many
    excerpts coder B left without a code, and which other codes she applied to
    them, with ``instead`` (she did not apply coder A's code) or ``as well``, and
    the number of excerpts. A code that is not a confusable partner of the
    excerpt's code is marked. Restricted builds have no excerpts: one row says
    the table is not published.
    """
    headers = ("Coder A's code", "Coder B applied no code", "Coder B applied another code")
    if bundle.disagreements is None:
        return pipe_table(headers, [("Not published for restricted data (no transcripts)",
                                     "", "")], "lrl")
    labels = {} if codebook is None else dict(zip(codebook["code"], codebook["label"],
                                                  strict=True))
    order = list(labels) or list(dict.fromkeys(bundle.disagreements["code_a"]))
    frame = bundle.disagreements
    rows = []
    for code in order:
        part = frame[frame["code_a"] == code]
        if part.empty:
            continue
        missed = int(part.loc[part["kind"] == "missed", "excerpts"].sum())
        others = []
        for _, row in part[part["kind"] != "missed"].iterrows():
            other = labels.get(row["code_b"], row["code_b"]).lower()
            how = "instead" if row["kind"] == "instead" else "as well"
            flag = "" if row["confusable"] in (True, "True", 1) else ", not a confusable pair"
            others.append(f"{other}, {how} ({int(row['excerpts'])}{flag})")
        rows.append((labels.get(code, code), str(missed), "; ".join(others) or "none"))
    if not rows:
        rows.append(("The coders coded every excerpt alike", "0", "none"))
    return pipe_table(headers, rows, "lrl", widths=(34, 14, 62))


def expected_vs_actual_table(bundle: Bundle) -> str:
    """Each practice: what guidance expects (read, cited), where it applies, how often reported.

    The reported share is of the contacts at which the practice applies
    (checking on children: contacts with children in the home), with its
    Wilson interval and counts; by race beside it. Shares by who called are
    in the practices figure, not repeated here.
    """
    eva = bundle.tables["expected_vs_actual"]
    rows = []
    for key, label in PRACTICES.items():
        part = eva[eva["outcome"] == f"practice_{key}"].set_index(["factor", "level"])
        overall = part.loc[("All contacts", "all contacts")]
        if row_suppressed(overall):
            reported = SUPPRESSED
        else:
            reported = (f"{share_text(overall)} "
                        f"{fmt.interval(overall['ci_low'], overall['ci_high'], fmt.percent)} "
                        f"({count_text(overall['successes'])} of {count_text(overall['n'])})")
        rows.append((label, expectation_text(key), str(overall["applies_to"]), reported,
                     share_text(part.loc[("Race", "Black")]),
                     share_text(part.loc[("Race", "other")])))
    return pipe_table(("Practice", "Expected by the guidance read", "Share of",
                       "Reported (95% CI; contacts)", "Black survivors", "Other survivors"),
                      rows, "lllrrr", widths=(14, 35, 11, 22, 9, 9))


def robustness_table(bundle: Bundle) -> str:
    """Per claim and scenario: the shares of replications reproducing it and inconclusive."""
    rob = bundle.robustness
    rows = []
    for claim in bundle.claims:
        cells = [claim["id"]]
        for scenario in bundle.scenarios:
            row = one(rob, claim=claim["id"], scenario=scenario["name"])
            cells.append(f"{fmt.percent(row['reproduced_share'], 1)} "
                         f"({fmt.percent(row['reproduced_mcse'], 1)})")
            cells.append(fmt.percent(row["inconclusive_share"], 1))
        rows.append(cells)
    headers = ["Claim"]
    for scenario in bundle.scenarios:
        headers += [f"{scenario['title']}: reproduced (MCSE)", "inconclusive"]
    return pipe_table(headers, rows, "l" + "rr" * len(bundle.scenarios))


def sample_size_table(bundle: Bundle, config: Mapping[str, Any]) -> str:
    """Per association claim: power at the study's size and the survivors 80% power needs."""
    n = int(config["n_participants"])
    perf = bundle.performance
    rows = []
    for _, row in bundle.sample_size.iterrows():
        power, _ = performance_measure(perf, row["claim"], row["method"], n, 1.0, "reproduced")
        coverage, _ = performance_measure(perf, row["claim"], row["method"], n, 1.0, "coverage")
        rows.append((row["claim"], METHOD_LABELS.get(row["method"], row["method"]),
                     fmt.percent(power, 1), fmt.percent(coverage, 1), needed_text(row)))
    return pipe_table(("Claim", "Primary method", f"Reproduced at {n} survivors",
                       f"Coverage at {n}", "Survivors for 80%"), rows, "llrrr")


def covariance_table(bundle: Bundle) -> str:
    """The covariance comparison of the clustered models at the study's size."""
    rows = []
    for _, row in bundle.covariance.iterrows():
        rows.append((METHOD_LABELS.get(row["method"], row["method"]),
                     fmt.percent(row["mean_coverage"], 1),
                     f"{fmt.percent(row['min_coverage'], 1)}{fmt.DASH}"
                     f"{fmt.percent(row['max_coverage'], 1)}",
                     fmt.number(row["mean_distance"] * 100, 1),
                     "**chosen**" if row["chosen"] else ""))
    return pipe_table(("Covariance", "Mean coverage", "Range over cells",
                       "Mean distance from 95 (points)", "Choice"), rows, "lrrrl")


#: How the tables name the batch engine's methods.
METHOD_LABELS = {m.id: m.table for m in METHODS.values()}


def parameters_table(config: Mapping[str, Any]) -> str:
    """The generative model's coefficients, from the configuration the values step was given."""
    m = config["model"]
    e = fmt.signed
    rows = [
        ("Survivor random intercepts", "SD", fmt.number(m["random_intercept_sd"])),
        # In the vocabulary's order: the configuration arrives as sorted JSON.
        *[("Race weight", race, fmt.number(m["race_weights"][race]))
          for race in RACE_CATEGORIES],
        ("Self-initiation", "intercept", fmt.number(m["self_initiation"]["intercept"])),
        ("Self-initiation", "race (weight 1)", e(m["self_initiation"]["race"]["effect"])),
        ("Visible injury", "probability", fmt.number(m["visible_injury"]["probability"])),
        ("Each safety practice", "someone else called", e(m["practices"]["external"]["effect"])),
        ("Each safety practice", "race (weight 1)", e(m["practices"]["race"]["effect"])),
        ("Each safety practice", "per-contact engagement SD",
         fmt.number(m["practices"]["incident_sd"])),
        *[("Safety practice intercept", label.lower(),
           fmt.number(m["practices"]["intercepts"][key])) for key, label in PRACTICES.items()],
        ("Treated poorly", "intercept", fmt.number(m["treated_poorly"]["intercept"])),
        ("Treated poorly", "race (weight 1)", e(m["treated_poorly"]["race"]["effect"])),
        ("Treated poorly", "someone else called", e(m["treated_poorly"]["external"]["effect"])),
        ("Arrest", "intercept", fmt.number(m["arrest"]["intercept"])),
        ("Arrest", "visible injury", e(m["arrest"]["visible_injury"]["effect"])),
        ("Arrest", "each earlier call", e(m["arrest"]["prior_calls"]["effect"])),
        ("Arrest", "race (weight 1)", e(m["arrest"]["race"]["effect"])),
        ("She wanted an arrest", "intercept", fmt.number(m["wanted_arrest"]["intercept"])),
        ("She wanted an arrest", "she called herself",
         e(m["wanted_arrest"]["self_initiated"]["effect"])),
        ("She wanted an arrest", "visible injury",
         e(m["wanted_arrest"]["visible_injury"]["effect"])),
        ("She wanted an arrest", "still together", e(m["wanted_arrest"]["together"]["effect"])),
        ("Safety change (ordinal)", "survivor called",
         e(m["safety_change"]["self_initiated"]["effect"])),
        ("Safety change (ordinal)", "treated poorly",
         e(m["safety_change"]["treated_poorly"]["effect"])),
        ("Safety change (ordinal)", "arrest outcome as wanted",
         e(m["safety_change"]["outcome_as_wanted"]["effect"])),
    ]
    return pipe_table(("Model", "Term", "Log-odds (published)"), rows, "llr")


def safety_change_table(bundle: Bundle) -> str:
    sc = bundle.tables["safety_change"]
    rows = []
    for (factor, level), part in sc.groupby(["factor", "level"], sort=False):
        by_change = part.set_index("safety_change")
        rows.append((factor, level, count_text(part["n"].iloc[0]),
                     *(share_text(by_change.loc[c]) for c in ("worse", "unchanged", "better"))))
    return pipe_table(("Factor", "Group", "Contacts", "Worse", "Unchanged", "Better"), rows,
                      "llrrrr")


def software_table(render: Mapping[str, Any]) -> str:
    """Python, its packages and the render engine's own tools, with versions."""
    return pipe_table(("Software", "Version"), software_rows(render), "ll")


#: The hash table of a restricted build whose configuration does not publish the digests.
HASHES_WITHHELD = ("not published: a digest would let anyone holding a copy of a restricted "
                   "table confirm it (configuration key publish_restricted_hashes)")


def hashes_table(bundle: Bundle, data_source: str = "synthetic") -> str:
    rows = [(f"{name}.csv", f"`{digest}`") for name, digest in bundle.hashes.items()]
    header = "Synthetic table" if data_source == "synthetic" else "Restricted table"
    if not rows and data_source != "synthetic":
        rows = [("every table", HASHES_WITHHELD)]
    # A SHA-256 digest is 64 characters that cannot wrap: give it most of the width.
    return pipe_table((header, "SHA-256"), rows, "ll", widths=(22, 88))


def markdown_tables(bundle: Bundle, config: Mapping[str, Any], render: Mapping[str, Any],
                    codebook: pd.DataFrame | None = None) -> dict[str, str]:
    """Every Markdown table of the manuscript, keyed by file stem.

    ``render`` is the recorded render engine (see :func:`build_values`).
    """
    return {
        "sample": sample_table(bundle),
        "claims": claims_table(bundle, config),
        "models": models_table(bundle),
        "survivor_tests": survivor_tests_table(bundle),
        "excerpts": excerpts_table(bundle, codebook),
        "agreement": agreement_table(bundle, codebook),
        "disagreements": disagreements_table(bundle, codebook),
        "expected_vs_actual": expected_vs_actual_table(bundle),
        "robustness": robustness_table(bundle),
        "sample_size": sample_size_table(bundle, config),
        "covariance": covariance_table(bundle),
        "parameters": parameters_table(config),
        "safety_change": safety_change_table(bundle),
        "software": software_table(render),
        "hashes": hashes_table(bundle, config.get("data_source", "synthetic")),
    }
