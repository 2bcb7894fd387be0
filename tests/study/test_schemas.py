"""Table schemas: every violation is caught and named by table, column and row."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from analysis.study.datapackage import ALL_TABLES, read_study, read_table, write_package
from analysis.study.schemas import (
    PRIMARY_KEYS,
    TABLES,
    VARIABLES,
    TableError,
    validate_table,
    validate_tables,
)


@pytest.fixture()
def participants(study) -> pd.DataFrame:
    return study["participants"].copy()


@pytest.fixture()
def incidents(study) -> pd.DataFrame:
    return study["incidents"].copy()


@pytest.fixture(scope="module")
def package(study, config, tmp_path_factory):
    directory = tmp_path_factory.mktemp("package")
    write_package(study.tables, directory, config)
    return directory


def _error(table: str, frame: pd.DataFrame) -> str:
    with pytest.raises(TableError) as info:
        validate_table(table, frame)
    return str(info.value)


def test_generated_tables_are_valid(study):
    for name in ALL_TABLES:
        assert validate_table(name, study[name]) is study[name]
    validate_tables(study.tables)


def test_every_table_has_variables_and_keys():
    assert set(TABLES) == set(ALL_TABLES) == set(PRIMARY_KEYS)
    for table, keys in PRIMARY_KEYS.items():
        names = [v.name for v in VARIABLES[table]]
        assert set(keys) <= set(names), table


def test_wrong_type(participants):
    participants["age"] = participants["age"].astype(object)
    participants.loc[3, "age"] = "thirty"
    message = _error("participants", participants)
    assert "table 'participants' column 'age' row 3: fails dtype('int64')" in message
    assert "thirty" not in message


def test_float_in_integer_column(participants):
    participants["age"] = participants["age"].astype(float)
    message = _error("participants", participants)
    assert "table 'participants' column 'age'" in message and "int64" in message


@pytest.mark.parametrize(("table", "column", "row", "value", "check"), [
    ("incidents", "arrest", 7, 2, "isin([0, 1])"),
    ("incidents", "visible_injury", 0, -1, "isin([0, 1])"),
    ("incidents", "prior_calls", 11, -1, "greater_than_or_equal_to(0)"),
    ("participants", "age", 5, 12, "greater_than_or_equal_to(18)"),
    ("participants", "age", 6, 101, "less_than_or_equal_to(100)"),
    ("participants", "n_police_contacts", 2, 0, "greater_than_or_equal_to(1)"),
])
def test_out_of_range(study, table, column, row, value, check):
    frame = study[table].copy()
    frame.loc[row, column] = value
    message = _error(table, frame)
    assert f"table '{table}' column '{column}' row {row}: fails {check}" in message
    assert "value" not in message
    assert message.count("fails") == 1


@pytest.mark.parametrize(("table", "column", "value"), [
    ("participants", "race_ethnicity", "Martian"),
    ("participants", "relationship_status", "married"),
    ("incidents", "initiator", "police"),
    ("incidents", "safety_change", "much better"),
])
def test_value_outside_enum(study, table, column, value):
    frame = study[table].copy()
    frame.loc[4, column] = value
    message = _error(table, frame)
    assert f"table '{table}' column '{column}' row 4: fails isin(" in message
    assert value not in message


def test_missing_value(participants):
    participants.loc[2, "age"] = None
    message = _error("participants", participants)
    assert "column 'age' row 2: fails not_nullable" in message and "nan" not in message


def test_missing_column(incidents):
    message = _error("incidents", incidents.drop(columns="arrest"))
    assert "table 'incidents' column 'arrest': missing column" in message


def test_extra_column(participants):
    participants["colour"] = "blue"
    assert "table 'participants' column 'colour': not a column of this table" in _error(
        "participants", participants)


def test_unknown_table(participants):
    with pytest.raises(TableError, match="unknown table 'people'; allowed: participants"):
        validate_table("people", participants)


def test_duplicate_id(participants):
    first = participants.loc[0, "participant_id"]
    participants.loc[4, "participant_id"] = first
    message = _error("participants", participants)
    assert "table 'participants' column 'participant_id' row 4: fails field_uniqueness" in message
    assert "column 'participant_id' row 0: fails field_uniqueness" in message
    assert first not in message


def test_duplicate_composite_key(incidents):
    incidents.loc[2, ["participant_id", "incident_seq"]] = incidents.loc[
        1, ["participant_id", "incident_seq"]].to_numpy()
    message = _error("incidents", incidents)
    assert "table 'incidents'" in message
    assert "column 'incident_seq' row 2: fails multiple_fields_uniqueness" in message
    assert "value" not in message


def test_unknown_participant_in_incidents(participants, incidents):
    incidents.loc[9, "participant_id"] = "P99"
    with pytest.raises(TableError) as info:
        validate_tables({"participants": participants, "incidents": incidents})
    assert str(info.value) == ("table 'incidents' column 'participant_id' row 9: not a "
                               "participant of table 'participants'")


def test_contacts_must_match_incidents(participants, incidents):
    declared = int(participants.loc[0, "n_police_contacts"])
    participants.loc[0, "n_police_contacts"] = declared + 1 if declared < 20 else declared - 1
    with pytest.raises(TableError) as info:
        validate_tables({"participants": participants, "incidents": incidents})
    message = str(info.value)
    assert message == ("table 'participants' column 'n_police_contacts' row 0: does not match "
                       "the number of that participant's rows in table 'incidents'")


def test_dropped_incident_is_caught(participants, incidents):
    first = incidents.index[incidents["participant_id"] == participants.loc[2, "participant_id"]][0]
    with pytest.raises(TableError, match=r"row 2: does not match the number of that "):
        validate_tables({"participants": participants, "incidents": incidents.drop(index=first)})


def test_excerpt_end_after_start(study):
    excerpts = study["excerpts"].copy()
    excerpts.loc[1, "end"] = excerpts.loc[1, "start"]
    with pytest.raises(TableError, match="table 'excerpts' column 'end' row 1: end must be"):
        validate_table("excerpts", excerpts)


# --- reading a package ------------------------------------------------------------


def test_read_study_round_trip(package, study):
    tables = read_study(package)
    for name in ALL_TABLES:
        expected = study[name] if name == "qual_codebook" else study[name].sort_values(
            PRIMARY_KEYS[name], kind="mergesort").reset_index(drop=True)
        pd.testing.assert_frame_equal(tables[name], expected, check_dtype=False, obj=name)


def test_datapackage_hashes_match(package):
    import hashlib

    descriptor = json.loads((package / "datapackage.json").read_text())
    for resource in descriptor["resources"]:
        if "hash" in resource:
            data = (package / resource["path"]).read_bytes()
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
            assert resource["bytes"] == len(data)


def _edit_csv(path, row: int, column: str, value: str) -> None:
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[row + 1].split(",")
    cells[header.index(column)] = value
    lines[row + 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")


def _copy(package, tmp_path):
    import shutil

    target = tmp_path / "pkg"
    shutil.copytree(package, target)
    return target


def test_read_table_out_of_range(package, tmp_path):
    directory = _copy(package, tmp_path)
    _edit_csv(directory / "participants.csv", 2, "age", "12")
    with pytest.raises(TableError, match=r"table 'participants' column 'age' row 2: "
                                         r"fails greater_than_or_equal_to\(18\)"):
        read_table(directory, "participants")


def test_read_table_bad_flag(package, tmp_path):
    directory = _copy(package, tmp_path)
    _edit_csv(directory / "incidents.csv", 5, "arrest", "2")
    with pytest.raises(TableError, match=r"table 'incidents' column 'arrest' row 5: fails isin"):
        read_table(directory, "incidents")


def test_read_table_not_an_integer(package, tmp_path):
    directory = _copy(package, tmp_path)
    _edit_csv(directory / "participants.csv", 2, "age", "thirty")
    with pytest.raises(ValueError, match=r"table 'participants' column 'age' row 2: not an "
                                         r"integer$"):
        read_table(directory, "participants")


def test_read_table_not_an_integer_names_column_and_row(package, tmp_path):
    directory = _copy(package, tmp_path)
    _edit_csv(directory / "participants.csv", 2, "age", "thirty")
    with pytest.raises(ValueError) as info:
        read_table(directory, "participants")
    assert "column 'age'" in str(info.value) and "row 2" in str(info.value)


def test_read_study_checks_links(package, tmp_path):
    directory = _copy(package, tmp_path)
    _edit_csv(directory / "participants.csv", 0, "n_police_contacts", "1")
    read_table(directory, "participants")  # valid on its own
    with pytest.raises(TableError, match=r"column 'n_police_contacts' row 0: does not match "
                                         r"the number of that participant's rows in table "
                                         r"'incidents'$"):
        read_study(directory, ["participants", "incidents"])


def test_read_table_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="table 'incidents' not found"):
        read_table(tmp_path, "incidents")


def test_an_empty_file_names_the_table(package, tmp_path):
    directory = _copy(package, tmp_path)
    (directory / "participants.csv").write_text("", encoding="utf-8")
    with pytest.raises(TableError, match=r"^table 'participants' \(participants.csv\) is empty: "
                                         r"expected a header row with the columns "
                                         r"participant_id, "):
        read_table(directory, "participants")


def test_a_table_with_no_rows_is_refused(package, tmp_path):
    directory = _copy(package, tmp_path)
    header = (directory / "incidents.csv").read_text(encoding="utf-8").splitlines()[0]
    (directory / "incidents.csv").write_text(header + "\n", encoding="utf-8")
    with pytest.raises(TableError, match=r"^table 'incidents' has no rows"):
        read_table(directory, "incidents")


@pytest.mark.parametrize(("column", "value"), [("age", "-55555"), ("race_ethnicity", "Zorblax"),
                                               ("participant_id", "QQ777"),
                                               ("n_police_contacts", "abcdefg")])
def test_no_message_quotes_a_cells_value(package, tmp_path, column, value):
    """A value may be real data (restricted mode): messages name table, column and row only."""
    directory = _copy(package, tmp_path)
    _edit_csv(directory / "participants.csv", 3, column, value)
    with pytest.raises(ValueError) as info:
        read_study(directory, ["participants", "incidents"])
    message = str(info.value)
    # A changed identifier is caught where another table refers to it.
    assert re.search(r"table '\w+' column '\w+' row \d+: ", message), message
    assert value not in message and value.lstrip("-") not in message
