"""values.yml, notice and methods: the build, the sample and its initiation patterns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.disclosure.markers import count_text, withheld_sentence
from analysis.disclosure.publish import SUMMARY_DIGITS
from analysis.paper import fmt
from analysis.paper.values.common import extreme_text, one, share_text
from analysis.study.vocabulary import INITIATION_PATTERNS

#: The notice at the top of the manuscript, by data source (``study.data_notice``).
SYNTHETIC_NOTICE_TITLE = "Every number in this paper comes from synthetic data"
SYNTHETIC_NOTICE = (
    "No real participant data were used or are held by this project. The data were generated "
    "by a model that encodes the directions the original study reports, so agreement between "
    "our results and the study's shows that the *analysis* recovers what the model contains, "
    "not that the findings hold for real survivors. The excerpts behind the qualitative "
    "analysis were written by a program, from a phrase grammar of our own and each "
    "synthetic survivor's record, and are not quotations from anyone.")
#: The paper's title and subtitle (values.yml ``title``, ``subtitle``), by data source: a
#: restricted build says in its title that it analysed restricted data.
TITLE = ("Who calls, how officers respond, and whether anyone is arrested: testing an "
         "analysis of survivors' accounts of police intervention on {data_source} data")
SUBTITLES = {
    "synthetic": ("A synthetic-data reproduction of the analysis of Nnawulezi et al. (2021), "
                  "with a simulation study of what it can detect"),
    "restricted": ("The analysis of Nnawulezi et al. (2021) run on restricted data inside a "
                   "secure environment, aggregate results only, with a simulation study on "
                   "synthetic data of what it can detect"),
}


def document_title(config: Mapping[str, Any]) -> dict[str, str]:
    """``title`` and ``subtitle`` of the paper for the build's data source."""
    source = config["data_source"]
    return {"title": TITLE.format(data_source=source), "subtitle": SUBTITLES[source]}


RESTRICTED_NOTICE_TITLE = "This build analysed restricted data: aggregate results only"
RESTRICTED_NOTICE = (
    "The study tables of this build are restricted data, analysed inside the research team's "
    "secure environment; they are not part of this package and never leave that environment. "
    "Only aggregate results are reported, and no table, figure or value shows data of a "
    "single survivor. {withheld}; shares, intervals, tests and verdicts that would reveal a "
    "withheld count are withheld too. The minimum and maximum age and number of "
    "police contacts are not reported. Passages that describe the synthetic study describe "
    "the generator behind the robustness analysis, which uses synthetic replications only.")


def data_notice(config: Mapping[str, Any]) -> tuple[str, str]:
    """Title and text of the manuscript's data notice for the build's data source."""
    if config["data_source"] == "restricted":
        threshold = config["small_cell_threshold"]
        withheld = withheld_sentence(threshold)
        return RESTRICTED_NOTICE_TITLE, RESTRICTED_NOTICE.format(
            withheld=withheld[:1].upper() + withheld[1:])
    return SYNTHETIC_NOTICE_TITLE, SYNTHETIC_NOTICE


def study_values(tables: Mapping[str, Any], config: Mapping[str, Any],
                 commit: str) -> dict[str, str]:
    """``study``: seed, scenario, sizes, replications, commit and the data notice."""
    n = int(one(tables["sample"], characteristic="Age (years)")["n"])
    n_contacts = int(one(tables["arrests_by"], factor="All contacts")["n"])
    title, notice = data_notice(config)
    return {
        "seed": str(config["seed"]),
        "scenario": config["scenario"],
        "data_source": config["data_source"],
        "n_participants": str(n),
        "n_contacts": str(n_contacts),
        "alpha": fmt.no_leading_zero(f"{config['alpha']:.2f}"),
        "replications": fmt.count(config["robustness_replications"]),
        "shards": _jobs(int(config["robustness_shards"])),
        "commit": commit,
        "disagreement_rate": fmt.percent(config["qualitative"]["coder_disagreement_rate"]),
        "data_notice_title": title,
        "data_notice": notice,
    }


def _jobs(n: int) -> str:
    """'1 job', '2 jobs': the robustness shards as the reproducibility statement names them."""
    return f"{fmt.count(n)} job" + ("" if n == 1 else "s")


def sample_values(tables: Mapping[str, Any]) -> dict[str, Any]:
    """``sample``: age and contacts summaries and the composition of the sample."""
    sample = tables["sample"]
    age = one(sample, characteristic="Age (years)")
    contacts = one(sample, characteristic="Police contacts described")

    def cat(characteristic: str, category: str) -> dict[str, str]:
        row = one(sample, characteristic=characteristic, category=category)
        return {"n": count_text(row["n"]), "pct": share_text(row, counts=("n",))}

    digits = SUMMARY_DIGITS
    return {
        "age_mean": fmt.number(age["mean"], digits), "age_sd": fmt.number(age["sd"], digits),
        "age_min": extreme_text(age["min"]), "age_max": extreme_text(age["max"]),
        "contacts_mean": fmt.number(contacts["mean"], digits),
        "contacts_sd": fmt.number(contacts["sd"], digits),
        "contacts_min": extreme_text(contacts["min"]),
        "contacts_max": extreme_text(contacts["max"]),
        "black": cat("Race/ethnicity", "Black"), "white": cat("Race/ethnicity", "White"),
        "latina": cat("Race/ethnicity", "Latina"),
        "other": cat("Race/ethnicity", "Multiracial/other"),
        "children": cat("Children in the home", "yes"),
    }


def pattern_values(tables: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """``patterns``: survivors whose contacts were self-initiated only, external only, or both."""
    patterns = {}
    for pattern in INITIATION_PATTERNS:
        row = one(tables["initiation_patterns"], group="All survivors", pattern=pattern)
        patterns[pattern.replace(" ", "_")] = {"n": count_text(row["successes"]),
                                               "pct": share_text(row)}
    return patterns
