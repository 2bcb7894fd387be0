"""The synthetic study in the formats other tools open: REFI-QDA, SPSS and Stata.

REFI-QDA lives in :mod:`analysis.exports.refiqda`, SPSS and Stata in
:mod:`analysis.exports.spss_stata`; this module writes them all at once.

:func:`export_all` reads a data package (:func:`analysis.study.datapackage.read_study`)
and writes to one directory:

``codebook.qdc``
    REFI-QDA codebook (QDA-XML 1.0, ``urn:QDA-XML:codebook:1.0``): every theme a
    parent code (not codable, named by its label), every code its child, named
    by its label, with its definition, inclusion and exclusion rules, synthetic
    example, confusable codes with their decision rule, and id as Description,
    and its theme's colour from :data:`analysis.palette.THEME_COLOURS`.
``study.qdpx``
    REFI-QDA project: a ZIP holding ``project.qde`` (``urn:QDA-XML:project:1.0``)
    and ``sources/<guid>.txt``, one UTF-8 plain-text source per transcript, named
    ``internal://<guid>.txt`` by its TextSource (lowercase ``sources/``: the readers
    that accept only one spelling want that one). Both coders are Users; every
    row of ``code_applications`` is a PlainTextSelection of its excerpt carrying
    one Coding, both created by that row's coder; every participant is a Case
    with her variables and her transcript, and her transcript carries the same
    values as variables of its own (``Transcripts:<name>``), because QualCoder
    attaches variables to documents only from the source itself.
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

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.exports.names import CODEBOOK_FILE, PROJECT_FILE
from analysis.study.vocabulary import QUANT_TABLES

if TYPE_CHECKING:
    import pandas as pd

# The writers and the data package reader are imported where they are used: the workflow
# imports analysis.exports.names while it builds the DAG, which runs this file, and should
# not pay for pandas and the XML and SPSS/Stata writers every time.


def build_exports(tables: Mapping[str, pd.DataFrame]) -> dict[str, bytes]:
    """Every export of a study as ``{file name: bytes}`` (checks first, writes nothing)."""
    from analysis.exports.refiqda import check_study, codebook_xml, project_bytes
    from analysis.exports.spss_stata import stats_bytes

    check_study(tables)
    files = {CODEBOOK_FILE: codebook_xml(tables["qual_codebook"]),
             PROJECT_FILE: project_bytes(tables)}
    for table in QUANT_TABLES:
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
        Directory of the data package (read with :func:`analysis.study.datapackage.read_study`).
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
    from analysis.study.datapackage import read_study

    tables = read_study(Path(data_dir))
    files = build_exports(tables)
    return publish(files, Path(outdir))
