"""Figures (issue 6): every figure is drawn, valid, byte-stable and follows its data.

The inputs are built once per session in a temporary directory by the same CLI
steps the workflow runs (with few robustness replications). The workflow DAG
figure reads the real repository's rule graph.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from analysis import cli
from analysis.config import load_config
from analysis.dependencies import code_files
from analysis.io import read_csv, write_csv
from analysis.paper.figures import FIGURES, OUTPUTS, build
from analysis.paper.figures.style import (
    DPI,
    WIDTH,
    figure_markdown,
    figure_title,
    markdown_text,
    sidecar_text,
)
from analysis.study.datapackage import write_package
from analysis.study.generate import generate_study
from analysis.study.vocabulary import QUANT_TABLES, ROBUSTNESS_SCENARIOS
from tests.conftest import write_config

ROOT = Path(__file__).resolve().parents[2]
NAMES = list(FIGURES)


@pytest.fixture(scope="session")
def inputs(tmp_path_factory) -> tuple[Path, Path]:
    """(results, data): a generated study and every analysis output the figures read."""
    base = tmp_path_factory.mktemp("figure-inputs")
    results, data = base / "results", base / "results" / "data" / "synthetic"
    config = load_config()
    write_package(generate_study(config).tables, data, config)
    fast = write_config(base / "fast.yaml", robustness_replications=10, robustness_shards=1)
    conf = ["--configfile", fast]
    steps = [
        ["describe", *conf, "--data", data, "--outdir", results / "tables"],
        ["infer", *conf, "--data", data, "--outdir", results / "inference"],
        ["qualitative", *conf, "--data", data, "--outdir", results / "qualitative"],
        ["claims", *conf, "--data", data, "--output", results / "claims.json"],
        *(["robustness-shard", *conf, "--scenario", scenario, "--shard", "0",
           "--output", base / f"{scenario}-0.csv"] for scenario in ROBUSTNESS_SCENARIOS),
        ["robustness-merge", "--inputs", *(base / f"{s}-0.csv" for s in ROBUSTNESS_SCENARIOS),
         "--replications", results / "robustness" / "replications.csv",
         "--summary", results / "robustness" / "summary.csv"],
    ]
    for step in steps:
        assert cli.main([str(arg) for arg in step]) == 0, step
    return results, data


def build_all(results: Path, data: Path, outdir: Path) -> dict[str, list[Path]]:
    # The DAG figure asks Snakemake for the rule graph of the repository it runs in.
    with contextlib.chdir(ROOT):
        return {name: build(name, results, data, outdir, manuscript=outdir.parent / "manuscript")
                for name in NAMES}


@pytest.fixture(scope="session")
def figures(inputs, tmp_path_factory) -> Path:
    outdir = tmp_path_factory.mktemp("run1") / "figures"
    written = build_all(*inputs, outdir)
    for name, paths in written.items():
        assert [p.name for p in paths] == [f"{name}.{ext}" for ext in OUTPUTS]
    return outdir


@pytest.mark.parametrize("name", NAMES)
def test_png_is_a_page_wide_300_dpi_image(figures, name):
    with Image.open(figures / f"{name}.png") as image:
        image.verify()
    with Image.open(figures / f"{name}.png") as image:
        width, height = image.size
        assert width == round(WIDTH * DPI) == 1950
        assert 300 <= height <= 3000
        assert all(abs(d - DPI) < 1 for d in image.info["dpi"])
        assert "Software" not in image.info          # no matplotlib version stamp
        assert image.info["Description"]             # the alt text travels with the image


@pytest.mark.parametrize("name", NAMES)
def test_svg_parses_and_carries_title_and_description(figures, name):
    text = (figures / f"{name}.svg").read_text(encoding="utf-8")
    root = ET.fromstring(text)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert root.get("role") == "img"
    # one readable title: the caption's first sentence (up to a colon), never the file stem
    assert len(re.findall(r"<title[\s>]", text)) == 1
    caption = yaml.safe_load((figures / f"{name}.yml").read_text(encoding="utf-8"))["caption"]
    title = root.find(f"{ns}title").text
    assert title == figure_title(caption) and title != name
    assert 10 < len(title) <= 200 and caption.startswith(title.split(" ")[0])
    assert root.find(f"{ns}desc").text.strip()
    assert "<dc:date>" not in text and "Matplotlib v" not in text


@pytest.mark.parametrize("name", NAMES)
def test_sidecar_has_caption_and_alt_text(figures, name):
    sidecar = yaml.safe_load((figures / f"{name}.yml").read_text(encoding="utf-8"))
    assert set(sidecar) == {"caption", "alt", "source"}
    for key in ("caption", "alt"):
        assert len(sidecar[key].split()) >= 20, key          # sentences, not a label
        assert sidecar[key].endswith("."), key
    assert sidecar["source"] == f"{FIGURES[name].module_path}:{name}"
    assert (ROOT / FIGURES[name].module_path).is_file()
    # The report caption (workflow/report/figure.rst) includes the text between these.
    text = (figures / f"{name}.yml").read_text(encoding="utf-8")
    assert text.count("caption: >-\n") == 1 and text.count("\nalt: >-\n") == 1


@pytest.mark.parametrize("name", NAMES)
def test_markdown_block_is_a_quarto_figure(figures, name):
    text = (figures / f"{name}.md").read_text(encoding="utf-8")
    label = "fig-" + name.replace("_", "-")
    assert text.startswith("![") and text.endswith("\n") and text.count("\n") == 1
    assert f"](../figures/{name}.png){{#{label} fig-alt=\"" in text


def test_report_caption_reads_the_sidecar():
    rst = (ROOT / "workflow" / "report" / "figure.rst").read_text(encoding="utf-8")
    assert ".. include:: {{ snakemake.output.yml }}" in rst
    assert ":start-after: caption: >-" in rst and ":end-before: alt: >-" in rst


def test_second_run_gives_identical_bytes(inputs, figures, tmp_path):
    again = tmp_path / "figures"
    build_all(*inputs, again)
    for name in NAMES:
        for ext in OUTPUTS:
            first = (figures / f"{name}.{ext}").read_bytes()
            assert (again / f"{name}.{ext}").read_bytes() == first, f"{name}.{ext}"


def test_figure_follows_its_data(inputs, figures, tmp_path):
    results, data = inputs
    changed = tmp_path / "results"
    shutil.copytree(results, changed, ignore=shutil.ignore_patterns("data"))
    table = read_csv(changed / "tables" / "violence_forms.csv")
    table.loc[0, ["successes", "share", "ci_low", "ci_high"]] = [6, 0.25, 0.12, 0.45]
    write_csv(changed / "tables" / "violence_forms.csv", table)
    out = tmp_path / "figures"
    build("violence_strategies", changed, data, out)
    before = figures / "violence_strategies"
    assert (out / "violence_strategies.png").read_bytes() != before.with_suffix(".png").read_bytes()
    alt = yaml.safe_load((out / "violence_strategies.yml").read_text())["alt"]
    assert "6 (25%)" in alt and alt != yaml.safe_load(before.with_suffix(".yml").read_text())["alt"]
    # A figure that does not read the table is unchanged.
    build("race_forest", changed, data, out)
    assert (out / "race_forest.png").read_bytes() == (figures / "race_forest.png").read_bytes()


def test_each_job_runs_its_own_module_only():
    modules = {spec.module_path for spec in FIGURES.values()}
    for spec in FIGURES.values():
        code = code_files("analysis.__main__", "analysis.cli.figure", spec.module_name)
        assert spec.module_path in code and "analysis/paper/figures/style.py" in code
        assert not (modules - {spec.module_path}) & set(code), spec.name
        assert all((ROOT / p).exists() for p in code)
        assert not any(p.startswith("analysis/") for p in spec.inputs("results", "data"))


def test_arrest_curve_matches_statsmodels(inputs):
    """The fitted curve and band against statsmodels' GEE (an independent fit)."""
    from scipy import stats
    from scipy.special import expit
    from statsmodels.genmod import families
    from statsmodels.genmod.cov_struct import Exchangeable
    from statsmodels.genmod.generalized_estimating_equations import GEE

    from analysis.paper.figures.arrest import arrest_curves, arrest_fit
    from analysis.study.arrays import StudyArrays
    from analysis.study.datapackage import read_study

    results, data = inputs
    curves = arrest_curves(results, data)
    predictors = arrest_fit(results)["terms"]
    study = StudyArrays.from_tables(read_study(data, QUANT_TABLES))
    X = np.column_stack([np.ones(len(study.cluster))] + [study.predictors[p] for p in predictors])
    fit = GEE(study.outcomes["arrest"], X, groups=study.cluster, family=families.Binomial(),
              cov_struct=Exchangeable()).fit()
    groups, k = len(np.unique(study.cluster)), X.shape[1]
    cov = np.asarray(fit.cov_params()) * groups / (groups - k)
    crit = stats.t.ppf(0.975, groups - k)
    for injury in (0, 1):
        values = {"visible_injury": injury, "prior_calls": curves.calls, **curves.held}
        design = np.column_stack([np.ones_like(curves.calls)]
                                 + [np.broadcast_to(values[p], curves.calls.shape)
                                    for p in predictors])
        eta = design @ np.asarray(fit.params)
        se = np.sqrt(np.einsum("ij,jk,ik->i", design, cov, design))
        np.testing.assert_allclose(curves.fitted[injury], expit(eta), atol=1e-4)
        np.testing.assert_allclose(curves.low[injury], expit(eta - crit * se), atol=2e-3)
        np.testing.assert_allclose(curves.high[injury], expit(eta + crit * se), atol=2e-3)
        assert np.all(curves.low[injury] <= curves.fitted[injury])
        assert np.all(curves.fitted[injury] <= curves.high[injury])
    assert curves.held["black"] == pytest.approx(float(np.mean(study.predictors["black"])))


def test_rule_graph_comes_from_snakemake():
    from analysis.paper.figures.dag import layered_layout, rule_graph

    try:
        graph = rule_graph(ROOT)
    except RuntimeError as error:
        pytest.skip(f"snakemake --rulegraph is not available here: {error}")
    assert {"generate", "describe", "figure", "all"} <= set(graph.rules)
    assert ("generate", "describe") in graph.edges
    assert all(graph.files.get(rule) for rule in graph.rules)
    layout = layered_layout(graph)
    for a, b in graph.edges:
        assert layout.levels[a] < layout.levels[b]
    placed = [n for column in layout.order for n in column if n in graph.rules]
    assert sorted(placed) == sorted(graph.rules)


def test_dot_parsing_is_canonical():
    from analysis.paper.figures.dag import parse_dot

    dot = ('digraph snakemake_dag {\n\t0[label = "all", color = "0 0 0"];\n'
           '\t1[label = "b", color = "0 0 0"];\n\t2[label = "a"];\n'
           '\t2 -> 1\n\t1 -> 0\n\t2 -> 0\n}')
    rules, edges = parse_dot(dot)
    assert rules == ("a", "all", "b")
    assert edges == (("a", "all"), ("a", "b"), ("b", "all"))
    with pytest.raises(ValueError, match="no nodes"):
        parse_dot("digraph {}")


def test_markdown_and_sidecar_text_are_literal():
    assert markdown_text("a *b* [c] @d -- $e$") == r"a \*b\* \[c\] \@d -\- \$e\$"
    block = figure_markdown("x_y", "../r/x_y.png", "Caption.", 'Alt "quoted".', "m.py")
    assert block == ('![Caption. Drawn by `m.py`.](../r/x_y.png)'
                     '{#fig-x-y fig-alt="Alt \\"quoted\\"."}\n')
    text = sidecar_text("A caption: with a colon, 95% and #hash.", "Alt text.", "m.py:x")
    assert yaml.safe_load(text)["caption"] == "A caption: with a colon, 95% and #hash."
    with pytest.raises(ValueError, match="alt is empty"):
        sidecar_text("Caption.", " ", "m.py:x")


def test_cli_reports_bad_input_with_status_2(inputs, tmp_path, capsys):
    results, data = inputs
    assert cli.main(["figure", "no_such_figure", "--outdir", str(tmp_path)]) == 2
    assert "error: figure: unknown figure" in capsys.readouterr().err
    assert cli.main(["figure", "robustness", "--results", str(tmp_path / "missing"),
                         "--data", str(data), "--outdir", str(tmp_path)]) == 2
    assert "error: figure: robustness: input not found" in capsys.readouterr().err
    broken = tmp_path / "results"
    (broken / "tables").mkdir(parents=True)
    (broken / "tables" / "initiation_patterns.csv").write_text("group,share\nAll,1\n")
    assert cli.main(["figure", "initiation_by_race", "--results", str(broken), "--data", str(data),
                         "--outdir", str(tmp_path)]) == 2
    assert "missing column" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.png"))
