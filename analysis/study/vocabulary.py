"""The study's vocabulary: every list of names, written once.

Tables, categories, practices, forms of violence, strategies, the descriptive
tables the describe step writes and the outputs of the qualitative step. The
generator, the schemas, the analysis steps, the paper, the exports, the
disclosure plan and the workflow rules (``workflow/rules/common.smk``) all
read these names from here. Categories are always drawn and listed in these
fixed orders, never in the order a configuration file happens to list them,
so reordering keys in ``config.yaml`` (or serialising it with sorted keys)
cannot change the data.

Words. The code names the two units of the study as readers see them: a
*survivor* (one woman of the study) and a police *contact* (one police
intervention she described); estimators, statistics and figures say
``survivor`` and ``contact`` (``n_contacts``, ``per_survivor``). The data
package keeps the names its users read in the codebook: the tables
``participants`` (one row per survivor, ``participant_id``) and ``incidents``
(one row per contact, ``incident_seq``), and the configuration keys that count
them (``n_participants``). *Participant* otherwise appears only where research
ethics uses it: no real participant data, and the restricted participants a
disclosure check compares with. The manuscript, figures and tables say
*survivor* and *police contact*.
"""

from __future__ import annotations

import re

#: The quantitative tables of a study (one row per survivor, or per police contact).
QUANT_TABLES: tuple[str, ...] = ("participants", "incidents", "violence", "strategies")
#: The qualitative tables: codebook, transcripts, excerpts and both coders' applications.
QUAL_TABLES: tuple[str, ...] = ("qual_codebook", "transcripts", "excerpts", "code_applications")
#: Every table of a study's data package, in package order.
ALL_TABLES: tuple[str, ...] = QUANT_TABLES + QUAL_TABLES
#: What the qualitative step reads.
CODING_TABLES: tuple[str, ...] = ("participants", "qual_codebook", "code_applications")
#: What it reads in synthetic builds: also the excerpts (their style, ambiguity and text).
TEXT_CODING_TABLES: tuple[str, ...] = CODING_TABLES + ("excerpts",)
#: The tables a restricted-data build needs (transcripts and excerpts are never read).
RESTRICTED_TABLES: tuple[str, ...] = QUANT_TABLES + ("qual_codebook", "code_applications")
#: How a synthetic survivor's id begins: SYN-01, SYN-02, ... An id that says "synthetic"
#: cannot be taken for a participant of the real study where an excerpt is quoted.
PARTICIPANT_ID_PREFIX = "SYN-"
#: The files a data package holds beside its tables.
PACKAGE_FILES: tuple[str, ...] = ("codebook.csv", "datapackage.json", "README.md")

#: Race/ethnicity categories (the sample composition is set in config for each).
RACE_CATEGORIES: tuple[str, ...] = ("Black", "White", "Latina", "Multiracial/other")
#: Who brought police to a contact: the survivor, or (the abstract's words) neighbours or
#: strangers.
INITIATORS: tuple[str, ...] = ("self", "neighbour", "stranger")
EXTERNAL_INITIATORS: tuple[str, ...] = INITIATORS[1:]
#: Survivor-level initiation patterns over all her contacts.
INITIATION_PATTERNS: tuple[str, ...] = ("self only", "external only", "dual")
#: Perceived change in safety after a contact, lowest first.
SAFETY_CHANGE: tuple[str, ...] = ("worse", "unchanged", "better")
RELATIONSHIP: tuple[str, ...] = ("together", "separated", "former partner")
FORMS: tuple[str, ...] = ("physical", "coercive control", "monitoring/stalking", "threats",
                          "economic", "through the children", "sexual")
STRATEGIES: tuple[str, ...] = ("staying with family or friends", "hiding keys or money",
                               "documenting abuse", "safety plan with children",
                               "code word with neighbours", "avoiding triggers",
                               "leaving temporarily")

#: Police safety practices survivors were asked about, with their labels.
PRACTICES: dict[str, str] = {
    "de_escalation": "De-escalating the situation",
    "separate_parties": "Separating the parties",
    "risk_assessment": "Risk assessment",
    "advocacy_referral": "Referral to advocacy, shelter or hotline",
    "safety_planning": "Safety planning",
    "protective_order_info": "Information on protective orders",
    "check_children": "Checking on children",
    "follow_up": "Follow-up contact",
}
PRACTICE_COLUMNS: tuple[str, ...] = tuple(f"practice_{p}" for p in PRACTICES)
#: Practices that apply only at some contacts: the participants column that says where.
#: Checking on children applies where children live in the home.
PRACTICE_APPLIES: dict[str, str] = {"check_children": "children_in_home"}
#: Survivors of colour: every group but the reference group.
REFERENCE_RACE = "White"
SURVIVORS_OF_COLOUR: tuple[str, ...] = tuple(r for r in RACE_CATEGORIES if r != REFERENCE_RACE)

#: The tidy tables the describe step writes (``results/tables/<name>.csv``).
DESCRIPTIVE_TABLES: tuple[str, ...] = (
    "sample", "initiation_patterns", "practices_by", "arrests_by", "expected_vs_actual",
    "violence_forms", "informal_strategies", "safety_change")
#: The qualitative step's CSV outputs.
QUALITATIVE_OUTPUTS: tuple[str, ...] = ("code_by_case", "themes", "cooccurrence", "agreement",
                                        "disagreements", "saturation", "theme_excerpts")
#: Its JSON summaries.
QUALITATIVE_SUMMARIES: tuple[str, ...] = ("agreement", "saturation")
#: Outputs of synthetic builds only: row-level (the code-by-case matrix, the saturation
#: curve in interview order) or drawn from the excerpts, which restricted data do not have.
QUALITATIVE_SYNTHETIC_ONLY: tuple[str, ...] = ("code_by_case", "disagreements", "saturation",
                                               "theme_excerpts")
#: The three verdicts a claim can reach (analysis.steps.claims).
VERDICTS: tuple[str, ...] = ("reproduced", "inconclusive", "not reproduced")


#: Small counts in words, for sentences that state a count the code knows.
NUMBER_WORDS: tuple[str, ...] = ("zero", "one", "two", "three", "four", "five", "six", "seven",
                                 "eight", "nine", "ten")


def number_word(n: int) -> str:
    """``n`` in words up to ten, in digits beyond: ``number_word(8) == 'eight'``."""
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


def slug(label: str) -> str:
    """Column name for a label: ``'coercive control'`` -> ``'coercive_control'``."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
