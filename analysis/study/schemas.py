"""Table definitions: one source for the codebook, the data package and validation.

:data:`VARIABLES` describes every column of every study table (type, allowed
values or range, meaning, labels). From it we build the pandera schemas that
every step runs on the tables it reads, the variable codebook, and the
Frictionless ``datapackage.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analysis.study.interviews import STYLES as ANSWER_STYLES
from analysis.study.interviews import qualitative_codebook
from analysis.study.variables import ANY_PRACTICE_MEANING
from analysis.study.vocabulary import (
    FORMS,
    INITIATORS,
    PARTICIPANT_ID_PREFIX,
    PRACTICES,
    RACE_CATEGORIES,
    RELATIONSHIP,
    SAFETY_CHANGE,
    STRATEGIES,
    slug,
)

FLAG = {0: "no", 1: "yes"}


@dataclass(frozen=True)
class Variable:
    """One column of one table."""

    name: str
    type: str  # "string" | "integer"
    meaning: str
    allowed: tuple[Any, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None
    unique: bool = False
    labels: Mapping[Any, str] = field(default_factory=dict)

    @property
    def allowed_text(self) -> str:
        if self.allowed is not None:
            return "; ".join(map(str, self.allowed))
        if self.minimum is not None or self.maximum is not None:
            lo = "" if self.minimum is None else str(self.minimum)
            hi = "" if self.maximum is None else str(self.maximum)
            return f"{lo}..{hi}"
        return "any text"


def _flag(name: str, meaning: str) -> Variable:
    return Variable(name, "integer", meaning, allowed=(0, 1), labels=FLAG)


def _pid(unique: bool) -> Variable:
    first = f"{PARTICIPANT_ID_PREFIX}01, {PARTICIPANT_ID_PREFIX}02"
    return Variable("participant_id", "string", f"Synthetic participant identifier ({first}, ...)",
                    unique=unique)


def _codes() -> tuple[str, ...]:
    return tuple(c["id"] for c in qualitative_codebook()["codes"])


def _variables() -> dict[str, list[Variable]]:
    practice_flags = [
        _flag(f"practice_{key}", f"Police safety practice reported: {label.lower()}")
        for key, label in PRACTICES.items()
    ]
    return {
        "participants": [
            _pid(unique=True),
            Variable("age", "integer", "Age in years at interview", minimum=18, maximum=100),
            Variable("race_ethnicity", "string", "Race/ethnicity as the survivor described it",
                     allowed=RACE_CATEGORIES),
            _flag("children_in_home", "Children living in the home"),
            Variable("relationship_status", "string",
                     "Relationship with the partner in the intervention program",
                     allowed=RELATIONSHIP),
            Variable("n_police_contacts", "integer",
                     "Number of police interventions the survivor described", minimum=1,
                     maximum=20),
        ],
        "incidents": [
            _pid(unique=False),
            Variable("incident_seq", "integer", "Order of the intervention in her account",
                     minimum=1, maximum=20),
            Variable("prior_calls", "integer", "Number of earlier calls to police", minimum=0,
                     maximum=200),
            Variable("initiator", "string", "Who initiated police contact", allowed=INITIATORS),
            _flag("visible_injury", "Visible injury at the time of the intervention"),
            *practice_flags,
            _flag("any_practice", ANY_PRACTICE_MEANING),
            _flag("treated_poorly", "Survivor felt treated poorly by officers"),
            _flag("arrest", "Partner arrested as a result of this intervention"),
            _flag("wanted_arrest", "Survivor wanted an arrest at this intervention"),
            _flag("outcome_as_wanted", "Arrest outcome matched what the survivor wanted"),
            Variable("safety_change", "string", "Perceived change in safety afterwards",
                     allowed=SAFETY_CHANGE),
        ],
        "violence": [
            _pid(unique=True),
            _flag("ongoing_strategic", "Violence described as ongoing and strategic"),
            _flag("beyond_police_capacity",
                  "Violence described as beyond what police could address"),
            *[_flag(slug(f), f"Form of violence described: {f}") for f in FORMS],
        ],
        "strategies": [
            _pid(unique=True),
            *[_flag(slug(s), f"Informal safety strategy used: {s}") for s in STRATEGIES],
            Variable("n_strategies", "integer", "Number of informal strategies used", minimum=0,
                     maximum=len(STRATEGIES)),
        ],
        "qual_codebook": [
            Variable("code", "string", "Code identifier", unique=True),
            Variable("label", "string", "Short label of the code"),
            Variable("theme", "string", "Parent theme identifier"),
            Variable("theme_label", "string", "Parent theme label"),
            Variable("definition", "string", "Definition of the code"),
            Variable("include", "string", "Inclusion rule"),
            Variable("exclude", "string", "Exclusion rule"),
            Variable("example", "string", "A synthetic example of an excerpt with the code"),
            Variable("confusable_with", "string",
                     "Codes that are hard to tell apart from this one (semicolon-separated; "
                     "'none' when no pair names it)"),
            Variable("decision_rule", "string",
                     "How to decide between this code and each confusable one"),
            Variable("derived_from", "string", "Synthetic variable that decides coder A's code"),
        ],
        "transcripts": [
            _pid(unique=True),
            Variable("text", "string", "Synthetic interview transcript (written by rules from "
                     "a phrase grammar; not a real interview)"),
        ],
        "excerpts": [
            Variable("excerpt_id", "string", "Excerpt identifier (participant and code number)",
                     unique=True),
            _pid(unique=False),
            Variable("code", "string", "Code the excerpt was written for", allowed=_codes()),
            Variable("start", "integer", "Start offset of the excerpt in its transcript "
                     "(characters, 0-based)", minimum=0),
            Variable("end", "integer", "End offset (exclusive)", minimum=1),
            Variable("style", "string", "How the answer was given (brief and hedged answers "
                     "are harder to code)", allowed=ANSWER_STYLES),
            Variable("ambiguity", "integer", "Ambiguity score of the excerpt in percent "
                     "(generator's own score; higher is harder to code)", minimum=0, maximum=100),
            Variable("text", "string", "Synthetic excerpt text"),
        ],
        "code_applications": [
            _pid(unique=False),
            Variable("coder", "string", "Coder who applied the code", allowed=("A", "B")),
            Variable("code", "string", "Code applied", allowed=_codes()),
            Variable("excerpt_id", "string", "Excerpt the code was applied to"),
        ],
    }


VARIABLES: dict[str, list[Variable]] = _variables()
TABLES: tuple[str, ...] = tuple(VARIABLES)
PRIMARY_KEYS: dict[str, list[str]] = {
    "participants": ["participant_id"],
    "incidents": ["participant_id", "incident_seq"],
    "violence": ["participant_id"],
    "strategies": ["participant_id"],
    "qual_codebook": ["code"],
    "transcripts": ["participant_id"],
    "excerpts": ["excerpt_id"],
    "code_applications": ["participant_id", "coder", "code", "excerpt_id"],
}
TABLE_DESCRIPTIONS: dict[str, str] = {
    "participants": "One row per synthetic survivor: demographics and number of police contacts.",
    "incidents": "One row per police intervention a synthetic survivor described.",
    "violence": "Per synthetic survivor: the pattern and forms of violence described.",
    "strategies": "Per synthetic survivor: informal safety strategies used.",
    "qual_codebook": "Qualitative codebook: codes, parent themes, definitions and rules.",
    "transcripts": "Synthetic interview transcripts written by rules from a phrase grammar "
                   "(not real quotes).",
    "excerpts": "Synthetic excerpts with character offsets into their transcripts.",
    "code_applications": "Code applications by two independent coders (A and B).",
}


class TableError(ValueError):
    """A table does not match its schema; the message names table, column and row.

    Never the cell's value: a table may hold restricted data, and these messages
    reach the step's log (``results/restricted/logs/``), which is reviewed and
    exported. The failed check (``isin([...])``, ``greater_than_or_equal_to(18)``)
    says what is allowed.
    """


#: Tables a study cannot do without: each must have at least one row.
NONEMPTY_TABLES: tuple[str, ...] = ("participants", "incidents", "qual_codebook")


def pandera_schema(table: str):
    """The pandera schema of ``table`` (built from :data:`VARIABLES`)."""
    import pandera.pandas as pa

    columns = {}
    for var in VARIABLES[table]:
        checks = []
        if var.allowed is not None:
            checks.append(pa.Check.isin(list(var.allowed)))
        if var.minimum is not None:
            checks.append(pa.Check.ge(var.minimum))
        if var.maximum is not None:
            checks.append(pa.Check.le(var.maximum))
        dtype = "int64" if var.type == "integer" else str
        columns[var.name] = pa.Column(dtype, checks=checks, nullable=False, unique=var.unique,
                                      coerce=False)
    unique = PRIMARY_KEYS[table] if len(PRIMARY_KEYS[table]) > 1 else None
    return pa.DataFrameSchema(columns, strict=True, ordered=True, unique=unique, name=table)


def validate_table(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Check ``frame`` against the schema of ``table``.

    Raises
    ------
    TableError
        With one line per failure: table, column, row and the failed check
        (never the value; see :class:`TableError`).
    """
    import pandera.errors

    if table not in VARIABLES:
        raise TableError(f"unknown table '{table}'; allowed: {', '.join(TABLES)}")
    if table in NONEMPTY_TABLES and len(frame) == 0:
        raise TableError(f"table '{table}' has no rows; a study needs at least one")
    try:
        pandera_schema(table).validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        lines = []
        for _, case in cases.head(20).iterrows():
            column = case.get("column")
            index = case.get("index")
            row = "" if pd.isna(index) else f" row {int(index)}"
            # For these two checks the failure case is a column name, not a cell's value.
            named = case.get("failure_case")
            if case.get("check") == "column_in_dataframe":
                lines.append(f"table '{table}' column '{named}': missing column")
                continue
            if case.get("check") == "column_in_schema":
                lines.append(f"table '{table}' column '{named}': not a column of this table")
                continue
            lines.append(f"table '{table}' column '{column}'{row}: fails {case.get('check')}")
        more = "" if len(cases) <= 20 else f"\n  ... and {len(cases) - 20} more"
        raise TableError("schema violation:\n  " + "\n  ".join(lines) + more) from None
    if table == "excerpts":
        bad = frame.index[frame["end"].to_numpy() <= frame["start"].to_numpy()]
        if len(bad):
            raise TableError(f"table 'excerpts' column 'end' row {int(bad[0])}: end must be "
                             "greater than start")
    return frame


def validate_tables(tables: Mapping[str, pd.DataFrame]) -> None:
    """Validate every table in ``tables`` and the links between them."""
    for name, frame in tables.items():
        validate_table(name, frame)
    if "participants" in tables and "incidents" in tables:
        known = set(tables["participants"]["participant_id"])
        for name in ("incidents", "violence", "strategies", "transcripts", "excerpts",
                     "code_applications"):
            if name not in tables:
                continue
            ids = tables[name]["participant_id"]
            missing = ~ids.isin(known)
            if missing.any():
                row = int(missing.to_numpy().nonzero()[0][0])
                raise TableError(f"table '{name}' column 'participant_id' row {row}: not a "
                                 "participant of table 'participants'")
        counts = tables["incidents"].groupby("participant_id").size()
        declared = tables["participants"].set_index("participant_id")["n_police_contacts"]
        mismatch = declared.ne(counts.reindex(declared.index).fillna(0).astype(int))
        if mismatch.any():
            pid = mismatch[mismatch].index[0]
            ids = tables["participants"]["participant_id"]
            row = int(tables["participants"].index[ids == pid][0])
            raise TableError(f"table 'participants' column 'n_police_contacts' row {row}: "
                             "does not match the number of that participant's rows in table "
                             "'incidents'")
