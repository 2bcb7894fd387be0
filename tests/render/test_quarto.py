"""Real Quarto against the fallback, on the fixture project: the same document.

Skipped where ``quarto`` is not on ``PATH`` (CI has none; the fallback is tested
in test_render.py). ``tests/workflow/test_build.py`` compares the two engines
on the real manuscript.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from analysis.render.engine import RenderError, render_manuscript
from analysis.render.tools import detect
from tests.render.project import make_project
from tests.render.structure import differences, docx_structure, html_structure

pytestmark = pytest.mark.skipif(
    shutil.which("quarto") is None,
    reason="quarto is not on PATH: the Quarto engine and its equivalence with the fallback "
           "are not tested here (the fallback is, in test_render.py)")

SOURCES = ["apa.csl", "manuscript.qmd", "references.bib", "sections"]


def render_with(engine: str, root: Path) -> Path:
    """Render the fixture project under ``root`` with ``engine``; return the output folder."""
    outdir = root / "results" / "manuscript"
    render_manuscript(root / "manuscript", outdir, root / "results" / "values.yml",
                      engine=engine)
    return outdir


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, figure_png: Path) -> dict[str, Path]:
    """The fixture rendered by each engine: engine -> project root."""
    roots = {}
    for engine in ("quarto", "pandoc"):
        root = make_project(tmp_path_factory.mktemp(engine) / "project", figure_png, engine)
        render_with(engine, root)
        roots[engine] = root
    return roots


def test_quarto_writes_three_files_and_nothing_beside_the_sources(both):
    root = both["quarto"]
    outdir = root / "results" / "manuscript"
    assert sorted(p.name for p in outdir.iterdir()) == [
        "manuscript.docx", "manuscript.html", "manuscript.pdf"]
    assert (outdir / "manuscript.pdf").read_bytes().startswith(b"%PDF-")
    assert zipfile.is_zipfile(outdir / "manuscript.docx")
    assert sorted(p.name for p in (root / "manuscript").iterdir()) == SOURCES
    assert not (root / ".quarto").exists() and not (root / ".gitignore").exists()


@pytest.mark.parametrize("kind", ["html", "docx"])
def test_quarto_and_the_fallback_give_the_same_document(both, kind):
    labels = [detect(engine).label for engine in both]
    page = {e: (root / "results" / "manuscript" / f"manuscript.{kind}").read_bytes()
            for e, root in both.items()}
    if kind == "html":
        quarto, pandoc = (html_structure(page[e].decode("utf-8"), labels) for e in both)
    else:
        quarto, pandoc = (docx_structure(page[e], labels) for e in both)
    assert differences(quarto, pandoc) == []
    assert quarto.figures == ("fig-arrest",) and quarto.tables == ("tbl-counts",)
    assert quarto.citations == 2 and quarto.references == 2
    assert "47" in quarto.numbers and "38.3" in quarto.numbers


def test_quarto_prints_the_engine_values_yml_names(both):
    html = (both["quarto"] / "results" / "manuscript" / "manuscript.html").read_text("utf-8")
    assert f"Rendered with {detect('quarto').label}." in html
    assert "?meta:" not in html


def test_a_real_quarto_failure_names_the_error_first(tmp_path, figure_png):
    root = make_project(tmp_path / "p", figure_png, engine="quarto")
    qmd = root / "manuscript" / "manuscript.qmd"
    qmd.write_text(qmd.read_text() + '\n```{=typst}\n#image("../results/figures/gone.png")\n```\n')
    with pytest.raises(RenderError) as error:
        render_with("quarto", root)
    first, second = str(error.value).splitlines()[:2]
    assert first.startswith("quarto render failed (exit 1): ")
    assert "error:" in first and "gone.png" in first and "manuscript-render-" not in first
    assert second.startswith("--- quarto's output (")
    assert not (root / "results" / "manuscript").exists()
    assert sorted(p.name for p in (root / "manuscript").iterdir()) == SOURCES
