"""What officer guidance expects of each safety practice: the benchmark of expected practice.

Written from the guidance we read (manuscript/references.bib names each
source and what of it was read), never from the generator: the benchmark is
a reading of documents, and the synthetic shares are set against it, not the
other way round. Each practice has *when* the guidance expects it and the
sources that say so, as citation keys. Where no document we read names a
practice as a required step, the entry says so rather than assume every
practice is expected at every call.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Expectation:
    """When guidance expects a practice, and who says so.

    Attributes
    ----------
    when
        The circumstance, in a few words ("at every call", "when children are present").
    sources
        Citation keys of ``manuscript/references.bib``.
    every_call
        Whether any source read expects it at every call (False: conditional or not named).
    """

    when: str
    sources: tuple[str, ...]
    every_call: bool


#: Practice key (:data:`analysis.study.vocabulary.PRACTICES`) -> expectation.
EXPECTATIONS: dict[str, Expectation] = {
    "de_escalation": Expectation(
        "a training emphasis, not a named step (closest: making the scene safe and building "
        "rapport)", ("cop_app_firstresponse", "cop_app_qrg"), False),
    "separate_parties": Expectation("on arrival, at every call", ("cop_app_qrg",), True),
    "risk_assessment": Expectation(
        "at every call in England and Wales; a lethality screen when danger signs are present "
        "in the Maryland model", ("cop_app_firstresponse", "lap_inservice"), True),
    "advocacy_referral": Expectation(
        "at every call (initiating support); a call to the hotline after a high-danger screen",
        ("cop_app_firstresponse", "doj2015genderbias", "lap_inservice"), True),
    "safety_planning": Expectation(
        "initial safety planning at every call, reviewed as the case develops",
        ("cop_app_firstresponse", "cop_app_victimsafety"), True),
    "protective_order_info": Expectation(
        "considered when the legal criteria for a protection notice or order are met",
        ("cop_app_supervisor",), False),
    "check_children": Expectation(
        "whenever children are present", ("cop_app_qrg", "cop_app_supervisor"), False),
    "follow_up": Expectation(
        "when the case develops (keeping the victim informed)", ("cop_app_victimsafety",),
        False),
}


def expectation(key: str) -> Expectation:
    """The expectation of one practice; a clear error for a practice without one."""
    if key not in EXPECTATIONS:
        raise KeyError(f"practice '{key}' has no expectation in analysis.paper.expectations; "
                       f"known: {', '.join(EXPECTATIONS)}")
    return EXPECTATIONS[key]


def expectation_text(key: str) -> str:
    """The expectation with its citations, as Markdown: 'whenever ... [@a; @b]'."""
    entry = expectation(key)
    return f"{entry.when} [{'; '.join('@' + s for s in entry.sources)}]"

