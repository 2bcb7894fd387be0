"""Exchange formats: REFI-QDA codebook and project, SPSS and Stata files (issue 12)."""

from __future__ import annotations

import shutil
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from analysis import cli, exports
from analysis.config import load_config
from analysis.exports import refiqda, spss_stata
from analysis.exports.names import output_names
from analysis.io import write_csv
from analysis.palette import THEME_COLOURS
from analysis.study.datapackage import write_package
from analysis.study.generate import generate_study
from analysis.study.interviews import qualitative_codebook
from analysis.study.schemas import VARIABLES
from analysis.study.vocabulary import QUANT_TABLES

ROOT = Path(__file__).resolve().parents[2]
#: The published REFI-QDA schemas, kept in the repository with their licence notice.
SCHEMAS = ROOT / "tests" / "fixtures" / "refi-qda"
QDA = {"c": refiqda.CODEBOOK_NS, "p": refiqda.PROJECT_NS}


def schema(name: str):
    """The named REFI-QDA schema (a missing file is a failure, never a skip)."""
    import xmlschema

    return xmlschema.XMLSchema(SCHEMAS / name)


def test_the_schemas_and_their_licence_notice_are_in_the_repository():
    for name in ("Codebook.xsd", "Project-mrt2019.xsd", "README.md", "LICENSE"):
        assert (SCHEMAS / name).is_file(), name
    assert "licensed under the MIT license" in (SCHEMAS / "LICENSE").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def study():
    return generate_study(load_config())


@pytest.fixture(scope="module")
def package(study, tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("package")
    write_package(study.tables, directory, load_config())
    return directory


@pytest.fixture(scope="module")
def outdir(package, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run1") / "exchange"
    written = exports.export_all(package, out)
    assert [p.name for p in written] == output_names()
    return out


@pytest.fixture(scope="module")
def project(outdir) -> ET.Element:
    with zipfile.ZipFile(outdir / "study.qdpx") as archive:
        return ET.fromstring(archive.read("project.qde"))


@pytest.fixture(scope="module")
def sources(outdir, project) -> dict[str, str]:
    """Participant id -> text of her source, read from the archive via plainTextPath."""
    texts = {}
    with zipfile.ZipFile(outdir / "study.qdpx") as archive:
        for source in project.iterfind("p:Sources/p:TextSource", QDA):
            path = source.get("plainTextPath")
            assert path.startswith("internal://")
            texts[source.get("name")] = archive.read(
                "sources/" + path.removeprefix("internal://")).decode("utf-8")
    return texts


def codings(project: ET.Element) -> pd.DataFrame:
    """One row per Coding: participant, coder, code id, excerpt, start, end."""
    users = {u.get("guid"): u.get("id") for u in project.iterfind("p:Users/p:User", QDA)}
    codes = {refiqda.guid("code", c): c for c in qualitative_codebook_ids()}
    rows = []
    for source in project.iterfind("p:Sources/p:TextSource", QDA):
        for sel in source.iterfind("p:PlainTextSelection", QDA):
            for coding in sel.iterfind("p:Coding", QDA):
                assert coding.get("creatingUser") == sel.get("creatingUser")
                rows.append({
                    "participant_id": source.get("name"),
                    "coder": users[coding.get("creatingUser")],
                    "code": codes[coding.find("p:CodeRef", QDA).get("targetGUID")],
                    "excerpt_id": sel.get("name"),
                    "start": int(sel.get("startPosition")),
                    "end": int(sel.get("endPosition")),
                })
    return pd.DataFrame(rows)


def qualitative_codebook_ids() -> list[str]:
    return [c["id"] for c in qualitative_codebook()["codes"]]


# --------------------------------------------------------------------------- REFI-QDA


def test_codebook_is_valid_refi_qda(outdir):
    schema("Codebook.xsd").validate(str(outdir / "codebook.qdc"))


def test_project_is_valid_refi_qda(project, outdir):
    with zipfile.ZipFile(outdir / "study.qdpx") as archive:
        schema("Project-mrt2019.xsd").validate(archive.read("project.qde").decode("utf-8"))


def test_codebook_themes_codes_colours_and_guids(outdir, project, study):
    book = study["qual_codebook"].set_index("code")
    root = ET.parse(outdir / "codebook.qdc").getroot()
    themes = root.findall("c:Codes/c:Code", QDA)
    assert [t.get("name") for t in themes] == [
        book.loc[book["theme"] == t, "theme_label"].iloc[0] for t in THEME_COLOURS]
    seen = set()
    for theme_id, theme in zip(THEME_COLOURS, themes, strict=True):
        assert theme.get("isCodable") == "false"
        assert theme.get("color") == THEME_COLOURS[theme_id]
        assert theme.get("guid") == refiqda.guid("theme", theme_id)
        for code in theme.findall("c:Code", QDA):
            code_id = code.find("c:Description", QDA).text.rsplit("Code id: ", 1)[1]
            seen.add(code_id)
            assert book.loc[code_id, "theme"] == theme_id
            assert code.get("name") == book.loc[code_id, "label"]
            assert code.get("isCodable") == "true"
            assert code.get("color") == THEME_COLOURS[theme_id]
            assert code.get("guid") == refiqda.guid("code", code_id)
            assert code.find("c:Description", QDA).text.startswith(book.loc[code_id, "definition"])
    assert seen == set(book.index)
    # the project carries the same codebook, with the same GUIDs
    in_project = [(c.get("guid"), c.get("name"), c.get("color"))
                  for c in project.iterfind("p:CodeBook/p:Codes//p:Code", QDA)]
    in_codebook = [(c.get("guid"), c.get("name"), c.get("color"))
                   for c in root.iterfind("c:Codes//c:Code", QDA)]
    assert in_project == in_codebook


def test_guid_namespace_is_the_documented_one():
    assert refiqda.NAMESPACE == uuid.uuid5(uuid.NAMESPACE_URL,
                                            "urn:ipv-police-replication:refi-qda")
    assert refiqda.guid("code", "no_arrest") == str(uuid.uuid5(refiqda.NAMESPACE,
                                                                "code:no_arrest"))


def test_qdpx_archive_is_deterministic_zip(outdir, project, study):
    with zipfile.ZipFile(outdir / "study.qdpx") as archive:
        infos = archive.infolist()
        assert archive.testzip() is None
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert "project.qde" in names
    assert len([n for n in names if n.startswith("sources/")]) == len(study["transcripts"])
    assert not [n for n in names if n.lower().startswith("sources/") and
                not n.startswith("sources/")]
    for info in infos:
        assert info.date_time == refiqda.ZIP_DATE_TIME
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert info.external_attr >> 16 == 0o100644
    assert "creationDateTime" not in ET.tostring(project, encoding="unicode").replace(
        f'creationDateTime="{refiqda.FIXED_XML_DATETIME}"', "")


def test_sources_are_the_transcripts(sources, study):
    expected = dict(zip(study["transcripts"]["participant_id"], study["transcripts"]["text"],
                        strict=True))
    assert sources == expected


def test_selections_point_at_exactly_the_excerpt_text(project, sources, study):
    excerpts = study["excerpts"].set_index("excerpt_id")
    found = codings(project)
    assert len(found) == len(study["code_applications"])
    for row in found.itertuples(index=False):
        text = sources[row.participant_id]
        assert text[row.start:row.end] == excerpts.loc[row.excerpt_id, "text"]
        assert (row.start, row.end) == tuple(excerpts.loc[row.excerpt_id, ["start", "end"]])


def test_codings_per_code_and_coder_match_code_applications(project, study):
    found = codings(project)
    expected = study["code_applications"]
    assert Counter(zip(found["code"], found["coder"], strict=True)) == Counter(
        zip(expected["code"], expected["coder"], strict=True))
    key = ["participant_id", "coder", "code", "excerpt_id"]
    assert (found[key].sort_values(key).reset_index(drop=True)
            .equals(expected[key].sort_values(key).reset_index(drop=True)))


def test_coder_a_cases_per_code_match_the_code_by_case_matrix(project, study):
    found = codings(project)
    a = found[found["coder"] == "A"]
    pids = list(study["participants"]["participant_id"])
    codes = qualitative_codebook_ids()
    matrix = {(pids[i], codes[j]) for i, j in zip(*study.coder_a.nonzero(), strict=True)}
    assert set(zip(a["participant_id"], a["code"], strict=True)) == matrix
    per_code = a.groupby("code")["participant_id"].nunique().reindex(codes, fill_value=0)
    assert per_code.tolist() == study.coder_a.sum(axis=0).tolist()


def test_users_cases_and_variables(project, study):
    users = {u.get("id"): u.get("name") for u in project.iterfind("p:Users/p:User", QDA)}
    assert users == {"A": "Coder A", "B": "Coder B"}
    variables = {v.get("guid"): (v.get("name"), v.get("typeOfVariable"))
                 for v in project.iterfind("p:Variables/p:Variable", QDA)}
    case_variables = ["age_band", "race_ethnicity", "children_in_home", "relationship_status",
                      "n_police_contacts"]
    assert sorted(name for name, _ in variables.values()) == sorted(
        case_variables + [refiqda.SOURCE_VARIABLE_PREFIX + v for v in case_variables])
    participants = study["participants"].set_index("participant_id")
    cases = project.findall("p:Cases/p:Case", QDA)
    assert [c.get("name") for c in cases] == sorted(participants.index)
    for case in cases:
        pid = case.get("name")
        person = participants.loc[pid]
        values = {}
        for vv in case.iterfind("p:VariableValue", QDA):
            name, kind = variables[vv.find("p:VariableRef", QDA).get("targetGUID")]
            values[name] = vv[1].text
            assert vv[1].tag == f"{{{refiqda.PROJECT_NS}}}{kind}Value"
        assert values == {
            "age_band": refiqda.age_band(int(person["age"])),
            "race_ethnicity": person["race_ethnicity"],
            "children_in_home": "true" if person["children_in_home"] == 1 else "false",
            "relationship_status": person["relationship_status"],
            "n_police_contacts": str(person["n_police_contacts"]),
        }
        refs = [r.get("targetGUID") for r in case.iterfind("p:SourceRef", QDA)]
        assert refs == [refiqda.guid("source", pid)]


@pytest.mark.parametrize(("age", "band"), [(18, "18-24"), (24, "18-24"), (25, "25-34"),
                                           (44, "35-44"), (54, "45-54"), (55, "55+"),
                                           (90, "55+")])
def test_age_band(age, band):
    assert refiqda.age_band(age) == band


# --------------------------------------------------------------------------- SPSS / Stata


@pytest.mark.parametrize("ext", ["sav", "dta"])
@pytest.mark.parametrize("table", QUANT_TABLES)
def test_spss_and_stata_read_back_as_the_csv(outdir, package, table, ext):
    import pyreadstat

    reader = pyreadstat.read_sav if ext == "sav" else pyreadstat.read_dta
    frame, meta = reader(str(outdir / f"{table}.{ext}"))
    csv = pd.read_csv(package / f"{table}.csv", keep_default_na=False,
                      dtype={"participant_id": str})
    variables = VARIABLES[table]
    assert list(frame.columns) == [v.name for v in variables]
    assert meta.creation_time == spss_stata.FIXED_DATETIME
    for var in variables:
        # the whole meaning, in both formats: every label fits Stata's 80 characters
        assert meta.column_names_to_labels[var.name] == var.meaning
        column = frame[var.name]
        if var.type == "string" and var.allowed is not None:
            expected = {i: text for i, text in enumerate(var.allowed, start=1)}
            assert meta.variable_value_labels[var.name] == expected
            column = column.astype(int).map(expected)
        elif var.type == "integer":
            if var.labels:
                assert meta.variable_value_labels[var.name] == {0: "no", 1: "yes"}
            else:
                assert var.name not in meta.variable_value_labels
            column = column.astype("int64")
        else:
            assert var.name not in meta.variable_value_labels
            column = column.astype(str)
        assert column.tolist() == csv[var.name].tolist(), var.name


def test_header_timestamps_are_patched_in_place(outdir):
    sav = (outdir / "participants.sav").read_bytes()
    dta = (outdir / "participants.dta").read_bytes()
    assert sav[spss_stata.SAV_DATE_SLICE] + sav[spss_stata.SAV_TIME_SLICE] == b"01 Jan 2100:00:00"
    assert b"<timestamp>\x1101 Jan 2021 00:00</timestamp>" in dta
    # as written by ReadStat on some other day, then fixed: only those bytes change
    other_sav = (sav[:spss_stata.SAV_DATE_SLICE.start] + b"23 Nov 2606:34:50"
                 + sav[spss_stata.SAV_TIME_SLICE.stop:])
    assert spss_stata.fix_sav_timestamp(other_sav) == sav
    other_dta = dta.replace(b"01 Jan 2021 00:00", b"23 Nov 2026 06:34", 1)
    assert other_dta != dta and spss_stata.fix_dta_timestamp(other_dta) == dta
    with pytest.raises(RuntimeError):
        spss_stata.fix_sav_timestamp(b"$FL2" + b"x" * 200)
    with pytest.raises(RuntimeError):
        spss_stata.fix_dta_timestamp(b"<stata_dta><header></header>")


# --------------------------------------------------------------------------- determinism


def test_two_runs_are_byte_identical(outdir, package, tmp_path):
    again = tmp_path / "elsewhere" / "exchange"
    exports.export_all(package, again)
    names = sorted(p.name for p in outdir.iterdir())
    assert names == sorted(output_names())
    assert sorted(p.name for p in again.iterdir()) == names
    for name in names:
        assert (outdir / name).read_bytes() == (again / name).read_bytes(), name


# --------------------------------------------------------------------------- bad input


def _edit(package: Path, tmp_path: Path, table: str, change) -> Path:
    bad = tmp_path / "bad"
    shutil.copytree(package, bad)
    frame = pd.read_csv(bad / f"{table}.csv", dtype=str, keep_default_na=False)
    write_csv(bad / f"{table}.csv", change(frame))
    return bad


def _shift_excerpt(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[frame["excerpt_id"] == "SYN-01-E01", ["start", "end"]] = ["100", "206"]
    return frame


def _missing_excerpt(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[0, "excerpt_id"] = "SYN-01-E99"
    return frame


def _foreign_excerpt(frame: pd.DataFrame) -> pd.DataFrame:
    first = frame.index[frame["participant_id"] == "SYN-02"][0]
    frame.loc[first, "excerpt_id"] = frame.loc[0, "excerpt_id"]
    return frame


def _drop_code(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["code"] != "no_arrest"]


def _unknown_code(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[0, "code"] = "made_up_code"
    return frame


BAD_INPUTS = {
    "excerpt not in transcript": ("excerpts", _shift_excerpt,
                                  ["SYN-01", "SYN-01-E01", "is not in the transcript"]),
    "excerpt does not exist": ("code_applications", _missing_excerpt,
                               ["participant SYN-01", "SYN-01-E99", "does not exist"]),
    "excerpt of another participant": ("code_applications", _foreign_excerpt,
                                       ["participant SYN-02", "SYN-01-",
                                        "belongs to participant SYN-01"]),
    "code not in codebook": ("qual_codebook", _drop_code,
                             ["code no_arrest", "not in the qualitative codebook"]),
    "code not allowed": ("code_applications", _unknown_code,
                         ["table 'code_applications' column 'code' row 0: fails isin"]),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_stops_with_a_clear_message_and_writes_nothing(package, tmp_path, case):
    table, change, words = BAD_INPUTS[case]
    bad = _edit(package, tmp_path, table, change)
    out = tmp_path / "out" / "exchange"
    with pytest.raises(ValueError) as error:
        exports.export_all(bad, out)
    for word in words:
        assert word in str(error.value)
    assert not out.exists()


def test_bad_input_leaves_earlier_outputs_untouched(package, outdir, tmp_path):
    out = tmp_path / "exchange"
    shutil.copytree(outdir, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = _edit(package, tmp_path, "excerpts", _shift_excerpt)
    with pytest.raises(ValueError, match="not in the transcript"):
        exports.export_all(bad, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_command_line_exit_codes(package, tmp_path, capsys):
    bad = _edit(package, tmp_path, "excerpts", _shift_excerpt)
    assert cli.main(["exchange", "--data", str(bad), "--outdir", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "SYN-01-E01" in err
    assert not (tmp_path / "x").exists()
    assert cli.main(["exchange", "--data", str(package), "--outdir", str(tmp_path / "ok")]) == 0
    assert sorted(p.name for p in (tmp_path / "ok").iterdir()) == sorted(output_names())


# --------------------------------------------------------------------------- data package


def test_committed_data_package_passes_frictionless():
    from frictionless import validate

    report = validate(str(ROOT / "data" / "synthetic" / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


# --------------------------------------------------------------------------- readers


def variable_values(element: ET.Element, variables: dict[str, str]) -> dict[str, str]:
    return {variables[vv.find("p:VariableRef", QDA).get("targetGUID")]: vv[1].text
            for vv in element.iterfind("p:VariableValue", QDA)}


def test_each_transcript_carries_its_case_variables(project):
    """QualCoder reads a document's variables from its TextSource only, and keeps a variable
    either for cases or for files (a variable used on a named Case becomes a case variable).
    So every transcript carries its case's values, as variables used on no Case."""
    variables = {v.get("guid"): v.get("name")
                 for v in project.iterfind("p:Variables/p:Variable", QDA)}
    cases = {c.get("name"): variable_values(c, variables)
             for c in project.iterfind("p:Cases/p:Case", QDA)}
    on_cases = {n for values in cases.values() for n in values}
    for source in project.iterfind("p:Sources/p:TextSource", QDA):
        own = variable_values(source, variables)
        assert own, source.get("name")
        assert not set(own) & on_cases
        prefix = refiqda.SOURCE_VARIABLE_PREFIX
        assert {k.removeprefix(prefix): v for k, v in own.items()} == cases[source.get("name")]
        # the XSD's order inside a TextSource: selections before variable values
        tags = [child.tag.rsplit("}", 1)[1] for child in source]
        assert tags.index("VariableValue") > max(
            (i for i, t in enumerate(tags) if t == "PlainTextSelection"), default=-1)


def test_stata_labels_fit_without_cutting():
    for table in QUANT_TABLES:
        for var in VARIABLES[table]:
            assert len(var.meaning) <= spss_stata.STATA_LABEL_MAX, (table, var.name)
            assert spss_stata.stata_label(var.meaning) == var.meaning
    with pytest.raises(ValueError, match="longer than Stata's 80"):
        spss_stata.stata_label("x" * 81)


def _reader(module: str):
    """Import an optional REFI-QDA reader (extra ``qda``), or skip saying how to get it."""
    return pytest.importorskip(module, reason=f"{module} is not installed: install the "
                               "optional REFI-QDA readers with pip install -e '.[qda]'")


def test_pyqdpx_reads_sources_codings_and_coders(outdir, study):
    """pyqdpx (PyPI): every transcript, and every coding with its code, coder and text."""
    pyqdpx = _reader("pyqdpx")
    project = pyqdpx.QDPX(str(outdir / "study.qdpx")).get_project()
    assert project is not None
    sources = {s.name: s for s in project.sources.values()}
    expected = dict(zip(study["transcripts"]["participant_id"], study["transcripts"]["text"],
                        strict=True))
    assert {name: s.text_content for name, s in sources.items()} == expected
    labels = dict(zip(study["qual_codebook"]["code"], study["qual_codebook"]["label"],
                      strict=True))
    excerpts = study["excerpts"].set_index("excerpt_id")
    read = Counter()
    for name, source in sources.items():
        for selection in source.coded_selections.values():
            read[(name, selection.user.name, selection.code.name, selection.text)] += 1
    apps = study["code_applications"]
    wanted = Counter((row.participant_id, refiqda.CODERS[row.coder], labels[row.code],
                      excerpts.loc[row.excerpt_id, "text"]) for row in apps.itertuples())
    assert read == wanted
    assert {u.name for u in project.users.values()} == set(refiqda.CODERS.values())


def test_pyrefiqda_reads_cases_variables_and_sources(outdir, study, tmp_path):
    """pyrefiqda (PyPI): the typed model of the whole project, and the source files where
    its resolve_source_path looks (the lowercase sources/ folder)."""
    pyrefiqda = _reader("pyrefiqda")
    extract = tmp_path / "extracted"
    project = pyrefiqda.RefiProject.load(outdir / "study.qdpx", extract_dir=str(extract))
    texts = {}
    for source in project.sources.text_source:
        path = pyrefiqda.RefiProject.resolve_source_path(source.plain_text_path, extract)
        texts[source.name] = path.read_text(encoding="utf-8")
        assert len(source.variable_value) == 5
    expected = dict(zip(study["transcripts"]["participant_id"], study["transcripts"]["text"],
                        strict=True))
    assert texts == expected
    names = {v.guid: v.name for v in project.variables.variable}
    participants = study["participants"].set_index("participant_id")
    for case in project.cases.case:
        values = {names[v.variable_ref.target_guid]: v for v in case.variable_value}
        person = participants.loc[case.name]
        assert values["n_police_contacts"].integer_value == person["n_police_contacts"]
        assert values["children_in_home"].boolean_value == bool(person["children_in_home"])
        assert values["race_ethnicity"].text_value == person["race_ethnicity"]
    selections = sum(len(s.plain_text_selection) for s in project.sources.text_source)
    assert selections == len(study["code_applications"])


def test_qualitative_coding_reader_finds_the_sources(outdir):
    """The ``qc`` CLI of qualitative-coding (PyPI) unpacks the archive and reads each source
    from its lowercase sources/ folder. Its current releases pin xmlschema < 4, which this
    project's pins (xmlschema 4) exclude, so it is not in the ``qda`` extra and this test
    runs only where it has been installed by hand."""
    reader = _reader("qualitative_coding.refi_qda.reader")
    with zipfile.ZipFile(outdir / "study.qdpx") as archive:
        names = set(archive.namelist())
    root = ET.fromstring(zipfile.ZipFile(outdir / "study.qdpx").read("project.qde"))
    for source in root.iterfind("p:Sources/p:TextSource", QDA):
        path = source.get("plainTextPath").replace("internal://", "")
        assert f"sources/{path}" in names
    reader.REFIQDAReader(str(outdir / "study.qdpx"))  # validates project.qde with its schema
