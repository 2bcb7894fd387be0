"""SPSS (``.sav``) and Stata (``.dta``) copies of the quantitative tables, with labels.

Categorical text variables are stored as integers 1..k in the order of their
allowed values, labelled with the text; 0/1 flags carry ``0 = no, 1 = yes``;
ids stay text. Both formats embed the time of writing in their headers and
pyreadstat offers no way to set it, so :func:`fix_sav_timestamp` and
:func:`fix_dta_timestamp` overwrite those bytes with :data:`FIXED_DATETIME`.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.study.schemas import TABLE_DESCRIPTIONS, VARIABLES, Variable

#: The one date written into every export (not the date anything was coded).
FIXED_DATETIME = datetime(2021, 1, 1, 0, 0, 0)
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
    """A variable label for Stata, whose labels hold at most 80 characters.

    Labels are the variables' meanings, written to fit; one that does not is
    an error to fix in :data:`analysis.study.schemas.VARIABLES`, never cut.

    Raises
    ------
    ValueError
        If ``text`` is longer than :data:`STATA_LABEL_MAX` characters.
    """
    if len(text) > STATA_LABEL_MAX:
        raise ValueError(f"variable label of {len(text)} characters is longer than Stata's "
                         f"{STATA_LABEL_MAX}: shorten the meaning in analysis/study/schemas.py: "
                         f"{text!r}")
    return text


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
            f"{TABLE_DESCRIPTIONS[table]} Written by analysis.exports.spss_stata from the "
            "synthetic data package; variables are described in codebook.csv.")
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
