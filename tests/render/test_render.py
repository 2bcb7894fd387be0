"""Tests for the manuscript render engine (Pandoc + Typst fallback)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis.cli import main as cli_main
from analysis.render import engine as render
from analysis.render.engine import RenderError, RenderResult, render_manuscript


def main(argv: list[str]) -> int:
    """``python -m analysis render ...``."""
    return cli_main(["render", *argv])

REPO = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "render"
CSL = REPO / "manuscript" / "apa.csl"


@pytest.fixture(scope="module")
def figure_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small PNG made once with matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = tmp_path_factory.mktemp("png") / "arrest.png"
    fig, ax = plt.subplots(figsize=(4, 2.5))
    ax.plot([0, 1, 2, 3], [0.1, 0.3, 0.5, 0.6])
    ax.set_xlabel("Earlier calls")
    fig.savefig(path, dpi=60, metadata={"Software": None})
    plt.close(fig)
    return path


def make_project(dest: Path, figure_png: Path) -> Path:
    """Copy the fixture project to ``dest`` with the CSL and the figure; return ``dest``."""
    shutil.copytree(FIXTURE, dest)
    shutil.copy(CSL, dest / "manuscript" / "apa.csl")
    (dest / "results" / "figures").mkdir(parents=True)
    shutil.copy(figure_png, dest / "results" / "figures" / "arrest.png")
    return dest


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


def test_fallback_writes_html_and_pdf(rendered: tuple[Path, RenderResult, str]) -> None:
    root, result, html = rendered
    outdir = root / "results" / "manuscript"
    assert result.engine.startswith("pandoc ") and "typst" in result.engine
    assert result.outputs == [outdir / "manuscript.html", outdir / "manuscript.pdf"]
    assert html.startswith("<!DOCTYPE html>")
    assert (outdir / "manuscript.pdf").read_bytes().startswith(b"%PDF-")
    assert sorted(p.name for p in outdir.iterdir()) == ["manuscript.html", "manuscript.pdf"]


def test_html_is_self_contained_and_has_no_paths(
    rendered: tuple[Path, RenderResult, str],
) -> None:
    root, _, html = rendered
    assert 'src="data:image/png;base64,' in html
    assert "../results/figures" not in html
    for name in ("manuscript.html", "manuscript.pdf"):
        data = (root / "results" / "manuscript" / name).read_bytes()
        assert str(root).encode() not in data
        assert str(root.parent).encode() not in data


def test_values_and_extra_meta_reach_the_text(rendered: tuple[Path, RenderResult, str]) -> None:
    _, result, html = rendered
    assert "We analysed 47 synthetic cases." in html  # meta in front matter
    assert "Arrest followed in 38.3% of calls" in html  # var
    assert "synthetic (seed 20240601)" in html  # shortcode inside an include
    assert '<td style="text-align: right;">47</td>' in html  # shortcode in included table
    assert f"Rendered with {result.engine}." in html  # render_engine set automatically


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
    for name in ("manuscript.html", "manuscript.pdf"):
        a = (first / "results" / "manuscript" / name).read_bytes()
        b = (other / "results" / "manuscript" / name).read_bytes()
        assert a == b, name


def test_missing_value_names_key_and_file(tmp_path: Path, figure_png: Path) -> None:
    root = make_project(tmp_path / "p", figure_png)
    edit(root / "results" / "tables" / "table1.md", "sample.n_cases", "sample.n_missing")
    with pytest.raises(RenderError, match=r"sample\.n_missing") as err:
        run(root)
    assert "table1.md:3" in str(err.value)
    assert not (root / "results" / "manuscript").exists()


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
    monkeypatch.setattr(render.shutil, "which", lambda _name: None)
    root = make_project(tmp_path / "p", figure_png)
    with pytest.raises(RenderError, match="quarto command is not on PATH"):
        render_manuscript(root / "manuscript", tmp_path / "o", root / "results" / "values.yml",
                          engine="quarto")  # fmt: skip
    with pytest.raises(RenderError, match="unknown engine"):
        render_manuscript(root / "manuscript", tmp_path / "o", root / "results" / "values.yml",
                          engine="latex")  # fmt: skip


@pytest.mark.parametrize("text", ["see ??", "{{< meta x >}}", "as in @fig-a", "?meta:x"])
def test_leftover_check(text: str) -> None:
    with pytest.raises(RenderError, match="unresolved"):
        render._check_leftovers(f"Some text, {text} and more.", "HTML output")


FAKE_QUARTO = """\
#!{python}
import pathlib, sys
args = sys.argv[1:]
if args == ["--version"]:
    print("9.9.9")
    sys.exit(0)
with open({log!r}, "a") as fh:
    fh.write(repr(args) + "\\n")
out = pathlib.Path(args[args.index("--output-dir") + 1])
out.mkdir(parents=True, exist_ok=True)
if args[args.index("--to") + 1] == "html":
    (out / "manuscript.html").write_text({html!r})
else:
    (out / "manuscript.pdf").write_bytes(b"%PDF-fake")
"""


@pytest.mark.parametrize("body", ["Rendered with quarto.", "See ?@fig-arrest."])
def test_quarto_engine_is_used_when_on_path(
    tmp_path: Path, figure_png: Path, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    import os
    import sys

    bindir, log = tmp_path / "bin", tmp_path / "calls.log"
    bindir.mkdir()
    html = f"<html><body><p>{body}</p></body></html>"
    fake = bindir / "quarto"
    fake.write_text(FAKE_QUARTO.format(python=sys.executable, log=str(log), html=html))
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    root = make_project(tmp_path / "p", figure_png)
    outdir = tmp_path / "out"
    args = (root / "manuscript", outdir, root / "results" / "values.yml")
    if "?@" in body:
        with pytest.raises(RenderError, match="@fig-"):
            render_manuscript(*args, engine="auto")
        assert not outdir.exists() or not any(outdir.iterdir())
        return
    result = render_manuscript(*args, engine="auto", extra_meta={"seed_note": "x"})
    assert result.engine == "quarto 9.9.9"
    assert (outdir / "manuscript.html").read_text() == html
    assert (outdir / "manuscript.pdf").read_bytes() == b"%PDF-fake"
    assert sorted(p.name for p in outdir.iterdir()) == ["manuscript.html", "manuscript.pdf"]
    calls = log.read_text()
    assert "'--to', 'html'" in calls and "'--to', 'typst'" in calls
    assert "'-M', 'render_engine:quarto 9.9.9'" in calls and "'-M', 'seed_note:x'" in calls
    assert f"'--metadata-file', '{(root / 'results' / 'values.yml').resolve()}'" in calls
