"""Locating the first difference between a committed and a regenerated study table."""

from __future__ import annotations

import shutil

import pytest

from analysis.study.committed import COMPARED_FILES, compare_studies, first_difference


@pytest.fixture
def pair(repo_root, tmp_path):
    """Two copies of the committed study: (committed, regenerated)."""
    committed, regenerated = tmp_path / "committed", tmp_path / "regenerated"
    for target in (committed, regenerated):
        shutil.copytree(repo_root / "data" / "synthetic", target)
    return committed, regenerated


def _lines(path):
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_identical_studies_have_no_difference(pair):
    assert compare_studies(*pair) == []


def test_a_truncated_table_names_the_first_missing_row(pair):
    committed, regenerated = pair
    lines = _lines(committed / "participants.csv")
    (committed / "participants.csv").write_text("".join(lines[:11]), encoding="utf-8")
    diff = first_difference(committed, regenerated, "participants.csv")
    assert (diff.row, diff.column) == (10, None)
    assert diff.what == "missing: the committed table ends after 10 rows"
    assert diff.where() == "participants.csv row 10"


def test_a_row_cut_short_names_the_first_missing_column(pair):
    committed, regenerated = pair
    lines = _lines(committed / "participants.csv")
    header = lines[0].strip().split(",")
    cut = ",".join(lines[4].split(",")[:2]) + "\n"
    (committed / "participants.csv").write_text("".join(lines[:4]) + cut, encoding="utf-8")
    diff = first_difference(committed, regenerated, "participants.csv")
    assert (diff.row, diff.column) == (3, header[2])
    assert diff.what.startswith("missing: the committed row has 2 of")


def test_an_invalid_category_names_row_and_column_not_the_value(pair):
    committed, regenerated = pair
    path = committed / "participants.csv"
    lines = _lines(path)
    header = lines[0].strip().split(",")
    column = header.index("race_ethnicity")
    fields = lines[6].rstrip("\n").split(",")
    fields[column] = "Martian"
    lines[6] = ",".join(fields) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    diff = first_difference(committed, regenerated, "participants.csv")
    assert diff.where() == "participants.csv row 5 column 'race_ethnicity'"
    assert "Martian" not in str(diff.to_dict())


def test_a_dropped_column_is_named(pair):
    committed, regenerated = pair
    path = committed / "incidents.csv"
    rows = [line.rstrip("\n").split(",") for line in _lines(path)]
    index = rows[0].index("visible_injury")
    path.write_text("".join(",".join(r[:index] + r[index + 1:]) + "\n" for r in rows),
                    encoding="utf-8")
    diff = first_difference(committed, regenerated, "incidents.csv")
    assert diff.where() == "incidents.csv header column 'visible_injury'"
    assert diff.what == "missing from the committed table"


def test_a_missing_file_and_a_difference_of_form(pair):
    committed, regenerated = pair
    (committed / "violence.csv").unlink()
    text = (committed / "strategies.csv").read_text(encoding="utf-8")
    (committed / "strategies.csv").write_bytes(text.replace("\n", "\r\n").encode())
    found = {d.file: d for d in compare_studies(committed, regenerated)}
    assert found["violence.csv"].what == "missing from the committed study"
    assert found["strategies.csv"].row is None and "form" in found["strategies.csv"].what
    assert list(found) == [f for f in COMPARED_FILES if f in found]   # package order
