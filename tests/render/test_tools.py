"""The render engine's tools and versions, and the files the render step reads."""

from __future__ import annotations

import json
import os
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest

from analysis.render import tools
from analysis.render.sources import config_files, manuscript_files, project_root
from analysis.render.tools import EngineError, RenderTools, detect

REPO = Path(__file__).resolve().parents[2]


def test_the_fallback_names_pandoc_and_the_typst_compiler_not_the_wrapper():
    import pypandoc

    found = tools.pandoc_tools()
    pandoc, compiler = (version for _, version in found.software)
    assert found.engine == "pandoc"
    assert pandoc == pypandoc.get_pandoc_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", compiler)
    assert found.label == f"pandoc {pandoc} + typst {compiler}"
    names = [name for name, _ in found.software]
    assert f"pypandoc-binary {metadata.version('pypandoc-binary')}" in names[0]
    assert f"typst {metadata.version('typst')} Python package" in names[1]


def test_render_tools_survive_the_trip_through_the_workflow():
    found = tools.pandoc_tools()
    assert RenderTools.from_json(found.to_json()) == found
    assert json.loads(found.to_json())["software"] == dict(found.software)


@pytest.mark.parametrize("text,message", [
    ("not json", "not JSON"),
    ('{"engine": "latex", "label": "x", "software": {}}', "engine is 'latex'"),
    ('{"engine": "quarto", "label": "", "software": {}}', "'label' must be"),
    ('{"engine": "quarto", "label": "q", "software": {"quarto": 1.7}}', "'software' must"),
])
def test_malformed_render_tools_are_refused_naming_the_problem(text, message):
    with pytest.raises(EngineError, match=message):
        RenderTools.from_json(text)


def test_quarto_versions_come_from_quarto_itself(tmp_path, monkeypatch):
    fake = tmp_path / "quarto"
    fake.write_text(f"""#!{sys.executable}
import sys
args = sys.argv[1:]
if args == ["--version"]:
    print("1.9.3")
elif args == ["pandoc", "--version"]:
    print("pandoc 3.8.2\\nFeatures: +server")
elif args == ["typst", "--version"]:
    print("typst 0.14.0 (abc123)", file=sys.stderr)  # as `quarto typst` answers
else:
    sys.exit(3)
""")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    found = detect("auto")
    assert found.engine == "quarto"
    assert found.label == "quarto 1.9.3 (pandoc 3.8.2, typst 0.14.0)"
    assert found.software == (("Quarto (render engine)", "1.9.3"),
                              ("Pandoc, run by Quarto", "3.8.2"),
                              ("Typst compiler, run by Quarto", "0.14.0"))
    assert detect("pandoc").engine == "pandoc"  # asked for explicitly: the fallback


def test_a_quarto_that_cannot_say_its_versions_is_an_error(tmp_path, monkeypatch):
    fake = tmp_path / "quarto"
    fake.write_text(f"#!{sys.executable}\nimport sys\n"
                    "print('1.7.0') if sys.argv[1:] == ['--version'] else sys.exit(4)\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(EngineError, match=r"`quarto pandoc --version` failed \(exit 4\)"):
        detect("auto")


def test_the_project_is_the_repository_root_and_names_its_resources():
    assert project_root(REPO / "manuscript") == REPO
    names = [p.relative_to(REPO).as_posix() for p in config_files(REPO)]
    assert names == ["_quarto.yml", "manuscript/references.bib", "manuscript/apa.csl",
                     "analysis/render/resources/typst_callouts.lua",
                     "analysis/render/resources/typst_header.typ",
                     "analysis/render/resources/docx_alt.lua"]
    files = manuscript_files(REPO / "manuscript", REPO)
    sections = {p.relative_to(REPO).as_posix()
                for p in (REPO / "manuscript" / "sections").glob("*.md")}
    assert set(names) | {"manuscript/manuscript.qmd"} | sections == set(files.sources)
    assert "results/tables/software.md" in files.includes
    assert "results/figures/workflow_dag.png" in files.images


def test_no_project_file_is_an_error_naming_the_folder(tmp_path):
    (tmp_path / "manuscript").mkdir()
    with pytest.raises(FileNotFoundError, match="no _quarto.yml in .*manuscript"):
        project_root(tmp_path / "manuscript")
