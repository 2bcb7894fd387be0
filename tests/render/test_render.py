"""Tests for the manuscript render engine (Pandoc + Typst fallback; Quarto's interface)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import yaml

from analysis.cli import main as cli_main
from analysis.render import engine as render
from analysis.render.engine import RenderError, RenderResult, render_manuscript
from analysis.render.tools import detect
from tests.render.project import make_project, record_engine
from tests.render.structure import docx_structure


def main(argv: list[str]) -> int:
    """``python -m analysis render ...``."""
    return cli_main(["render", *argv])

def run(root: Path, **kwargs: object) -> RenderResult:
    """Render the fixture project under ``root`` with the fallback engine."""
    return render_manuscript(
        root / "manuscript",
        root / "results" / "manuscript",
        root / "results" / "values.yml",
        engine="pandoc",
        **kwargs,  # type: ignore[arg-type]
    )


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in a text file (``old`` must occur)."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="module")
def rendered(
    tmp_path_factory: pytest.TempPathFactory, figure_png: Path
) -> tuple[Path, RenderResult, str]:
    """One fallback render of the fixture: project root, result and HTML text."""
    root = make_project(tmp_path_factory.mktemp("first") / "project", figure_png)
    result = run(root)
    html = (root / "results" / "manuscript" / "manuscript.html").read_text(encoding="utf-8")
    return root, result, html


OUTPUTS = ["manuscript.docx", "manuscript.html", "manuscript.pdf"]


def test_fallback_writes_html_pdf_and_docx(rendered: tuple[Path, RenderResult, str]) -> None:
    root, result, html = rendered
    outdir = root / "results" / "manuscript"
    assert result.engine.startswith("pandoc ") and "typst" in result.engine
    assert result.outputs == [outdir / "manuscript.html", outdir / "manuscript.pdf",
                              outdir / "manuscript.docx"]
    assert html.startswith("<!DOCTYPE html>")
    assert (outdir / "manuscript.pdf").read_bytes().startswith(b"%PDF-")
    assert zipfile.is_zipfile(outdir / "manuscript.docx")
    assert sorted(p.name for p in outdir.iterdir()) == OUTPUTS


def test_nothing_is_written_beside_the_sources(rendered: tuple[Path, RenderResult, str]) -> None:
    root, _, _ = rendered
    assert sorted(p.name for p in (root / "manuscript").iterdir()) == [
        "apa.csl", "manuscript.qmd", "references.bib", "sections"]
    assert not (root / ".quarto").exists()
    assert sorted(p.name for p in (root / "results").iterdir()) == [
        "figures", "manuscript", "tables", "values.yml"]


def test_docx_has_figures_tables_captions_crossrefs_and_references(
    rendered: tuple[Path, RenderResult, str],
) -> None:
    root, _, _ = rendered
    data = (root / "results" / "manuscript" / "manuscript.docx").read_bytes()
    text = render.docx_text(data)
    structure = docx_structure(data)
    with zipfile.ZipFile(root / "results" / "manuscript" / "manuscript.docx") as archive:
        media = [n for n in archive.namelist() if n.startswith("word/media/")]
        body = archive.read("word/document.xml").decode("utf-8")
    assert len(media) == 1 and body.count("<w:tbl>") == 1
    assert structure.figures == ("fig-arrest",) and structure.tables == ("tbl-counts",)
    assert structure.crossrefs == {"fig-arrest": 2, "tbl-counts": 2}
    assert "Figure 1: Arrest probability by number of earlier calls." in text
    assert "Table 1: Cases by initiator" in text
    assert "(see Figure 1 and Table 1)" in text
    assert "(Smith & Okafor, 2020)" in text and "Jones (2019)" in text
    assert structure.citations == 2 and structure.references == 2
    assert "Jones, R. (2019). Policing intimate partner violence. Example Press." in text
    assert 'descr="Line chart of arrest probability rising with earlier calls."' in body
    assert "Data caveat" in text and "Interpretation is limited to 47 simulated cases." in text
    assert f"Rendered with {detect('pandoc').label}." in text
    for leftover in ("{{<", "@fig-", "@tbl-", "??", "?meta:"):
        assert leftover not in text


def test_html_is_self_contained_and_has_no_paths(
    rendered: tuple[Path, RenderResult, str],
) -> None:
    root, _, html = rendered
    assert 'src="data:image/png;base64,' in html
    assert "../results/figures" not in html
    for name in OUTPUTS:
        data = (root / "results" / "manuscript" / name).read_bytes()
        if name.endswith(".docx"):
            data = render.docx_text(data).encode()
        assert str(root).encode() not in data
        assert str(root.parent).encode() not in data
        assert b"/tmp/" not in data and b"manuscript-render-" not in data  # the staged copy


def test_values_and_extra_meta_reach_the_text(rendered: tuple[Path, RenderResult, str]) -> None:
    _, result, html = rendered
    assert "We analysed 47 synthetic cases." in html  # meta in front matter
    assert "Arrest followed in 38.3% of calls" in html  # var
    assert "synthetic (seed 20240601)" in html  # shortcode inside an include
    assert '<td style="text-align: right;">47</td>' in html  # shortcode in included table
    assert f"Rendered with {result.engine}." in html  # render_engine from values.yml


def test_figures_tables_and_crossrefs_are_numbered(
    rendered: tuple[Path, RenderResult, str],
) -> None:
    _, _, html = rendered
    assert '<figure id="fig-arrest">' in html
    assert "<figcaption>Figure 1: Arrest probability" in html
    assert "<caption>Table 1: Cases by initiator</caption>" in html
    assert '<a href="#fig-arrest">Figure 1</a>' in html
    assert '<a href="#tbl-counts">Table 1</a>' in html
    assert 'Figure <a href="#fig-arrest">1</a>' in html  # [-@fig-arrest]
    assert 'alt="Line chart of arrest probability' in html  # fig-alt
    for leftover in ("{{<", "@fig-", "@tbl-", "??"):
        assert leftover not in html


def test_citations_and_references(rendered: tuple[Path, RenderResult, str]) -> None:
    _, _, html = rendered
    assert "Smith &amp; Okafor, 2020" in html
    assert 'id="refs"' in html
    assert "Jones, R. (2019)." in html
    assert "<em>Journal of Family Violence</em>" in html


def test_callouts_are_boxed(rendered: tuple[Path, RenderResult, str]) -> None:
    _, _, html = rendered
    assert '<div class="callout callout-note">' in html
    assert '<div class="callout callout-warning">' in html
    assert "<strong>Data caveat</strong>" in html
    assert ".callout-warning {" in html


def test_same_inputs_at_another_path_give_identical_bytes(
    rendered: tuple[Path, RenderResult, str],
    tmp_path: Path,
    figure_png: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, _, _ = rendered
    other = make_project(tmp_path / "elsewhere" / "copy", figure_png)
    status = main(
        [
            "--project", str(other / "manuscript"),
            "--values", str(other / "results" / "values.yml"),
            "--outdir", str(other / "results" / "manuscript"),
            "--engine", "pandoc",
        ]
    )  # fmt: skip
    assert status == 0
    assert "render engine: pandoc" in capsys.readouterr().out
    for name in OUTPUTS:
        a = (first / "results" / "manuscript" / name).read_bytes()
        b = (other / "results" / "manuscript" / name).read_bytes()
        assert a == b, name
    with zipfile.ZipFile(other / "results" / "manuscript" / "manuscript.docx") as archive:
        dates = {info.date_time for info in archive.infolist()}
    assert dates == {(2022, 1, 1, 0, 0, 0)}  # SOURCE_DATE_EPOCH, not the time of the render


def test_missing_value_names_key_and_file(tmp_path: Path, figure_png: Path) -> None:
    root = make_project(tmp_path / "p", figure_png)
    edit(root / "results" / "tables" / "table1.md", "sample.n_cases", "sample.n_missing")
    with pytest.raises(RenderError, match=r"sample\.n_missing") as err:
        run(root)
    assert "table1.md:3" in str(err.value)
    assert not (root / "results" / "manuscript").exists()


def test_the_values_file_sets_the_title_as_a_metadata_file_does(tmp_path: Path,
                                                               figure_png: Path) -> None:
    """Quarto merges metadata-files (values.yml) into the document: with no title of its
    own the document takes the values file's; a title in the front matter wins."""
    root = make_project(tmp_path / "p", figure_png)
    edit(root / "_quarto.yml", 'title: "Fixture manuscript for the render engine"\n', "")
    edit(root / "results" / "values.yml", "seed:", "title: From the values file\nseed:")
    run(root)
    html = (root / "results" / "manuscript" / "manuscript.html").read_text(encoding="utf-8")
    assert "<title>From the values file</title>" in html
    edit(root / "manuscript" / "manuscript.qmd", "lang: en", "lang: en\ntitle: From the front")
    run(root)
    html = (root / "results" / "manuscript" / "manuscript.html").read_text(encoding="utf-8")
    assert "<title>From the front</title>" in html


def test_var_reads_project_variables_as_quarto_does(tmp_path: Path, figure_png: Path) -> None:
    """The defect this replaced: the fallback read {{< var >}} from values.yml, where Quarto
    finds nothing (it reads _variables.yml) and prints ?var:key."""
    root = make_project(tmp_path / "p", figure_png)
    (root / "_variables.yml").write_text("other: 1\n", encoding="utf-8")
    record_engine(root / "results" / "values.yml", detect("pandoc").label)
    edit(root / "results" / "values.yml", "seed:", "arrest:\n  share: 99%\nseed:")
    with pytest.raises(RenderError, match=r"manuscript\.qmd:11: shortcode names a missing var "
                       r"value 'arrest\.share' \(not in _variables\.yml\)"):
        run(root)


def test_broken_crossref_fails(tmp_path: Path, figure_png: Path) -> None:
    root = make_project(tmp_path / "p", figure_png)
    edit(root / "manuscript" / "manuscript.qmd", "(see @fig-arrest", "(see @fig-nothere")
    with pytest.raises(RenderError, match="unresolved cross-reference @fig-nothere"):
        run(root)


def test_missing_figure_fails_with_path(tmp_path: Path, figure_png: Path) -> None:
    root = make_project(tmp_path / "p", figure_png)
    (root / "results" / "figures" / "arrest.png").unlink()
    with pytest.raises(RenderError, match=r"figure file not found: \.\./results/figures/arrest"):
        run(root)


def test_missing_include_fails_with_path(tmp_path: Path, figure_png: Path) -> None:
    root = make_project(tmp_path / "p", figure_png)
    (root / "manuscript" / "sections" / "notice.md").unlink()
    with pytest.raises(RenderError, match="included file not found: sections/notice.md"):
        run(root)


def test_unknown_citation_fails(tmp_path: Path, figure_png: Path) -> None:
    root = make_project(tmp_path / "p", figure_png)
    edit(root / "manuscript" / "manuscript.qmd", "[@smith2020]", "[@nobody1999]")
    with pytest.raises(RenderError, match="nobody1999"):
        run(root)


def test_failure_leaves_existing_outputs_untouched(tmp_path: Path, figure_png: Path) -> None:
    root = make_project(tmp_path / "p", figure_png)
    outdir = root / "results" / "manuscript"
    outdir.mkdir()
    (outdir / "manuscript.html").write_text("old")
    edit(root / "manuscript" / "manuscript.qmd", "@tbl-counts;", "@tbl-gone;")
    with pytest.raises(RenderError):
        run(root)
    assert sorted(p.name for p in outdir.iterdir()) == ["manuscript.html"]
    assert (outdir / "manuscript.html").read_text() == "old"


def test_cli_reports_error_with_exit_code_2(
    tmp_path: Path, figure_png: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path / "p", figure_png)
    edit(root / "results" / "values.yml", "seed: 20240601\n", "")
    status = main(
        ["--project", str(root / "manuscript"), "--values", str(root / "results" / "values.yml"),
         "--outdir", str(tmp_path / "out"), "--engine", "pandoc"]
    )  # fmt: skip
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("error: render: ") and "'seed'" in err and "notice.md" in err


def test_engine_selection_without_quarto(
    tmp_path: Path, figure_png: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("analysis.render.tools.shutil.which", lambda _name: None)
    root = make_project(tmp_path / "p", figure_png)
    with pytest.raises(RenderError, match="quarto command is not on PATH"):
        render_manuscript(root / "manuscript", tmp_path / "o", root / "results" / "values.yml",
                          engine="quarto")  # fmt: skip
    with pytest.raises(RenderError, match="unknown engine"):
        render_manuscript(root / "manuscript", tmp_path / "o", root / "results" / "values.yml",
                          engine="latex")  # fmt: skip
    assert not (tmp_path / "o").exists()


def test_values_must_name_the_engine_that_renders(tmp_path: Path, figure_png: Path) -> None:
    root = make_project(tmp_path / "p", figure_png)
    values = root / "results" / "values.yml"
    record_engine(values, "quarto 1.7.34 (pandoc 3.6.1, typst 0.13.1)")
    with pytest.raises(RenderError, match=r"values\.yml says the paper is rendered with "
                       r"'quarto 1\.7\.34.*but this render would use 'pandoc "):
        run(root)
    data = yaml.safe_load(values.read_text(encoding="utf-8"))
    del data["render_engine"]
    values.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(RenderError, match="values.yml has no render_engine"):
        run(root)
    assert not (root / "results" / "manuscript").exists()


@pytest.mark.parametrize("text", ["see ??", "{{< meta x >}}", "as in @fig-a", "?meta:x",
                                  "see ?@fig-gone", "see ?@sec-gone"])
def test_leftover_check(text: str) -> None:
    with pytest.raises(RenderError, match="unresolved"):
        render._check_leftovers(f"Some text, {text} and more.", "HTML output")


def test_citation_check_finds_what_citeproc_could_not_resolve() -> None:
    render._check_citations("as shown (Smith & Okafor, 2020).", ["smith2020"], "HTML output")
    with pytest.raises(RenderError, match="unresolved citation.*@nobody1999.*DOCX output"):
        render._check_citations("as shown (nobody1999?).", ["smith2020", "nobody1999"],
                                "DOCX output")


def test_citation_keys_are_the_cited_keys_only(tmp_path: Path, figure_png: Path) -> None:
    root = make_project(tmp_path / "p", figure_png)
    edit(root / "manuscript" / "manuscript.qmd", "# Results",
         "Write to someone@example.org.\n\n# Results")
    with render.staged_project(root / "manuscript") as staged:
        project = render._Project(staged, root / "results" / "values.yml", {})
        project.expand()
        assert project.citation_keys() == ["jones2019", "smith2020"]


# A stand-in for the quarto command: answers the version questions, records its
# arguments, writes what real Quarto writes beside the source (manuscript.typ and
# manuscript_files/) and the three outputs into --output-dir/manuscript/, or fails
# the way a failed Typst compile does: hundreds of lines of settings, the error last.
FAKE_QUARTO = """\
#!{python}
import pathlib, sys
args = sys.argv[1:]
if args == ["--version"]:
    print("9.9.9")
    sys.exit(0)
if args[1:] == ["--version"]:
    print({{"pandoc": "pandoc 3.6.1", "typst": "typst 0.13.1"}}[args[0]], file=sys.stderr)
    sys.exit(0)
with open({log!r}, "a") as fh:
    fh.write(repr(args) + "\\n")
source = pathlib.Path(args[1])
(source.parent / "manuscript.typ").write_text({typ!r})
(source.parent / "manuscript_files").mkdir()
if {fail!r}:
    for i in range(500):
        print(f"  setting-{{i}}: value")
    print("[typst]: Compiling manuscript.typ to manuscript.pdf...error: file not found "
          "(searched at " + str(pathlib.Path.cwd()) + "/results/figures/gone.png)")
    sys.exit(1)
out = pathlib.Path(args[args.index("--output-dir") + 1]) / source.parent
out.mkdir(parents=True, exist_ok=True)
(out / "manuscript.html").write_text({html!r})
(out / "manuscript.pdf").write_bytes(b"%PDF-fake")
import shutil
shutil.copy({docx!r}, out / "manuscript.docx")
"""


@pytest.fixture()
def fake_quarto(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rendered: tuple[Path, RenderResult, str]
):
    """Put a fake ``quarto`` first on PATH; call it with the HTML and Typst text to write."""
    import os
    import sys

    bindir, log = tmp_path / "bin", tmp_path / "calls.log"
    bindir.mkdir()
    docx = rendered[0] / "results" / "manuscript" / "manuscript.docx"

    def install(html: str, typ: str = "= Title", fail: bool = False) -> Path:
        fake = bindir / "quarto"
        fake.write_text(FAKE_QUARTO.format(python=sys.executable, log=str(log), html=html,
                                           typ=typ, fail=fail, docx=str(docx)))
        fake.chmod(0o755)
        monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
        return log

    return install


FAKE_LABEL = "quarto 9.9.9 (pandoc 3.6.1, typst 0.13.1)"


def test_quarto_engine_is_used_when_on_path(
    tmp_path: Path, figure_png: Path, fake_quarto, rendered: tuple[Path, RenderResult, str]
) -> None:
    html = "<html><body><p>Rendered with quarto.</p></body></html>"
    log = fake_quarto(html)
    root = make_project(tmp_path / "p", figure_png, engine="quarto")
    assert detect("auto").label == FAKE_LABEL
    outdir = tmp_path / "out"
    result = render_manuscript(root / "manuscript", outdir, root / "results" / "values.yml",
                               engine="auto", extra_meta={"seed_note": "x"})
    assert result.engine == FAKE_LABEL
    assert (outdir / "manuscript.html").read_text() == html
    assert (outdir / "manuscript.pdf").read_bytes() == b"%PDF-fake"
    assert (outdir / "manuscript.docx").read_bytes() == (
        rendered[0] / "results" / "manuscript" / "manuscript.docx").read_bytes()
    assert sorted(p.name for p in outdir.iterdir()) == OUTPUTS
    (call,) = log.read_text().splitlines()
    assert call.startswith("['render', 'manuscript/manuscript.qmd', '--to', 'all', ")
    assert "'-M', 'keep-typ:true'" in call and "'-M', 'seed_note:x'" in call
    assert "render_engine" not in call  # values.yml says it
    assert f"'--metadata-file', '{(root / 'results' / 'values.yml').resolve()}'" in call
    # Quarto ran in a staged copy: its intermediates never reach the sources.
    assert sorted(p.name for p in (root / "manuscript").iterdir()) == [
        "apa.csl", "manuscript.qmd", "references.bib", "sections"]
    assert not (root / ".quarto").exists()


@pytest.mark.parametrize("where,text", [
    ("html", "<p>See ?@fig-arrest.</p>"),
    ("html", "<p>Rendered with ?meta:render_engine.</p>"),
    ("html", "<p>As shown <span class='citation'>(<strong>smith2020?</strong>)</span>.</p>"),
    ("typst", "Written by #emph[?meta:render_engine]"),
])
def test_quarto_output_is_checked_for_leftovers(
    tmp_path: Path, figure_png: Path, fake_quarto, where: str, text: str
) -> None:
    html = f"<html><body>{text}</body></html>" if where == "html" else "<p>fine</p>"
    fake_quarto(html, typ=text if where == "typst" else "= Title")
    root = make_project(tmp_path / "p", figure_png, engine="quarto")
    outdir = tmp_path / "out"
    what = "HTML output" if where == "html" else "Typst source"
    with pytest.raises(RenderError, match=f"unresolved .* in the {what}"):
        render_manuscript(root / "manuscript", outdir, root / "results" / "values.yml")
    assert not outdir.exists() or not any(outdir.iterdir())
    assert "manuscript.typ" not in [p.name for p in (root / "manuscript").iterdir()]


def test_a_failed_quarto_render_puts_the_error_first(
    tmp_path: Path, figure_png: Path, fake_quarto, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_quarto("", fail=True)
    root = make_project(tmp_path / "p", figure_png, engine="quarto")
    status = main(["--project", str(root / "manuscript"),
                   "--values", str(root / "results" / "values.yml"),
                   "--outdir", str(tmp_path / "out")])
    assert status == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == (
        "error: render: quarto render failed (exit 1): [typst]: Compiling manuscript.typ to "
        f"manuscript.pdf...error: file not found (searched at {root.resolve()}"
        "/results/figures/gone.png)")  # the real project named, not the staged copy
    assert lines[1].startswith("--- quarto's output (501 lines; the error above is line 501)")
    assert len(lines) == 503
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in (root / "manuscript").iterdir()) == [
        "apa.csl", "manuscript.qmd", "references.bib", "sections"]


def test_quarto_failure_summary_takes_the_first_error_line() -> None:
    output = "settings\n  title: Error bars\nERROR: Unknown format x\nstack\n"
    message = render.quarto_failure(1, output)
    assert message.splitlines()[0] == "quarto render failed (exit 1): ERROR: Unknown format x"
    assert render.quarto_failure(1, "a\nlast words\n\n").splitlines()[0].endswith("last words")


def test_nested_includes_resolve_from_the_main_document(tmp_path: Path, figure_png: Path) -> None:
    """As in Quarto: a path in an included file is relative to the main document's folder."""
    from analysis.render.sources import manuscript_files

    root = make_project(tmp_path / "p", figure_png)
    run(root)
    text = (root / "results" / "manuscript" / "manuscript.html").read_text(encoding="utf-8")
    assert "A nested include, named relative to the main document" in text
    files = manuscript_files(root / "manuscript", root)
    assert "manuscript/sections/aside.md" in files.sources
    # Named relative to the including file instead, it is not found, with the path given.
    edit(root / "manuscript" / "sections" / "notice.md", "sections/aside.md", "aside.md")
    with pytest.raises(RenderError, match="included file not found: aside.md"):
        run(root)
