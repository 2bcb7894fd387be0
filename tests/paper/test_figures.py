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
from analysis.study.vocabulary import QUANT_TABLES, VERDICTS
from tests.conftest import write_config

SCENARIOS = load_config()["robustness_scenarios"]

ROOT = Path(__file__).resolve().parents[2]
NAMES = list(FIGURES)


@pytest.fixture(scope="session")
def inputs(tmp_path_factory) -> tuple[Path, Path]:
    """(results, data): a generated study and every analysis output the figures read."""
    base = tmp_path_factory.mktemp("figure-inputs")
    results, data = base / "results", base / "results" / "data" / "synthetic"
    config = load_config()
    write_package(generate_study(config).tables, data, config)
    simulation = {**config["simulation"], "replications": 20, "shards": 1,
                  "truth_participants": 2000}
    fast = write_config(base / "fast.yaml", robustness_replications=10, robustness_shards=1,
                        simulation=simulation)
    conf = ["--configfile", fast]
    sizes = simulation["n_participants"]
    steps = [
        ["describe", *conf, "--data", data, "--outdir", results / "tables"],
        ["infer", *conf, "--data", data, "--outdir", results / "inference"],
        ["qualitative", *conf, "--data", data, "--outdir", results / "qualitative"],
        ["claims", *conf, "--data", data, "--output", results / "claims.json"],
        *(["robustness-shard", *conf, "--scenario", scenario, "--shard", "0",
           "--output", base / f"{scenario}-0.csv"] for scenario in SCENARIOS),
        ["robustness-merge", *conf, "--inputs", *(base / f"{s}-0.csv" for s in SCENARIOS),
         "--replications", results / "robustness" / "replications.csv",
         "--summary", results / "robustness" / "summary.csv",
         "--scenarios", results / "robustness" / "scenarios.json"],
        *(["simulation-shard", *conf, "--n", n, "--shard", "0", "--output", base / f"n{n}.pkl"]
          for n in sizes),
        ["simulation-truth", *conf, "--output", results / "simulation" / "truth.csv"],
        ["simulation-merge", *conf, "--inputs", *(base / f"n{n}.pkl" for n in sizes),
         "--truth", results / "simulation" / "truth.csv", "--outdir", results / "simulation"],
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
    """The fitted curve and band against statsmodels' GEE (an independent fit).

    The figure averages its predictions over the sample's composition: here
    the average runs over the observed contacts, each with its own value of
    the other covariates, and the band's standard error comes from a
    numerical gradient of that average, not the figure's analytic one.
    """
    from scipy import stats
    from scipy.special import expit
    from statsmodels.genmod import families
    from statsmodels.genmod.cov_struct import Exchangeable
    from statsmodels.genmod.generalized_estimating_equations import GEE

    from analysis.paper.figures.arrest import SHOWN, arrest_curves, arrest_fit
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
    held = [i + 1 for i, p in enumerate(predictors) if p not in SHOWN]
    assert [predictors[i - 1] for i in held] == list(curves.composition) == ["black"]

    def averaged(beta, injury):
        """Mean prediction over the observed contacts at each grid point."""
        out = []
        for calls in curves.calls:
            design = X.copy()
            design[:, 1 + predictors.index("visible_injury")] = injury
            design[:, 1 + predictors.index("prior_calls")] = calls
            out.append(np.mean(expit(design @ beta)))
        return np.array(out)

    beta = np.asarray(fit.params)
    for injury in (0, 1):
        mean = averaged(beta, injury)
        step = 1e-6
        gradient = np.column_stack([(averaged(beta + step * e, injury)
                                     - averaged(beta - step * e, injury)) / (2 * step)
                                    for e in np.eye(len(beta))])
        se = np.sqrt(np.einsum("ij,jk,ik->i", gradient, cov, gradient)) / (mean * (1 - mean))
        eta = np.log(mean / (1 - mean))
        np.testing.assert_allclose(curves.fitted[injury], mean, atol=1e-4)
        np.testing.assert_allclose(curves.low[injury], expit(eta - crit * se), atol=2e-3)
        np.testing.assert_allclose(curves.high[injury], expit(eta + crit * se), atol=2e-3)
        assert np.all((0 < curves.low[injury]) & (curves.low[injury] <= curves.fitted[injury]))
        assert np.all((curves.fitted[injury] <= curves.high[injury]) & (curves.high[injury] < 1))
    assert curves.composition["black"] == pytest.approx(float(np.mean(study.predictors["black"])))


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


def test_a_failed_rule_graph_names_the_whole_error_after_one_retry(tmp_path):
    """The nested snakemake's own message reaches the error (--quiet once hid it)."""
    from analysis.paper.figures import dag

    (tmp_path / "Snakefile").write_text('rule all:\n    input: "x"\nraise ValueError("a '
                                        'workflow that cannot be read")\n')
    dag._CACHE.clear()
    with pytest.raises(RuntimeError) as error:
        dag.rule_graph(tmp_path, timeout=120)
    message = str(error.value)
    assert "failed 2 times" in message and message.count("exit status 1") == 2
    assert "a workflow that cannot be read" in message
    assert "--quiet" not in message and "--workflow-profile none" in message
    # The nested run worked in a private directory: nothing written beside the Snakefile.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Snakefile"]


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


# --- one meaning per colour ------------------------------------------------------------------

def test_no_colour_carries_two_meanings():
    from analysis.palette import (
        ABSENT,
        INITIATOR_COLOURS,
        INJURY_COLOURS,
        MAGNITUDE_GREYS,
        NEUTRAL,
        NEUTRAL_FILL,
        OKABE_ITO,
        VERDICT_COLOURS,
        colour_name,
    )

    seen = {}
    semantic = {"initiator": INITIATOR_COLOURS, "injury": INJURY_COLOURS,
                "verdict": VERDICT_COLOURS}
    for meaning, colours in semantic.items():
        for key, colour in colours.items():
            assert colour.upper() in {c.upper() for c in OKABE_ITO.values()}, (meaning, key)
            assert colour.upper() not in seen, (meaning, key, seen.get(colour.upper()))
            seen[colour.upper()] = (meaning, key)
            assert colour_name(colour) in {n.replace("_", " ") for n in OKABE_ITO}
    # The neutral colours are greys, never a palette colour.
    for grey in (NEUTRAL, NEUTRAL_FILL, ABSENT, *MAGNITUDE_GREYS[:-1]):
        r, g, b = grey[1:3], grey[3:5], grey[5:7]
        assert r == g == b, grey
        assert grey.upper() not in seen


FIGURE_MODULES = sorted({spec.module_path for spec in FIGURES.values()}
                        | {"analysis/paper/figures/style.py", "analysis/paper/figures/labels.py"})


@pytest.mark.parametrize("path", FIGURE_MODULES)
def test_figure_modules_take_colours_only_from_the_palettes_meanings(path):
    """No hex code, no raw Okabe-Ito lookup and no theme colour in figure code."""
    import re

    text = (ROOT / path).read_text(encoding="utf-8")
    assert not re.search(r"#[0-9A-Fa-f]{6}\b", text), path
    assert "OKABE_ITO" not in text and "THEME_COLOURS" not in text and "SERIES" not in text
    for name in ("blue", "orange", "green", "vermillion", "purple", "yellow", "red"):
        assert not re.search(rf"color=[\"']{name}", text), (path, name)


def test_the_default_colour_cycle_is_neutral():
    from analysis.palette import NEUTRAL
    from analysis.paper.figures.style import RC

    assert RC["axes.prop_cycle"].by_key()["color"] == [NEUTRAL]


# --- race_forest -----------------------------------------------------------------------------

def _race_results(results: Path) -> list[dict]:
    import json

    claims = json.loads((results / "claims.json").read_text())["claims"]
    return [c for c in claims if c["id"].startswith(("C8", "C9", "C10"))]


def _drawn_points(ax) -> list[tuple[float, float, bool]]:
    """(x, y, filled) of every errorbar marker of an axes."""
    from matplotlib.container import ErrorbarContainer

    out = []
    for container in ax.containers:
        if isinstance(container, ErrorbarContainer):
            line = container.lines[0]
            filled = line.get_markerfacecolor() != "white" and line.get_markerfacecolor() != (
                1.0, 1.0, 1.0, 1.0)
            for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True):
                out.append((float(x), float(y), filled))
    return out


def test_race_forest_draws_both_levels_of_every_race_claim(inputs):
    from analysis.paper.figures.disparities import race_forest, race_forest_alt

    results, data = inputs
    claims = _race_results(results)
    assert [c["id"] for c in claims] == ["C8a", "C8b", "C9a", "C9b", "C10a", "C10b", "C10c",
                                         "C10d"]
    fig = race_forest(results, data)
    points = _drawn_points(fig.axes[0])
    assert len(points) == 2 * len(claims)
    expected = sorted(round(100 * c["levels"][lv]["estimate"], 9)
                      for c in claims for lv in ("contact", "survivor"))
    assert sorted(round(x, 9) for x, _, _ in points) == expected
    # One filled (primary) and one open marker per claim.
    assert sum(filled for *_, filled in points) == len(claims)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "Survivors of colour vs White (C8a)" in labels
    assert "Black survivors vs all others (C10d)" in labels
    assert all("  " not in label for label in labels)
    alt = race_forest_alt(results, data)
    for c in claims:
        assert f"({c['id']})" in alt
        assert f"verdict {c['verdict']}" in alt


def test_race_forest_caption_quotes_the_published_group_sizes(inputs):
    from analysis.paper.figures.disparities import race_forest_caption

    results, data = inputs
    caption = race_forest_caption(results, data)
    tests = read_csv(results / "inference" / "survivor_tests.csv")
    arrests = read_csv(results / "tables" / "arrests_by.csv")
    contacts = arrests.set_index(["factor", "level"])["n"]
    black = tests[tests["contrast"] == "black_vs_others"].iloc[0]
    colour = tests[tests["contrast"] == "colour_vs_white"].iloc[0]
    assert (f"Black survivors ({int(black['exposed_n'])} survivors, "
            f"{int(contacts[('Race', 'Black')])} contacts)") in caption
    assert (f"White survivors ({int(colour['reference_n'])} survivors, "
            f"{int(contacts[('Survivors of colour', 'White')])} contacts)") in caption


def test_race_forest_keeps_a_suppressed_claim_as_an_undrawn_row(inputs, tmp_path):
    import json

    from analysis.paper.figures.disparities import race_forest, race_forest_caption
    from analysis.paper.figures.style import restricted_mode

    results, data = inputs
    changed = tmp_path / "results"
    shutil.copytree(results, changed, ignore=shutil.ignore_patterns("data"))
    claims = json.loads((changed / "claims.json").read_text())
    for claim in claims["claims"]:
        if claim["id"] == "C9a":
            claim["suppressed"] = True
            for key in ("estimate", "ci_low", "ci_high", "p_value"):
                claim[key] = None
    (changed / "claims.json").write_text(json.dumps(claims))
    with restricted_mode(3):
        fig = race_forest(changed, data)
        caption = race_forest_caption(changed, data)
    assert len(_drawn_points(fig.axes[0])) == 2 * (len(_race_results(changed)) - 1)
    assert "Survivors of colour vs White (C9a)" in [t.get_text()
                                                    for t in fig.axes[0].get_yticklabels()]
    assert "C9a rests on a count below 3" in caption and "not drawn" in caption


# --- robustness ------------------------------------------------------------------------------

def test_robustness_bars_are_the_summary_shares(inputs):
    from matplotlib.container import BarContainer

    from analysis.paper.figures.robustness import robustness, robustness_alt, robustness_caption
    from analysis.steps.claims import load_registry

    results, data = inputs
    summary = read_csv(results / "robustness" / "summary.csv")
    ids = [e["id"] for e in load_registry()]
    fig = robustness(results, data)
    titles = {name: spec["title"] for name, spec in load_config()["scenarios"].items()}
    for ax, scenario in zip(fig.axes, SCENARIOS, strict=False):
        rows = summary[summary["scenario"] == scenario].set_index("claim").reindex(ids)
        bars = {c.get_label(): c for c in ax.containers if isinstance(c, BarContainer)}
        assert list(bars) == list(VERDICTS)
        for verdict, bar in bars.items():
            column = verdict.replace(" ", "_") + "_share"
            np.testing.assert_allclose([p.get_width() for p in bar.patches],
                                       rows[column].to_numpy(dtype=float))
        assert titles[scenario] in ax.get_title()
    alt = robustness_alt(results, data)
    assert all(f"({i})" in alt for i in ids)
    null = summary[(summary["scenario"] == "null") & (summary["tested"] > 0)]
    worst = null.loc[null["reproduced_share"].idxmax()]
    caption = robustness_caption(results, data)
    assert (f"highest false-reproduction rate was {100 * worst['reproduced_share']:.1f}% "
            f"({worst['claim']}") in caption


# --- simulation figures ----------------------------------------------------------------------

def test_power_curves_plot_the_primary_methods_reproduced_share(inputs):
    from analysis.paper.figures.simulation import power_curves, power_curves_caption
    from analysis.steps.claims import load_registry

    results, data = inputs
    perf = read_csv(results / "simulation" / "performance.csv")
    association = [e["id"] for e in load_registry() if e["statistic"] == "association"]
    fig = power_curves(results, data)
    panels = [ax for ax in fig.axes if ax.get_title(loc="left")]
    assert len(panels) == len(association)
    for ax, claim in zip(panels, association, strict=True):
        assert ax.get_title(loc="left").replace("\n", " ").endswith(f"({claim})")
        assert ax.get_xscale() == "log"
        lines = [line for line in ax.lines if line.get_marker() == "o"]
        rows = perf[(perf["claim"] == claim) & (perf["role"] == "primary")
                    & (perf["measure"] == "reproduced")]
        multipliers = sorted(rows["effect_multiplier"].unique())
        assert len(lines) == len(multipliers)
        for line, m in zip(lines, multipliers, strict=True):
            expected = rows[rows["effect_multiplier"] == m].sort_values("n_participants")
            np.testing.assert_allclose(line.get_xdata(), expected["n_participants"])
            np.testing.assert_allclose(line.get_ydata(), expected["estimate"])
        assert any(np.allclose(line.get_ydata(), 0.8) for line in ax.lines)   # the 80% line
    caption = power_curves_caption(results, data)
    needed = read_csv(results / "simulation" / "sample_size.csv")
    for row in needed[needed["reached"]].itertuples():
        assert f"{row.claim} {int(np.ceil(row.survivors_needed))}" in caption


def test_coverage_plots_the_mean_coverage_of_each_method(inputs):
    from matplotlib.container import ErrorbarContainer

    from analysis.paper.figures.simulation import coverage, coverage_alt

    results, data = inputs
    perf = read_csv(results / "simulation" / "performance.csv")
    cov = perf[(perf["measure"] == "coverage") & perf["estimate"].notna()
               & (perf["effect_multiplier"] == 1.0)]
    fig = coverage(results, data)
    top_row = [ax for ax in fig.axes if ax.get_title()]
    assert len(top_row) == 3
    drawn = {}
    for ax in top_row:
        for container in ax.containers:
            if isinstance(container, ErrorbarContainer):
                line = container.lines[0]
                drawn[round(float(np.mean(line.get_ydata())), 9)] = line
    for method, rows in cov.groupby("method"):
        expected = rows.groupby("n_participants")["estimate"].mean().to_numpy()
        assert round(float(np.mean(expected)), 9) in drawn, method
        line = drawn[round(float(np.mean(expected)), 9)]
        np.testing.assert_allclose(line.get_ydata(), expected)
    assert any(np.allclose(line.get_ydata(), 0.95) for ax in top_row for line in ax.lines)
    alt = coverage_alt(results, data)
    assert "GEE with the plain sandwich" in alt and "sign test" in alt


# --- arrest ----------------------------------------------------------------------------------

def test_arrest_curve_draws_observed_contacts_outside_the_probability_axis(inputs):
    from matplotlib.collections import PathCollection

    from analysis.paper.figures.arrest import arrest_curve, arrest_curve_caption
    from analysis.study.arrays import StudyArrays
    from analysis.study.datapackage import read_study

    results, data = inputs
    fig = arrest_curve(results, data)
    probability = [ax for ax in fig.axes if ax.get_title(loc="left")]
    strips = [ax for ax in fig.axes if not ax.get_title(loc="left")]
    assert len(probability) == len(strips) == 2
    for ax in probability:
        assert ax.get_ylim() == (0.0, 1.0)
        assert not [c for c in ax.collections if isinstance(c, PathCollection)]
        for line in ax.lines:
            assert np.all((line.get_ydata() >= 0) & (line.get_ydata() <= 1))
    study = StudyArrays.from_tables(read_study(data, QUANT_TABLES))
    dots = sum(len(c.get_offsets()) for ax in strips for c in ax.collections
               if isinstance(c, PathCollection))
    assert dots == len(study.cluster)
    assert [t.get_text() for t in strips[0].get_yticklabels()] == ["arrest", "no arrest"]
    caption = arrest_curve_caption(results, data)
    black = int(study.predictors["black"].sum())
    assert f"{black} of the {len(study.cluster)} contacts were with Black survivors" in caption
    assert "averaged over the sample's composition" in caption
    assert "held at" not in caption and "(0." not in caption


def test_figure_data_is_computed_once_per_figure_and_afresh_outside_one():
    """The figure, its caption and its alt text share one computation of their data
    while one figure is built; outside a build every call computes again."""
    from analysis.paper.figures.style import once_per_figure, one_figure

    calls = []

    @once_per_figure
    def data(results, data_dir, step=0.05):
        calls.append((results, data_dir, step))
        return [len(calls)]

    with one_figure():
        assert data("r", "d") is data("r", "d")
        assert data("r", "d", step=0.1) == [2]
    with one_figure():
        assert data("r", "d") == [3]
    assert data("r", "d") == [4] and data("r", "d") == [5]
    assert len(calls) == 5
