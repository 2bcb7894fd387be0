"""The methods lab (training/README.md): it is well formed, its commands run as written,
and its answer keys say what the outputs say.

The lab marks every command block with a first line ``# lab: <exercise> <step>``
(``expect-error`` at the end when the block is meant to fail). The slow test runs
the blocks of exercises 1 to 6 in order, in one temporary copy of the repository,
as a student would in their worktree, and then checks each answer key against the
files the blocks wrote. Each number checked here is also looked up in the lab text
(:func:`cited`), so the document and this test cannot drift apart silently: when
the package changes, this test names the number the answer key must update.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "training" / "README.md"
CODERS_CONFIG = ROOT / "training" / "configs" / "coders-20.yaml"
EXERCISES = [f"exercise-{i}" for i in range(1, 7)]

MARKER = re.compile(r"^# lab: (?P<name>setup|cleanup|exercise-\d+)(?: (?P<step>[a-z0-9-]+))?"
                    r"(?P<error> expect-error)?\s*$")
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.M | re.S)
COPY_IGNORE = shutil.ignore_patterns(
    ".venv", "results", ".snakemake", ".git", "__pycache__", ".pytest_cache", ".ruff_cache",
    "*.egg-info", "restricted", "lab-runs")

ASSOCIATION_CLAIMS = ["C4", "C6", "C7", "C8", "C9", "C10"]
PREVALENCE_CLAIMS = ["C1", "C2", "C3", "C5", "C11"]


@dataclass(frozen=True)
class Block:
    """One command block of the lab."""

    name: str           # setup, exercise-N or cleanup
    step: str           # the block's name within its exercise
    expect_error: bool
    code: str


def lab_text() -> str:
    return LAB.read_text(encoding="utf-8")


def lab_blocks(text: str | None = None) -> list[Block]:
    """Every fenced ``bash`` block of the lab, in document order, with its marker."""
    blocks = []
    for match in FENCE.finditer(text if text is not None else lab_text()):
        if match["info"].strip() != "bash":
            continue
        body = match["body"]
        marker = MARKER.match(body.splitlines()[0]) if body.strip() else None
        if marker is None:
            raise AssertionError(f"a bash block of the lab has no '# lab:' marker:\n{body}")
        blocks.append(Block(marker["name"], marker["step"] or "", bool(marker["error"]), body))
    return blocks


def cited(shown: str) -> str:
    """``shown`` as it appears in the lab's text (the answer key must quote it)."""
    text = " ".join(lab_text().replace("\u2212", "-").split())
    assert " ".join(shown.split()) in text, f"the lab's answer key no longer cites {shown!r}"
    return shown


def shows(actual: float | None, shown: str) -> bool:
    """True when ``actual`` rounds to the number ``shown`` (its decimals set the precision)."""
    assert actual is not None
    shown = shown.replace("\u2212", "-").rstrip("%")
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    return abs(actual - float(shown)) <= 0.5 * 10 ** -decimals + 1e-9


def percent(actual: float, shown: str) -> bool:
    """True when the share ``actual`` is the percentage ``shown`` (e.g. '47.5%')."""
    return shows(100 * actual, shown)


# --- the document -----------------------------------------------------------------

def test_lab_has_six_exercises_with_commands_questions_and_answer_keys():
    text = lab_text()
    front = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    assert front, "the lab needs a YAML front matter (Quarto)"
    assert yaml.safe_load(front.group(1))["title"]
    assert "synthetic" in text.lower() and "Content note" in text
    sections = re.split(r"^## ", text, flags=re.M)
    exercises = [s for s in sections if s.startswith("Exercise ")]
    assert [int(s.split()[1].rstrip(":")) for s in exercises] == [1, 2, 3, 4, 5, 6]
    blocks = lab_blocks(text)
    for number, section in enumerate(exercises, start=1):
        assert "**Questions**" in section, f"exercise {number} has no questions"
        assert section.count("<details>") == 1 == section.count("</details>")
        assert "<summary>Answer key</summary>" in section
        # a blank line after <summary> lets GitHub and Pandoc read the key as Markdown
        assert re.search(r"<summary>Answer key</summary>\n\n", section)
        own = [b for b in blocks if b.name == f"exercise-{number}"]
        assert own, f"exercise {number} has no marked command block"
        assert all(b.code in section for b in own), "a block sits outside its exercise"
    assert {b.name for b in blocks} == {"setup", "cleanup", *EXERCISES}
    steps = [(b.name, b.step) for b in blocks]
    assert len(steps) == len(set(steps)), "two blocks share a name and step"


def test_lab_builds_use_few_replications_and_two_cores():
    """The time-saver is applied to every command, so no command reruns the study."""
    for block in lab_blocks():
        for line in block.code.splitlines():
            line = line.strip()
            if line.startswith("snakemake"):
                assert "robustness_replications=40" in line, line
                if " -n " not in line and "--summary" not in line and "graph" not in line \
                        and "--dag" not in line:
                    assert "--cores 2" in line, line


def test_lab_is_valid_pandoc_markdown():
    """Quarto reads the lab with Pandoc: front matter, code blocks and answer keys parse."""
    pypandoc = pytest.importorskip("pypandoc")
    html = pypandoc.convert_text(lab_text(), "html", format="markdown",
                                 extra_args=["--standalone"])
    assert "<title>Methods lab" in html
    assert html.count("<details>") == 6
    assert html.count('<code class="sourceCode bash">') == len(lab_blocks())
    # Markdown inside the answer keys is parsed, not passed through as text
    keys = re.findall(r"<summary>\s*Answer key\s*</summary>(.*?)</details>", html, re.S)
    assert len(keys) == 6
    assert all("<ol" in key for key in keys) and any("<code>" in key for key in keys)


def test_coders_config_is_the_valid_way_to_change_a_nested_setting():
    from analysis.config import ConfigError, load_config, validate_config

    base = load_config()
    override = yaml.safe_load(CODERS_CONFIG.read_text(encoding="utf-8"))
    assert set(override) == {"qualitative"}
    merged = validate_config({**base, "qualitative": {**base["qualitative"],
                                                      **override["qualitative"]}})
    assert merged["qualitative"]["coder_disagreement_rate"] == 0.2
    # What `--config 'qualitative={coder_disagreement_rate: 0.2}'` delivers is a string;
    # the workflow gives it the schema's type (coerce_overrides), and a non-number stays
    # a string for validation to refuse.
    from analysis.config import coerce_overrides

    given = coerce_overrides({"qualitative": {"coder_disagreement_rate": "0.2"}})
    assert given == {"qualitative": {"coder_disagreement_rate": 0.2}}
    with pytest.raises(ConfigError, match=r"qualitative.coder_disagreement_rate' has value "
                                          r"'high'; allowed: a number >= 0 and <= 0.5"):
        validate_config({**base, "qualitative": {**base["qualitative"], **coerce_overrides(
            {"qualitative": {"coder_disagreement_rate": "high"}})["qualitative"]}})
    cited("has value 'high'; allowed: a number >= 0 and <= 0.5")


def test_labtools_labels_and_reads_a_claims_file(tmp_path):
    sys.path.insert(0, str(ROOT / "training"))
    try:
        import labtools
    finally:
        sys.path.remove(str(ROOT / "training"))
    assert labtools.label(Path("lab-runs/claims-seed-1.json")) == "seed-1"
    assert labtools.label(Path("summary.csv")) == "summary"
    claim = {"id": "C7", "statement": "s", "expected_direction": "positive",
             "estimate": 7.95, "ci_low": 1.28, "ci_high": 49.5, "p_value": 0.028,
             "observed_direction": "positive", "reproduced": True, "significant": True}
    path = tmp_path / "claims-default.json"
    path.write_text(json.dumps({"alpha": 0.05, "claims": [claim]}), encoding="utf-8")
    lines = labtools.claims_rows([path])
    assert any("7.95 [1.28, 49.5]" in line and "reproduced" in line for line in lines)
    assert lines[-1].startswith("default") and "p < alpha: C7" in lines[-1]


# --- running the lab ----------------------------------------------------------------

@dataclass
class Ran:
    block: Block
    returncode: int
    output: str
    seconds: float


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> tuple[Path, dict[tuple[str, str], Ran]]:
    """Run exercises 1-6 in order in one copy of the repository; keep every block's output."""
    workdir = tmp_path_factory.mktemp("methods-lab") / "ipv-lab"
    shutil.copytree(ROOT, workdir, ignore=COPY_IGNORE)
    runs: dict[tuple[str, str], Ran] = {}
    started = time.perf_counter()
    for block in lab_blocks():
        if block.name not in EXERCISES:
            continue  # setup and cleanup manage a git worktree; the copy stands in for it
        shell = ["bash", "-c", block.code] if block.expect_error else \
            ["bash", "-e", "-o", "pipefail", "-c", block.code]
        t0 = time.perf_counter()
        proc = subprocess.run(shell, cwd=workdir, env=_env(), capture_output=True, text=True,
                              timeout=400, check=False)
        runs[(block.name, block.step)] = Ran(block, proc.returncode,
                                            proc.stdout + proc.stderr,
                                            time.perf_counter() - t0)
    timings = ", ".join(f"{n}/{s}: {r.seconds:.0f}s" for (n, s), r in runs.items())
    print(f"\nmethods lab ran in {time.perf_counter() - started:.0f}s ({timings})")
    return workdir, runs


def ran(lab, name: str, step: str) -> Ran:
    result = lab[1][(name, step)]
    if not result.block.expect_error:
        assert result.returncode == 0, (f"lab block {name} {step} failed:\n{result.block.code}\n"
                                        f"{result.output[-4000:]}")
    return result


def load_claims(path: Path) -> dict[str, dict]:
    return {c["id"]: c for c in json.loads(path.read_text(encoding="utf-8"))["claims"]}


def load_summary(path: Path) -> dict[tuple[str, str], dict[str, float | None]]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {(r["claim"], r["scenario"]): {k: (float(v) if v not in ("", None) else None)
                                          for k, v in r.items() if k not in ("claim", "scenario")}
            for r in rows}


def job_stats(output: str) -> dict[str, int]:
    """The first 'Job stats' table of a Snakemake run: rule -> number of jobs."""
    section = output.split("Job stats:", 1)[1].split("total", 1)[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", section, re.M)}


def interval(claim: Mapping, low: str, high: str) -> bool:
    return shows(claim["ci_low"], cited(low)) and shows(claim["ci_high"], cited(high))


@pytest.mark.slow
def test_exercise_1_reading_the_dag(lab):
    workdir, _ = lab
    ran(lab, "exercise-1", "build")
    claims = load_claims(workdir / "lab-runs" / "claims-default.json")
    assert len(claims) == 11 and all(c["reproduced"] for c in claims.values())

    trace = ran(lab, "exercise-1", "trace").output
    table = {}
    for line in (workdir / "lab-runs" / "summary.tsv").read_text().splitlines()[1:]:
        fields = line.split("\t")
        table[fields[0]] = fields[2]
    assert table["results/claims.json"] == "claims"
    assert table["results/qualitative/agreement.json"] == "qualitative"
    assert table["results/robustness/summary.csv"] == "robustness_merge"
    assert table["results/data/synthetic/incidents.csv"] == "generate"
    assert cited('python -m analysis claims --params '
                 '\'{"alpha":0.05,"arrest_model_extra_covariates":[],"data_source":"synthetic"}\' '
                 '--data results/data/synthetic --output results/claims.json') in trace
    assert "analysis/steps/claims.yaml" in trace and "evaluate_claims" in trace
    dag = (workdir / "lab-runs" / "claims-dag.dot").read_text()
    labels = re.findall(r'label = "(\w+)"', dag)
    assert sorted(labels) == ["claims", "generate"]
    assert dag.count("dashed") == 2, "up-to-date jobs are drawn dashed"
    graph = (workdir / "lab-runs" / "rulegraph.mmd").read_text()
    nodes = dict(re.findall(r"^\s*(id\d+)\[(\w+)\]", graph, re.M))
    edges = {(nodes[a], nodes[b]) for a, b in re.findall(r"(id\d+) --> (id\d+)", graph)}
    assert ("generate", "claims") in edges and ("robustness_shard", "robustness_merge") in edges
    assert not any(b == "robustness_shard" for _, b in edges), "shards read no workflow file"

    edit = ran(lab, "exercise-1", "edit").output
    assert job_stats(edit) == {"qualitative": 1, "values": 1}
    assert (workdir / "analysis" / "steps" / "qualitative.py").read_text() == \
        (ROOT / "analysis" / "steps" / "qualitative.py").read_text(), "the edit is undone"


@pytest.mark.slow
def test_exercise_2_sampling_variability(lab):
    workdir, _ = lab
    ran(lab, "exercise-2", "seeds")
    runs = workdir / "lab-runs"
    seeds = {"default": load_claims(runs / "claims-default.json")}
    seeds |= {f"seed-{s}": load_claims(runs / f"claims-seed-{s}.json") for s in range(1, 6)}

    failed = {(run, cid) for run, claims in seeds.items()
              for cid, c in claims.items() if not c["reproduced"]}
    assert failed == {("seed-5", "C10")}
    c10 = seeds["seed-5"]["C10"]
    assert shows(c10["estimate"], cited("+0.07")) and interval(c10, "-0.13", "0.27")
    others = [claims["C10"]["estimate"] for run, claims in seeds.items() if run != "seed-5"]
    assert shows(max(others), cited("-0.14")) and shows(min(others), cited("-0.35"))

    significant = {run: {cid for cid, c in claims.items() if c["significant"]}
                   for run, claims in seeds.items()}
    counts = {run: len(s) for run, s in significant.items()}
    assert min(counts.values()) == 4 == counts["seed-2"]
    assert {run for run, n in counts.items() if n == 7} == {"default", "seed-5"}
    assert {run for run, s in significant.items() if "C6" in s} == {"default", "seed-5"}
    assert {run for run, s in significant.items() if "C10" in s} == {"default", "seed-4"}
    assert not significant["seed-2"] & {"C4", "C9"}
    assert {run for run, s in significant.items() if "C7" not in s} == {"seed-4"}

    c7 = {run: claims["C7"] for run, claims in seeds.items()}
    low, high = min(c7, key=lambda r: c7[r]["estimate"]), max(c7, key=lambda r: c7[r]["estimate"])
    assert (low, high) == ("seed-4", "default")
    assert shows(c7[low]["estimate"], cited("1.79")) and interval(c7[low], "0.48", "6.74")
    assert shows(c7[high]["estimate"], cited("7.95")) and interval(c7[high], "1.28", "49.5")
    contacts = [int(re.search(r"\((\d+) contacts", claims["C4"]["reason"])[1])
                for claims in seeds.values()]
    assert (min(contacts), max(contacts)) == (65, 82) and cited("65 to 82")

    ran(lab, "exercise-2", "robustness")
    assert (workdir / "results" / "figures" / "robustness.png").stat().st_size > 0
    assert "50%" in (workdir / "results" / "figures" / "robustness.yml").read_text()
    summary = load_summary(runs / "robustness-default.csv")
    assert {row["replications"] for row in summary.values()} == {40.0}
    published = {cid: summary[(cid, "published")] for cid in seeds["default"]}
    assert percent(min(r["reproduced_share"] for r in published.values()), cited("97.5%"))
    assert max(r["reproduced_share"] for r in published.values()) == 1.0
    tested = {cid: r["significant_share"] for cid, r in published.items()
              if r["significant_share"] is not None}
    assert min(tested, key=tested.get) == "C2" and percent(tested["C2"], cited("47.5%"))
    assert max(tested, key=tested.get) == "C8" and percent(tested["C8"], cited("92.5%"))
    assert percent(tested["C6"], "55%") and percent(tested["C10"], cited("55%"))


@pytest.mark.slow
def test_exercise_3_null_and_reversed_worlds(lab):
    workdir, _ = lab
    ran(lab, "exercise-3", "scenarios")
    runs = workdir / "lab-runs"
    default = load_claims(runs / "claims-default.json")
    null = load_claims(runs / "claims-null.json")
    reversed_ = load_claims(runs / "claims-reversed.json")

    assert {cid for cid, c in null.items() if not c["reproduced"]} == {"C4", "C7"}
    assert shows(null["C4"]["estimate"], cited("0.96"))
    assert shows(null["C7"]["estimate"], cited("0.69"))
    chance = [null[cid] for cid in ("C6", "C8", "C9", "C10")]
    assert all(c["reproduced"] and not c["significant"] for c in chance)
    assert shows(min(c["p_value"] for c in chance), "0.06")
    assert shows(max(c["p_value"] for c in chance), "0.69") and cited(".06 to .69")

    assert {cid for cid, c in reversed_.items() if not c["reproduced"]} == \
        {"C3", "C4", "C7", "C8", "C9", "C10"}
    assert {cid for cid, c in reversed_.items() if c["significant"] and not c["reproduced"]} \
        == {"C4", "C9"}
    assert shows(reversed_["C4"]["estimate"], cited("0.30"))
    assert shows(reversed_["C4"]["p_value"], "0.046") and cited("p = .046")
    assert shows(reversed_["C9"]["estimate"], cited("+0.28"))
    assert shows(reversed_["C9"]["p_value"], "0.038") and cited("p = .038")
    assert "self only: 0" in reversed_["C3"]["reason"] and cited("self only: 0")
    c6 = reversed_["C6"]
    assert c6["reproduced"] and shows(c6["estimate"], cited("1.31"))
    assert interval(c6, "0.75", "2.27") and shows(c6["p_value"], "0.33") and cited("p = .33")

    for cid in ("C1", "C2", "C11"):
        assert default[cid]["estimate"] == null[cid]["estimate"] == reversed_[cid]["estimate"]

    summary = load_summary(runs / "robustness-default.csv")
    reproduced = [summary[(cid, "null")]["reproduced_share"] for cid in ASSOCIATION_CLAIMS]
    significant = [summary[(cid, "null")]["significant_share"] for cid in ASSOCIATION_CLAIMS]
    assert percent(min(reproduced), "45%") and percent(max(reproduced), "55%")
    assert cited("45% to 55%")
    assert percent(min(significant), "2.5%") and percent(max(significant), "5%")
    assert cited("2.5% to 5%")
    assert all(summary[(cid, "null")]["reproduced_share"] >= 0.95 for cid in PREVALENCE_CLAIMS)


@pytest.mark.slow
def test_exercise_4_power(lab):
    workdir, _ = lab
    output = ran(lab, "exercise-4", "power").output
    runs = workdir / "lab-runs"
    small = load_claims(runs / "claims-default.json")
    large = load_claims(runs / "claims-n240.json")

    # the interval for visible injury (C7) is far narrower with 240 survivors
    assert interval(small["C7"], "1.28", "49.5") and interval(large["C7"], "3.07", "6.65")
    assert shows(large["C7"]["estimate"], cited("4.52"))
    assert large["C7"]["ci_high"] - large["C7"]["ci_low"] < \
        small["C7"]["ci_high"] - small["C7"]["ci_low"]
    assert shows(small["C8"]["ci_high"] - small["C8"]["ci_low"], cited("0.47"))
    assert shows(large["C8"]["ci_high"] - large["C8"]["ci_low"], cited("0.15"))
    assert all(c["reproduced"] for c in large.values())
    assert {cid for cid, c in large.items() if c["significant"]} == \
        {"C1", "C2", "C4", "C6", "C7", "C8", "C9", "C10"}

    summary = load_summary(runs / "robustness-n240.csv")
    tested = [r for (cid, scen), r in summary.items()
              if scen == "published" and r["significant_share"] is not None]
    assert tested and all(r["significant_share"] == 1.0 for r in tested)
    reproduced = [summary[(cid, "null")]["reproduced_share"] for cid in ASSOCIATION_CLAIMS]
    significant = [summary[(cid, "null")]["significant_share"] for cid in ASSOCIATION_CLAIMS]
    assert percent(min(reproduced), "35%") and percent(max(reproduced), "62.5%")
    assert cited("35% to 62.5%")
    assert percent(min(significant), "2.5%") and percent(max(significant), "10%")
    assert cited("2.5% to 10%")

    power = {name: json.loads((runs / f"power-{name}.json").read_text())
             for name in ("default", "n240")}
    assert (power["n240"]["n1"], power["n240"]["n0"]) == (110, 130)
    assert shows(power["n240"]["detectable_difference"], cited("0.18"))
    assert (power["default"]["n1"], power["default"]["n0"]) == (11, 13)
    assert shows(power["default"]["detectable_difference"], cited("0.46"))
    assert '"detectable_difference"' in output


@pytest.mark.slow
def test_exercise_5_qualitative_rigour(lab):
    workdir, _ = lab
    ran(lab, "exercise-5", "nested-config")
    nested = json.loads((workdir / "lab-runs" / "agreement-nested.json").read_text())
    assert nested["disagreement_rate"] == 0.2 and cited("arrives as `'0.2'`")
    assert nested["target_kappa"] == 0.8   # the rest of the section is config.yaml's

    output = ran(lab, "exercise-5", "coders").output
    runs = workdir / "lab-runs"
    low = json.loads((runs / "agreement-08.json").read_text())
    high = json.loads((runs / "agreement-20.json").read_text())
    assert (low["disagreement_rate"], high["disagreement_rate"]) == (0.08, 0.2)
    assert high["pooled_kappa"] < low["pooled_kappa"]
    for key, before, after in [("percent_agreement", "90.6%", "79.7%")]:
        assert percent(low[key], cited(before)) and percent(high[key], cited(after))
    assert shows(low["pooled_kappa"], "0.79") and shows(high["pooled_kappa"], "0.57")
    assert cited('pooled kappa from 0.79 ("substantial", 95% CI [0.72, 0.86]) to 0.57 '
                 '("moderate")')
    assert shows(low["pooled_kappa_low"], "0.72") and shows(low["pooled_kappa_high"], "0.86")
    assert (low["pooled_band"], high["pooled_band"]) == ("substantial", "moderate")
    assert shows(low["krippendorff_alpha"], "0.79") and shows(high["krippendorff_alpha"], "0.56")
    assert cited("alpha from 0.79 to 0.56")
    assert shows(low["median_kappa"], "0.78") and shows(high["median_kappa"], "0.51")
    assert cited("from 0.78 to 0.51")
    assert shows(low["expected_kappa"], "0.81") and cited("8% is 0.81")
    assert cited("pooled kappa is 0.79")
    assert low["target_kappa"] == high["target_kappa"] == 0.8
    assert percent(low["confusable_share"], cited("78%"))
    assert percent(low["confusable_share_uniform"], cited("55%"))
    assert percent(low["by_style"]["brief_or_hedged"]["differ_share"], cited("23%"))
    assert percent(low["by_style"]["full"]["differ_share"], "6%") and cited("against 6% of full")

    assert "code-by-case matrix unchanged" in output
    differing = set(re.findall(r"^Files lab-runs/data-08/(\S+) and ", output, re.M))
    assert differing == {"code_applications.csv", "datapackage.json"}
    assert cited("`code_applications.csv`") and cited("`datapackage.json`")
    matrices = [(runs / f"code_by_case-{name}.csv").read_bytes() for name in ("08", "20")]
    assert matrices[0] == matrices[1]

    def per_code(name):
        with open(runs / f"agreement-{name}.csv", encoding="utf-8", newline="") as fh:
            return {r["code"]: r for r in csv.DictReader(fh)}

    codes_low, codes_high = per_code("08"), per_code("20")
    strategies = codes_low["informal_strategies"]
    assert (strategies["cases_a"], strategies["cases_b"], strategies["kappa"]) == ("24", "24", "")
    strategies = codes_high["informal_strategies"]
    assert (strategies["cases_a"], strategies["cases_b"]) == ("24", "23")
    assert float(strategies["kappa"]) == 0.0 and percent(float(strategies["agreement"]), "96%")
    no_arrest = codes_low["no_arrest"]
    assert shows(float(no_arrest["kappa"]), cited("0.36")) and no_arrest["cases_a"] == "23"
    assert percent(float(no_arrest["agreement"]), cited("88%"))
    assert shows(float(no_arrest["kappa_low"]), "-0.16") and cited("from -0.16 to 0.88")
    for code, kappa in (("partner_arrested", "0.14"), ("no_arrest", "0.16")):
        assert codes_high[code]["band"] == "slight" and shows(float(codes_high[code]["kappa"]),
                                                              cited(kappa))
    beyond = [float(codes[c]["kappa"]) for codes in (codes_low, codes_high)
              for c in ("beyond_police_capacity",)]
    assert all(shows(k, cited("0.92")) for k in beyond)


@pytest.mark.slow
def test_exercise_6_changing_a_model(lab):
    workdir, _ = lab
    dry = ran(lab, "exercise-6", "dry-run").output
    jobs = job_stats(dry)
    assert jobs == {"claims": 1, "infer": 1, "robustness_shard": 4, "robustness_merge": 1,
                    "values": 1}
    assert "generate" not in jobs and cited("Not `generate`, `describe` or `qualitative`")
    assert "params have changed since last execution" in dry

    ran(lab, "exercise-6", "run")
    claims = load_claims(workdir / "lab-runs" / "claims-treated-poorly.json")
    for cid, est, low, high in (("C6", "2.54", "1.30", "4.96"), ("C7", "7.88", "1.17", "52.8")):
        assert claims[cid]["reproduced"] and claims[cid]["significant"]
        assert shows(claims[cid]["estimate"], cited(est)) and interval(claims[cid], low, high)
    with open(workdir / "results" / "inference" / "models.csv", encoding="utf-8",
              newline="") as fh:
        rows = [r for r in csv.DictReader(fh)
                if r["model"] == "Arrest" and r["term"] == "treated_poorly"]
    assert len(rows) == 1
    row = {k: float(rows[0][k]) for k in ("odds_ratio", "ci_low", "ci_high", "p_value")}
    assert shows(row["odds_ratio"], cited("1.23")) and shows(row["ci_low"], cited("0.20"))
    assert shows(row["ci_high"], cited("7.60")) and shows(row["p_value"], "0.82")
    assert cited("p = .82")
