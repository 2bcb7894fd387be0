"""What officer guidance expects of each safety practice: the benchmark of expected practice.

Written from the United States guidance we read (manuscript/references.bib
names each source and, in its ``annote``, what of it was read), never from the
generator: the benchmark is a reading of documents, and the synthetic shares
are set against it, not the other way round. Policing in the United States is
set by states and local agencies, so the sources are a national model policy
read in its public summary, federal guidance and the laws, rules and training
of a few states. The abstract does not name the study's jurisdiction, so none
of them can be said to be the guidance its officers followed.

Each practice has a *scope* (expected at every call, only in some
circumstances, or not named as a step by anything we read), the words that
say when, and the sources, as citation keys. A practice is "every call" when
at least one source read expects it at every call; the words say where.
"""

from __future__ import annotations

from dataclasses import dataclass

#: How far guidance reaches, with the words the table prints before the circumstance.
SCOPES: dict[str, str] = {
    "every call": "Every call",
    "conditional": "Only when",
    "not named": "Not a named step",
}


@dataclass(frozen=True)
class Expectation:
    """When guidance expects a practice, and who says so.

    Attributes
    ----------
    scope
        One of :data:`SCOPES`: ``"every call"``, ``"conditional"`` or ``"not named"``.
    when
        The circumstance or the nearest duty, in a few words, read after the scope's
        label ("Only when: children are present ...").
    sources
        Citation keys of ``manuscript/references.bib``.
    """

    scope: str
    when: str
    sources: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"expectation scope {self.scope!r} is not one of "
                             f"{', '.join(SCOPES)}")
        if not self.sources:
            raise ValueError(f"expectation {self.when!r} names no source")

    @property
    def every_call(self) -> bool:
        """Whether at least one source read expects the practice at every call."""
        return self.scope == "every call"


#: Practice key (:data:`analysis.study.vocabulary.PRACTICES`) -> expectation.
EXPECTATIONS: dict[str, Expectation] = {
    "de_escalation": Expectation(
        "not named",
        "the nearest are staying until the situation is under control and training in "
        "techniques that keep the victim safe",
        ("wv_csr_149_3", "ca_ab330_2023")),
    "separate_parties": Expectation(
        "every call",
        "a private interview with the victim at every reported incident; state training "
        "teaches interviewing her out of the partner's hearing",
        ("wv_csr_149_3", "nj_dcj_module4")),
    "risk_assessment": Expectation(
        "every call",
        "a lethality interview at every reported incident; in the Maryland model, a screen "
        "when signs of danger are present",
        ("wv_csr_149_3", "nij2015lap")),
    "advocacy_referral": Expectation(
        "every call",
        "how to reach a local domestic violence program, by state law; referral to services "
        "is a federal principle",
        ("md_fl_4_503", "wv_csr_149_3", "doj2015genderbias")),
    "safety_planning": Expectation(
        "conditional",
        "a screen finds high danger (then support and safety-planning services) or a second "
        "responder visits",
        ("nij2015lap", "davis2007redlands")),
    "protective_order_info": Expectation(
        "every call",
        "notice of the right to petition for a protective order, by state law",
        ("md_fl_4_503", "wv_csr_149_3")),
    "check_children": Expectation(
        "conditional",
        "children are present; then identify them and see to their safety and needs",
        ("iacp_mp_dv", "iacp2017cev")),
    "follow_up": Expectation(
        "not named",
        "some departments send a second responder after the call; a trial found no fall in "
        "repeat abuse",
        ("davis2007redlands",)),
}


def expectation(key: str) -> Expectation:
    """The expectation of one practice; a clear error for a practice without one."""
    if key not in EXPECTATIONS:
        raise KeyError(f"practice '{key}' has no expectation in analysis.paper.expectations; "
                       f"known: {', '.join(EXPECTATIONS)}")
    return EXPECTATIONS[key]


def expectation_text(key: str) -> str:
    """The expectation with its citations, as Markdown: 'Only when: ... [@a; @b]'."""
    entry = expectation(key)
    return (f"{SCOPES[entry.scope]}: {entry.when} "
            f"[{'; '.join('@' + s for s in entry.sources)}]")
