"""The synthetic study in the formats other tools open: REFI-QDA, SPSS and Stata.

:func:`export_all` reads a data package (:func:`analysis.datapackage.read_study`)
and writes to one directory:

``codebook.qdc``
    REFI-QDA codebook (QDA-XML 1.0, ``urn:QDA-XML:codebook:1.0``): every theme a
    parent code (not codable, named by its label), every code its child, named
    by its label, with its definition, inclusion and exclusion rules and id as
    Description, and its theme's colour from :data:`analysis.palette.THEME_COLOURS`.
``study.qdpx``
    REFI-QDA project: a ZIP holding ``project.qde`` (``urn:QDA-XML:project:1.0``)
    and ``Sources/<guid>.txt``, one UTF-8 plain-text source per transcript. Both
    coders are Users; every row of ``code_applications`` is a PlainTextSelection
    of its excerpt carrying one Coding, both created by that row's coder; every
    participant is a Case with her variables and her transcript.
``<table>.sav`` and ``<table>.dta``
    SPSS and Stata copies of the quantitative tables (participants, incidents,
    violence, strategies) with variable labels and value labels. Categorical
    text variables are stored as integers 1..k in the order of their allowed
    values, labelled with the text; 0/1 flags carry ``0 = no, 1 = yes``; ids
    stay text.

Positions. REFI-QDA text selections count characters of the plain-text source
from 0; ``startPosition`` is the first selected character and ``endPosition``
the position after the last one. The synthetic offsets are Python ``str``
indices (Unicode code points, end exclusive) into the transcript, and the
source files are written as exactly that text (UTF-8, no byte-order mark,
``\\n`` line breaks), so ``text[start:end]`` of the source is the excerpt.

Determinism. Every identifier is a version-5 UUID of a fixed namespace and a
name such as ``code:<id>``; the XML carries one fixed date
(:data:`FIXED_XML_DATETIME`), never the clock; the ZIP has sorted entries, fixed
timestamps, permissions and compression. SPSS and Stata files embed the time
of writing in their headers and pyreadstat offers no way to set it, so
:func:`fix_sav_timestamp` and :func:`fix_dta_timestamp` overwrite those bytes
with :data:`FIXED_DATETIME` (the fields have fixed widths; nothing else moves).

Checks and atomicity. Before anything is written, :func:`check_study` verifies
that every code application names an existing code and excerpt of the same
participant and that the excerpt text is exactly ``text[start:end]`` of her
transcript; any failure raises :class:`ValueError` naming participant, coder,
code, excerpt and problem. All outputs are then built in memory, written to
temporary files in the output directory and only renamed into place once every
one of them is on disk: bad input writes nothing.

Every row is synthetic. In restricted mode the workflow does not run this step:
row-level exports of restricted data are not made.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import sys
import tempfile
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.datapackage import QUANTITATIVE, read_study
from analysis.palette import THEME_COLOURS
from analysis.schemas import TABLE_DESCRIPTIONS, VARIABLES, Variable

#: Namespace of every GUID written:
#: ``uuid5(NAMESPACE_URL, "urn:ipv-police-replication:refi-qda")``, fixed here for good.
NAMESPACE = uuid.UUID("f6aa99dc-c677-542b-a33d-dafa7ddb7ba7")
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
ORIGIN = "ipv-police-replication (analysis.exchange); every row synthetic"
PROJECT_NAME = "Police intervention and survivor safety (synthetic study)"

#: The one date written into every export (not the date anything was coded).
FIXED_DATETIME = datetime(2021, 1, 1, 0, 0, 0)
FIXED_XML_DATETIME = "2021-01-01T00:00:00Z"
ZIP_DATE_TIME = (2021, 1, 1, 0, 0, 0)
ZIP_PERMISSIONS = 0o100644  # regular file, rw-r--r--
ZIP_COMPRESSION = zipfile.ZIP_DEFLATED
ZIP_LEVEL = 9

#: SPSS header: creation date ``dd Mon yy`` at byte 92, time ``hh:mm:ss`` at 101.
SAV_DATE_SLICE = slice(92, 101)
SAV_TIME_SLICE = slice(101, 109)
SAV_DATE = FIXED_DATETIME.strftime("%d %b %y").encode("ascii")  # b"01 Jan 21"
SAV_TIME = FIXED_DATETIME.strftime("%H:%M:%S").encode("ascii")  # b"00:00:00"
#: Stata 118: ``<timestamp>``, one length byte (17), ``dd Mon yyyy hh:mm``.
DTA_TIMESTAMP = FIXED_DATETIME.strftime("%d %b %Y %H:%M").encode("ascii")  # b"01 Jan 2021 00:00"
DTA_VERSION = 14  # format 118: read by Stata 14 and later, haven and pyreadstat
STATA_LABEL_MAX = 80
SAV_NOTE_WIDTH = 80

CODERS: dict[str, str] = {"A": "Coder A", "B": "Coder B"}
AGE_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (18, 24, "18-24"), (25, 34, "25-34"), (35, 44, "35-44"), (45, 54, "45-54"), (55, None, "55+"),
)

CODEBOOK_FILE = "codebook.qdc"
PROJECT_FILE = "study.qdpx"
PROJECT_XML = "project.qde"


def output_names(tables: Sequence[str] = QUANTITATIVE) -> list[str]:
    """File names :func:`export_all` writes, in the order it returns them."""
    names = [CODEBOOK_FILE, PROJECT_FILE]
    for table in tables:
        names += [f"{table}.sav", f"{table}.dta"]
    return names


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
    return (f"{code['definition']}\n\nInclude: {code['include']}\nExclude: {code['exclude']}\n"
            f"Code id: {code['code']}")


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


def _variable_value(case: ET.Element, name: str, kind: str, value: Any) -> None:
    node = ET.SubElement(case, "VariableValue")
    ET.SubElement(node, "VariableRef", {"targetGUID": guid("variable", name)})
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

    participants = tables["participants"].sort_values("participant_id", kind="mergesort")
    cases = ET.SubElement(root, "Cases")
    for row in participants.to_dict("records"):
        pid = row["participant_id"]
        case = ET.SubElement(cases, "Case", {"guid": guid("case", pid), "name": pid})
        ET.SubElement(case, "Description").text = f"Synthetic participant {pid}"
        values = dict(row, age_band=age_band(int(row["age"])))
        for name, kind, _, _ in variables:
            _variable_value(case, name, kind, values[name])
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
            f"Synthetic interview transcript of participant {pid}, written from templates "
            "(not a real interview)")
        rows = by_participant.get(pid)
        if rows is None:
            continue
        for app in rows.itertuples(index=False):
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
    ET.SubElement(root, "Description").text = (
        "EVERY ROW IS SYNTHETIC. Transcripts, excerpts and codings of the synthetic study "
        "generated by analysis.generate; no real participant data. Coder A is the primary "
        "coder, coder B the independent second coder. Selection positions count characters "
        "of the plain-text sources from 0, end exclusive.")
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
    """The ``.qdpx`` archive: ``project.qde`` and one ``Sources/<guid>.txt`` per transcript."""
    members = {PROJECT_XML: project_xml(tables)}
    for pid, text in zip(tables["transcripts"]["participant_id"], tables["transcripts"]["text"],
                         strict=True):
        members[f"Sources/{source_file(pid)}"] = text.encode("utf-8")
    return zip_bytes(members)


# --------------------------------------------------------------------------- SPSS / Stata


@dataclass(frozen=True)
class Labelled:
    """A table ready for pyreadstat: coded frame, variable and value labels, SPSS measures."""

    frame: pd.DataFrame
    variable_labels: dict[str, str]
    value_labels: dict[str, dict[int, str]]
    measures: dict[str, str]


def _is_categorical(var: Variable) -> bool:
    return var.type == "string" and var.allowed is not None


def labelled_table(table: str, frame: pd.DataFrame) -> Labelled:
    """Encode one quantitative table for SPSS/Stata.

    Text categories become integers ``1..k`` in the order of ``Variable.allowed``
    with the text as value label; integer columns keep their values (0/1 flags
    labelled ``no``/``yes``); other text columns (ids) stay text.

    Raises
    ------
    ValueError
        If a categorical column holds a value outside its allowed list.
    """
    columns: dict[str, Any] = {}
    value_labels: dict[str, dict[int, str]] = {}
    measures: dict[str, str] = {}
    for var in VARIABLES[table]:
        values = frame[var.name]
        if _is_categorical(var):
            codes = {text: i for i, text in enumerate(var.allowed, start=1)}
            bad = ~values.isin(list(codes))
            if bad.any():
                raise ValueError(f"table '{table}' column '{var.name}': value "
                                 f"{values[bad].iloc[0]!r} is not one of {list(var.allowed)}")
            columns[var.name] = values.map(codes).to_numpy(dtype=np.int32)
            value_labels[var.name] = {i: str(text) for text, i in codes.items()}
            measures[var.name] = "ordinal" if var.name == "safety_change" else "nominal"
        elif var.type == "integer":
            columns[var.name] = values.to_numpy(dtype=np.int32)
            if var.labels:
                value_labels[var.name] = {int(k): str(v) for k, v in var.labels.items()}
            measures[var.name] = "nominal" if var.labels else "scale"
        else:
            columns[var.name] = values.astype(object).to_numpy()
            measures[var.name] = "nominal"
    coded = pd.DataFrame(columns)
    labels = {var.name: var.meaning for var in VARIABLES[table]}
    return Labelled(coded, labels, value_labels, measures)


def stata_label(text: str) -> str:
    """A variable label within Stata's 80 characters (longer ones end in ``...``)."""
    return text if len(text) <= STATA_LABEL_MAX else text[: STATA_LABEL_MAX - 3].rstrip() + "..."


def fix_sav_timestamp(data: bytes) -> bytes:
    """Replace the creation date and time in an SPSS header with :data:`FIXED_DATETIME`.

    The system-file header holds ``$FL2`` (or ``$FL3``), a 60-byte product
    name, five 4-byte integers and an 8-byte bias, then the creation date
    (9 bytes, ``dd Mon yy``) and time (8 bytes, ``hh:mm:ss``) at bytes 92-108.

    Raises
    ------
    RuntimeError
        If the bytes there do not look like a date and a time.
    """
    if data[:4] not in (b"$FL2", b"$FL3"):
        raise RuntimeError("not an SPSS system file: no $FL2/$FL3 header")
    date, time = data[SAV_DATE_SLICE], data[SAV_TIME_SLICE]
    if not (re.fullmatch(rb"[ 0-9]\d [A-Z][a-z]{2} \d\d", date)
            and re.fullmatch(rb"\d\d:\d\d:\d\d", time)):
        raise RuntimeError(f"unexpected SPSS header timestamp {date!r} {time!r}")
    return data[:SAV_DATE_SLICE.start] + SAV_DATE + SAV_TIME + data[SAV_TIME_SLICE.stop:]


def fix_dta_timestamp(data: bytes) -> bytes:
    """Replace the timestamp in a Stata 117-119 header with :data:`FIXED_DATETIME`.

    The header holds ``<timestamp>``, one length byte (17) and
    ``dd Mon yyyy hh:mm``, then ``</timestamp>``; the replacement has the same
    length, so the offsets in the file's ``<map>`` stay valid.

    Raises
    ------
    RuntimeError
        If the header has no timestamp of that form.
    """
    tag = b"<timestamp>"
    at = data.find(tag, 0, data.find(b"</header>"))
    if not data.startswith(b"<stata_dta><header>") or at < 0:
        raise RuntimeError("not a Stata 117-119 file: no <timestamp> in the header")
    start = at + len(tag) + 1
    length = data[at + len(tag)]
    stamp = data[start:start + length]
    if (length != len(DTA_TIMESTAMP)
            or not re.fullmatch(rb"[ 0-9]\d [A-Z][a-z]{2} \d{4} \d\d:\d\d", stamp)
            or data[start + length:start + length + len(b"</timestamp>")] != b"</timestamp>"):
        raise RuntimeError(f"unexpected Stata header timestamp {stamp!r}")
    return data[:start] + DTA_TIMESTAMP + data[start + length:]


def _sav_notes(table: str) -> list[str]:
    text = ("EVERY ROW IS SYNTHETIC: no real participant data. "
            f"{TABLE_DESCRIPTIONS[table]} Written by analysis.exchange from the synthetic data "
            "package; variables are described in codebook.csv.")
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > SAV_NOTE_WIDTH:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line]


def stats_bytes(table: str, frame: pd.DataFrame) -> tuple[bytes, bytes]:
    """The ``.sav`` and ``.dta`` bytes of one quantitative table (timestamps fixed)."""
    import pyreadstat

    enc = labelled_table(table, frame)
    label = f"Synthetic study: {table} (every row synthetic)"
    with tempfile.TemporaryDirectory(prefix="exchange-") as tmp:
        sav, dta = Path(tmp) / f"{table}.sav", Path(tmp) / f"{table}.dta"
        pyreadstat.write_sav(enc.frame, sav, file_label=label,
                             column_labels=enc.variable_labels, note=_sav_notes(table),
                             variable_value_labels=enc.value_labels,
                             variable_measure=enc.measures)
        pyreadstat.write_dta(enc.frame, dta, file_label=label, version=DTA_VERSION,
                             column_labels={k: stata_label(v)
                                            for k, v in enc.variable_labels.items()},
                             variable_value_labels=enc.value_labels)
        return fix_sav_timestamp(sav.read_bytes()), fix_dta_timestamp(dta.read_bytes())


# --------------------------------------------------------------------------- writing


def build_exports(tables: Mapping[str, pd.DataFrame]) -> dict[str, bytes]:
    """Every export of a study as ``{file name: bytes}`` (checks first, writes nothing)."""
    check_study(tables)
    files = {CODEBOOK_FILE: codebook_xml(tables["qual_codebook"]),
             PROJECT_FILE: project_bytes(tables)}
    for table in QUANTITATIVE:
        files[f"{table}.sav"], files[f"{table}.dta"] = stats_bytes(table, tables[table])
    return files


def publish(files: Mapping[str, bytes], outdir: Path) -> list[Path]:
    """Write ``files`` into ``outdir`` all-or-nothing.

    Every file is first written in full (and synced) to a temporary sibling;
    only when all are on disk are they renamed over their targets. On any
    error the temporary files are removed and the targets are untouched.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    temps: dict[str, str] = {}
    try:
        for name, data in files.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=outdir)
            temps[name] = tmp
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
        for name, tmp in temps.items():
            os.replace(tmp, outdir / name)
    except BaseException:
        for tmp in temps.values():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
    return [outdir / name for name in files]


def export_all(data_dir: Path, outdir: Path) -> list[Path]:
    """Write the REFI-QDA codebook and project and the SPSS/Stata tables of a study.

    Parameters
    ----------
    data_dir
        Directory of the data package (read with :func:`analysis.datapackage.read_study`).
    outdir
        Directory for ``codebook.qdc``, ``study.qdpx`` and ``<table>.sav``/``.dta``
        of the four quantitative tables; created if missing.

    Returns
    -------
    list of Path
        The files written, in the order of :func:`output_names`.

    Raises
    ------
    ValueError
        If a table fails its schema or a code application does not point at
        its excerpt in its transcript; nothing is written then.
    """
    tables = read_study(Path(data_dir))
    files = build_exports(tables)
    return publish(files, Path(outdir))


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m analysis.exchange --data DIR --outdir DIR``.

    Returns
    -------
    int
        0 on success, 2 (after printing ``error: ...``) on bad input.
    """
    parser = argparse.ArgumentParser(
        prog="python -m analysis.exchange",
        description="Write the study as REFI-QDA codebook/project and SPSS/Stata files.")
    parser.add_argument("--data", type=Path, required=True, help="directory of the study tables")
    parser.add_argument("--outdir", type=Path, required=True, help="directory for the exports")
    args = parser.parse_args(argv)
    try:
        written = export_all(args.data, args.outdir)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
