"""Does a regenerated study match the committed one? The first difference, located.

The committed synthetic study (``data/synthetic/``) is what the generator makes
from ``config/config.yaml``; a build regenerates it and the workflow compares the
two (``python -m analysis check-committed``). :func:`first_difference` names the
file, the column and the row of the first difference between two CSV tables,
never the values themselves (they may be real data in another setting).
"""

from __future__ import annotations

import csv
import itertools
import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from analysis.study.vocabulary import ALL_TABLES

#: The CSV files of a data package that must match: every table and the codebook.
COMPARED_FILES: tuple[str, ...] = tuple(f"{t}.csv" for t in ALL_TABLES) + ("codebook.csv",)


@dataclass(frozen=True)
class Difference:
    """Where two copies of one CSV file first differ.

    ``row`` counts data rows from 0 after the header (None: the header or the
    whole file); ``column`` is a column name (None: the whole row or file).
    """

    file: str
    row: int | None
    column: str | None
    what: str

    def where(self) -> str:
        """``participants.csv row 3 column 'age'`` (as much as is known)."""
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}")
        elif self.column is not None:
            parts.append("header")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _rows(path: Path) -> Iterator[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        yield from csv.reader(fh)


def _header_difference(name: str, committed: list[str], regenerated: list[str]) -> Difference:
    for column in regenerated:
        if column not in committed:
            return Difference(name, None, column, "missing from the committed table")
    for column in committed:
        if column not in regenerated:
            return Difference(name, None, column, "not a column of the regenerated table")
    position = next(i for i, (a, b) in enumerate(zip(committed, regenerated, strict=True))
                    if a != b)
    return Difference(name, None, regenerated[position], "in another position")


def first_difference(committed: Path, regenerated: Path, name: str) -> Difference | None:
    """The first difference between ``committed/name`` and ``regenerated/name`` (None: equal).

    Bytes equal: None. Otherwise the files are read as CSV: a header that
    differs names the first missing, extra or moved column; then the first
    row that differs, and in it the first column that differs (or is missing
    when the row is cut short); then a table with fewer or more rows. Files
    whose cells all agree but whose bytes differ (line endings, quoting) are
    reported as a difference of form.
    """
    ours, theirs = Path(committed) / name, Path(regenerated) / name
    if not ours.exists():
        return Difference(name, None, None, "missing from the committed study")
    if ours.read_bytes() == theirs.read_bytes():
        return None
    try:
        committed_rows, regenerated_rows = _rows(ours), _rows(theirs)
        header_a, header_b = next(committed_rows, []), next(regenerated_rows, [])
        if header_a != header_b:
            return _header_difference(name, header_a, header_b)
        pairs = itertools.zip_longest(committed_rows, regenerated_rows)
        for row, (a, b) in enumerate(pairs):
            if a is None:
                return Difference(name, row, None, f"missing: the committed table ends after "
                                                   f"{row} rows")
            if b is None:
                return Difference(name, row, None, f"extra: the regenerated table has {row} rows")
            if a == b:
                continue
            for index, column in enumerate(header_b):
                if index >= len(a):
                    return Difference(name, row, column, f"missing: the committed row has "
                                                         f"{len(a)} of {len(header_b)} fields")
                if a[index] != b[index]:
                    return Difference(name, row, column, "differs from the regenerated table")
            return Difference(name, row, None, f"has {len(a)} fields, not {len(header_b)}")
    except (csv.Error, UnicodeDecodeError) as error:
        return Difference(name, None, None, f"cannot be read as CSV ({error})")
    return Difference(name, None, None, "differs in form (quoting or line endings), not in "
                                         "any cell")


def compare_studies(committed: str | os.PathLike, regenerated: str | os.PathLike,
                    files: Sequence[str] = COMPARED_FILES) -> list[Difference]:
    """The first difference of each file that differs, in package order."""
    found = (first_difference(Path(committed), Path(regenerated), name) for name in files)
    return [d for d in found if d is not None]
