"""The methods lab (training/README.md): it is well formed, its commands run as written,
and its answer keys say what the outputs say.

The lab marks every command block with a first line ``# lab: <exercise> <step>``
(``expect-error`` at the end when the block is meant to fail). The slow test runs
the lab's ``setup tools`` block (which writes the lab's settings and its comparison
script under ``lab-runs/``) and the blocks of exercises 1 to 6 in order, in one
temporary copy of the repository, as a student would in their worktree, and then
checks each answer key against the files the blocks wrote. Each number checked here
is also looked up in the lab text (:func:`cited`), so the document and this test
cannot drift apart silently: when the package changes, this test names the number
the answer key must update.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import yaml

from analysis.stats.agreement import binary_coefficients

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "training" / "README.md"
CODERS_CONFIG = ROOT / "training" / "configs" / "coders-20.yaml"
EXERCISES = [f"exercise-{i}" for i in range(1, 7)]
LAB_CONFIG = "lab-runs/lab.yaml"

MARKER = re.compile(r"^# lab: (?P<name>setup|cleanup|exercise-\d+)(?: (?P<step>[a-z0-9-]+))?"
                    r"(?P<error> expect-error)?\s*$")
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.M | re.S)
HEREDOC = re.compile(r"^cat > (?P<path>\S+) <<'EOF'\n(?P<body>.*?)^EOF$", re.M | re.S)
COPY_IGNORE = shutil.ignore_patterns(
    ".venv", "results", ".snakemake", ".git", "__pycache__", ".pytest_cache", ".ruff_cache",
    "*.egg-info", "restricted", "lab-runs")


def _registry() -> list[dict]:
    return yaml.safe_load((ROOT / "analysis" / "steps" / "claims.yaml").read_text(
        encoding="utf-8"))["claims"]


REGISTRY = _registry()
CLAIMS = [c["id"] for c in REGISTRY]
ASSOCIATION_CLAIMS = [c["id"] for c in REGISTRY if c["statistic"] == "association"]
TWO_SIDED = [c["id"] for c in REGISTRY if c["direction"] == "two-sided"]
STATED = [c for c in ASSOCIATION_CLAIMS if c not in TWO_SIDED]
PREVALENCE_CLAIMS = [c for c in CLAIMS if c not in ASSOCIATION_CLAIMS]


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


def runs_in_the_lab(block: Block) -> bool:
    """Exercise blocks, and the setup block that writes lab-runs/ (not the worktree's)."""
    return block.name in EXERCISES or (block.name, block.step) == ("setup", "tools")


def lab_file(name: str) -> str:
    """The text the lab's ``setup tools`` block writes to ``lab-runs/<name>``."""
    tools = [b for b in lab_blocks() if (b.name, b.step) == ("setup", "tools")]
    assert len(tools) == 1
    files = {m["path"]: m["body"] for m in HEREDOC.finditer(tools[0].code)}
    return files[f"lab-runs/{name}"]


def cited(shown: str) -> str:
    """``shown`` as it appears in the lab's text (the answer key must quote it)."""
    text = " ".join(lab_text().replace("\u2212", "-").split())
    assert " ".join(shown.split()) in text, f"the lab's answer key no longer cites {shown!r}"
    return shown


def number(shown: str) -> str:
    """The last number in a cited fragment ('C7 in 75.5%' -> '75.5')."""
    found = re.findall(r"[-+\u2212]?\d+(?:\.\d+)?", shown)
    assert found, shown
    return found[-1]


def shows(actual: float | None, shown: str) -> bool:
    """True when ``actual`` rounds to the number ``shown`` (its decimals set the precision)."""
    assert actual is not None
    shown = shown.replace("\u2212", "-").rstrip("%")
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    return abs(actual - float(shown)) <= 0.5 * 10 ** -decimals + 1e-9


def percent(actual: float, shown: str) -> bool:
    """True when the share ``actual`` is the percentage ``shown`` (e.g. '47.5%')."""
    return shows(100 * actual, shown)


def cites_percent(actual: float, fragment: str) -> bool:
    """The lab cites ``fragment`` and its last number is the share ``actual`` in percent."""
    return percent(actual, number(cited(fragment)))


def listed(ids: Iterable[str]) -> str:
    return ", ".join(ids)


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
    for number_, section in enumerate(exercises, start=1):
        assert "**Questions**" in section, f"exercise {number_} has no questions"
        assert section.count("<details>") == 1 == section.count("</details>")
        assert "<summary>Answer key</summary>" in section
        # a blank line after <summary> lets GitHub and Pandoc read the key as Markdown
        assert re.search(r"<summary>Answer key</summary>\n\n", section)
        own = [b for b in blocks if b.name == f"exercise-{number_}"]
        assert own, f"exercise {number_} has no marked command block"
        assert all(b.code in section for b in own), "a block sits outside its exercise"
    assert {b.name for b in blocks} == {"setup", "cleanup", *EXERCISES}
    steps = [(b.name, b.step) for b in blocks]
    assert len(steps) == len(set(steps)), "two blocks share a name and step"
    assert ("setup", "tools") in steps


def test_lab_builds_use_few_replications_and_two_cores():
    """Every command reads lab-runs/lab.yaml, so no command reruns a study at full size."""
    for block in lab_blocks():
        for line in block.code.splitlines():
            line = line.strip()
            if line.startswith("snakemake"):
                assert f"--configfile {LAB_CONFIG}" in line, line
                if " -n " not in line and "--summary" not in line and "graph" not in line \
                        and "--dag" not in line:
                    assert "--cores 2" in line, line


def test_lab_settings_are_small_valid_and_described():
    from analysis.config import load_config, merge, validate_config

    base = load_config()
    lab = yaml.safe_load(lab_file("lab.yaml"))
    assert set(lab) == {"robustness_replications", "simulation"}
    merged = validate_config(merge(base, lab))
    reps, sim, full = merged["robustness_replications"], merged["simulation"], base["simulation"]
    assert reps < base["robustness_replications"]
    cells = len(sim["effect_multipliers"]) * len(sim["n_participants"]) * sim["replications"]
    assert cells < len(full["effect_multipliers"]) * len(full["n_participants"]) \
        * full["replications"]
    assert 24 in sim["n_participants"] and 1.0 in sim["effect_multipliers"]
    assert 0.0 in sim["effect_multipliers"], "exercise 4 reads false reproductions at x0"
    assert set(lab["simulation"]) < set(full), "the rest of the section stays config.yaml's"
    assert sim["truth_participants"] == full["truth_participants"]
    cited(f"{reps} robustness studies per scenario")
    cited(f"with {sim['replications']} studies per cell")
    cited(f"{full['replications']} studies in each of "
          f"{len(full['effect_multipliers']) * len(full['n_participants'])} cells")
    cited(f"{base['robustness_replications']:,} new studies for each of three scenarios")
    mcse = {n: 100 * math.sqrt(0.25 / n) for n in (reps, sim["replications"])}
    assert shows(mcse[reps], number(cited("MCSE) of up to 3.5 percentage points")))
    assert shows(mcse[sim["replications"]], number(cited("one from 100 studies up to 5 points")))


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
    assert coerce_overrides({"sample": {"age_min": "20"}}) == {"sample": {"age_min": 20}}
    cited("--config 'sample={age_min: 20}'")
    with pytest.raises(ConfigError, match=r"qualitative.coder_disagreement_rate' has value "
                                          r"'high'; allowed: a number >= 0 and <= 0.5"):
        validate_config({**base, "qualitative": {**base["qualitative"], **coerce_overrides(
            {"qualitative": {"coder_disagreement_rate": "high"}})["qualitative"]}})
    cited("has value 'high'; allowed: a number >= 0 and <= 0.5")


def test_labtools_labels_runs_and_prints_agreement(tmp_path):
    sys.path.insert(0, str(ROOT / "training"))
    try:
        import labtools
    finally:
        sys.path.remove(str(ROOT / "training"))
    assert labtools.label(Path("lab-runs/agreement-08.json")) == "08"
    assert labtools.label(Path("summary.csv")) == "summary"
    path = tmp_path / "agreement-08.json"
    path.write_text(json.dumps({"disagreement_rate": 0.08, "pooled_kappa": 0.81,
                                "pooled_band": "almost perfect"}), encoding="utf-8")
    lines = labtools.agreement_rows([path])
    assert lines[0].split() == ["08"]
    assert any(line.split() == ["pooled_kappa", "0.810"] for line in lines)
    assert any(line.split()[1:] == ["almost", "perfect"] for line in lines)


def test_lab_compare_script_prints_verdicts_and_shares(tmp_path):
    """The script the lab writes to lab-runs/compare.py, on a made-up run of two claims."""
    script = tmp_path / "compare.py"
    script.write_text(lab_file("compare.py"), encoding="utf-8")

    def claim(cid, verdict, estimate, reason=""):
        return {"id": cid, "statement": "s", "direction": "two-sided",
                "primary_level": "contact", "estimate": estimate,
                "ci_low": None if estimate is None else 0.5,
                "ci_high": None if estimate is None else 15.0,
                "p_value": None if estimate is None else 0.18, "verdict": verdict,
                "levels": {"contact": {"reason": reason}}}

    path = tmp_path / "claims-seed-2.json"
    path.write_text(json.dumps({"claims": [
        claim("C6", "inconclusive", 2.95),
        claim("C7", "not reproduced", None, "the model did not converge")]}),
        encoding="utf-8")
    out = subprocess.run([sys.executable, str(script), str(path)], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert any(re.search(r"seed-2\s+2\.95 \[0\.5, 15\]\s+p=0\.180\s+inconclusive$", line)
               for line in out)
    assert any(line.endswith("not reproduced: the model did not converge") for line in out)
    assert out[-1] == ("seed-2  reproduced 0: -; inconclusive 1: C6; "
                       "not reproduced 1: C7")

    summary = tmp_path / "robustness-default.csv"
    summary.write_text(
        "claim,scenario,replications,reproduced_share,inconclusive_share,not_reproduced_share\n"
        "C7,published,200,0.755,0.205,0.04\nC7,null,200,0.01,0.955,0.035\n", encoding="utf-8")
    out = subprocess.run([sys.executable, str(script), str(summary)], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert out[1] == "default: 200 studies per scenario"
    assert out[-1].split() == ["C7", "75.5%", "/", "20.5%", "/", "4%",
                               "1%", "/", "95.5%", "/", "3.5%"]


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
    """Run the lab's tools block and exercises 1-6 in order in one copy of the repository."""
    workdir = tmp_path_factory.mktemp("methods-lab") / "ipv-lab"
    shutil.copytree(ROOT, workdir, ignore=COPY_IGNORE)
    runs: dict[tuple[str, str], Ran] = {}
    started = time.perf_counter()
    for block in lab_blocks():
        if not runs_in_the_lab(block):
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


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def load_summary(path: Path) -> dict[tuple[str, str], dict[str, float | None]]:
    return {(r["claim"], r["scenario"]): {k: (float(v) if v not in ("", None) else None)
                                          for k, v in r.items() if k not in ("claim", "scenario")}
            for r in read_csv(path)}


def load_performance(path: Path) -> dict[tuple[str, float, int, str], dict[str, float]]:
    """Primary methods only: (claim, multiplier, n, measure) -> estimate and MCSE."""
    return {(r["claim"], float(r["effect_multiplier"]), int(r["n_participants"]),
             r["measure"]): {"estimate": float(r["estimate"] or "nan"),
                             "mcse": float(r["mcse"] or "nan")}
            for r in read_csv(path) if r["role"] == "primary"}


def job_stats(output: str) -> dict[str, int]:
    """The first 'Job stats' table of a Snakemake run: rule -> number of jobs."""
    section = output.split("Job stats:", 1)[1].split("total", 1)[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", section, re.M)}


def reasons(output: str, heading: str) -> set[str]:
    """The rules Snakemake's dry-run summary lists under one reason."""
    match = re.search(rf"^\s*{re.escape(heading)}:\n\s*(.+)$", output, re.M)
    assert match, heading
    return {rule.strip() for rule in match[1].split(",")}


def interval(claim: Mapping, low: str, high: str) -> bool:
    return shows(claim["ci_low"], cited(low)) and shows(claim["ci_high"], cited(high))


def by_verdict(claims: Mapping[str, Mapping]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"reproduced": [], "inconclusive": [], "not reproduced": []}
    for cid, c in claims.items():
        out[c["verdict"]].append(cid)
    return out


def compare_line(name: str, claims: Mapping[str, Mapping]) -> str:
    """The summary line lab-runs/compare.py prints for one run."""
    return "; ".join(f"{v} {len(ids)}: {' '.join(ids) or '-'}"
                     for v, ids in by_verdict(claims).items())


@pytest.mark.slow
def test_exercise_1_reading_the_dag(lab):
    workdir, _ = lab
    ran(lab, "setup", "tools")
    build = ran(lab, "exercise-1", "build").output
    claims = load_claims(workdir / "lab-runs" / "claims-default.json")
    assert list(claims) == CLAIMS
    findings = {c["finding"] for c in claims.values()}
    cited(f"{len(claims)} claims for the {len(findings)} findings")
    verdicts = by_verdict(claims)
    assert re.search(rf"^default\s+{re.escape(compare_line('default', claims))}$", build, re.M)
    rep, inc, nrep = verdicts["reproduced"], verdicts["inconclusive"], verdicts["not reproduced"]
    cited(f"{len(rep)} are reproduced ({listed(rep)}), {len(inc)} are inconclusive "
          f"({listed(inc)}) and")
    assert not nrep and cited('none is "not reproduced"')

    trace = ran(lab, "exercise-1", "trace").output
    table = {}
    for line in (workdir / "lab-runs" / "summary.tsv").read_text().splitlines()[1:]:
        fields = line.split("\t")
        table[fields[0]] = fields[2]
    assert table["results/claims.json"] == "claims"
    assert table["results/qualitative/agreement.json"] == "qualitative"
    assert table["results/robustness/summary.csv"] == "robustness_merge"
    assert table["results/simulation/performance.csv"] == "simulation_merge"
    assert table["results/data/committed.json"] == "check_committed"
    assert table["results/data/synthetic/incidents.csv"] == "generate"
    assert cited('python -m analysis claims --params '
                 '\'{"alpha":0.05,"arrest_model_extra_covariates":[],"data_source":"synthetic"}\' '
                 '--data results/data/synthetic --output results/claims.json') in trace
    assert "analysis/steps/claims.yaml" in trace and "evaluate_claims" in trace
    from analysis.cli import claims as claims_cli
    from analysis.cli import generate as generate_cli

    assert cited(f"`claims` gets just `{claims_cli.CONFIG_KEYS[0]}`, "
                 f"`{claims_cli.CONFIG_KEYS[1]}` and `{claims_cli.CONFIG_KEYS[2]}`")
    assert set(generate_cli.CONFIG_KEYS) == {"seed", "n_participants", "scenario", "scenarios",
                                             "sample", "model", "violence", "strategies",
                                             "qualitative"}
    dag = (workdir / "lab-runs" / "claims-dag.dot").read_text()
    labels = re.findall(r'label = "(\w+)"', dag)
    assert sorted(labels) == ["claims", "generate"]
    assert dag.count("dashed") == 2, "up-to-date jobs are drawn dashed"
    graph = (workdir / "lab-runs" / "rulegraph.mmd").read_text()
    nodes = dict(re.findall(r"^\s*(id\d+)\[(\w+)\]", graph, re.M))
    edges = {(nodes[a], nodes[b]) for a, b in re.findall(r"(id\d+) --> (id\d+)", graph)}
    assert ("generate", "claims") in edges and ("robustness_shard", "robustness_merge") in edges
    assert {("generate", "check_committed"), ("check_committed", "values"),
            ("simulation_shard", "simulation_merge"),
            ("simulation_truth", "simulation_merge")} <= edges
    sources = set(nodes.values()) - {b for _, b in edges} - {"generate"}
    assert sources == {"robustness_shard", "simulation_shard", "simulation_truth"}
    cited("`robustness_shard`, `simulation_shard` and `simulation_truth`")
    committed, _ = json.JSONDecoder().raw_decode(trace, trace.index('{\n  "basis"'))
    assert committed["match"] is True and committed["required"] is True
    cited('(`"match": true`, `"required": true`)')

    edit = ran(lab, "exercise-1", "edit").output
    assert job_stats(edit) == {"qualitative": 1, "values": 1}
    assert (workdir / "analysis" / "steps" / "qualitative.py").read_text() == \
        (ROOT / "analysis" / "steps" / "qualitative.py").read_text(), "the edit is undone"


@pytest.mark.slow
def test_exercise_2_sampling_variability(lab):
    workdir, _ = lab
    output = ran(lab, "exercise-2", "seeds").output
    runs = workdir / "lab-runs"
    seeds = {"default": load_claims(runs / "claims-default.json")}
    seeds |= {f"seed-{s}": load_claims(runs / f"claims-seed-{s}.json") for s in range(1, 6)}
    for name, claims in seeds.items():
        assert re.search(rf"^{name}\s+{re.escape(compare_line(name, claims))}$", output, re.M)

    counts = {run: len(by_verdict(c)["reproduced"]) for run, c in seeds.items()}
    assert counts == {"default": 7, "seed-1": 8, "seed-2": 6, "seed-3": 10, "seed-4": 7,
                      "seed-5": 7}
    cited("From 6 (seed 2) to 10 (seed 3); the default seed, seed 4 and seed 5 reproduce 7, "
          "seed 1 reproduces 8")
    stable = {cid: seeds["default"][cid]["verdict"] for cid in CLAIMS
              if len({c[cid]["verdict"] for c in seeds.values()}) == 1}
    assert stable == {"C1": "reproduced", "C3": "reproduced", "C5": "reproduced",
                      "C10c": "inconclusive", "C10d": "inconclusive"}
    cited("Only five claims keep their verdict in all six runs: C1, C3 and C5 are always "
          "reproduced, and C10c and C10d always inconclusive")
    failed = {run: by_verdict(c)["not reproduced"] for run, c in seeds.items()}
    assert {run: ids for run, ids in failed.items() if ids} == {
        "seed-1": ["C9b", "C10b"], "seed-2": ["C6", "C7", "C9a", "C10a"],
        "seed-5": ["C9b", "C10a", "C10b"]}
    ever = {cid for ids in failed.values() for cid in ids}
    assert len(ever) == 6 and cited('six claims are "not reproduced" in at least one run')
    cited("(seed 1: C9b, C10b; seed 2: C6, C7, C9a, C10a; seed 5: C9b, C10a, C10b)")

    for cid, (positive, total) in {"C6": ("6", "8"), "C7": ("7", "10")}.items():
        claim = seeds["seed-2"][cid]
        assert claim["verdict"] == "not reproduced" and not claim["estimable"]
        assert claim["levels"]["contact"]["reason"] == "the model did not converge"
        survivor = claim["levels"]["survivor"]
        assert survivor["observed_direction"] == claim["reading"]
        assert (survivor["positive"], survivor["positive"] + survivor["negative"]) == \
            (int(positive), int(total))
    assert "not reproduced: the model did not converge" in output
    cited("6 of 8 survivors for C6 and 7 of 10 for C7")

    c7 = {run: c["C7"] for run, c in seeds.items() if c["C7"]["estimate"] is not None}
    assert set(c7) == set(seeds) - {"seed-2"}
    low, high = min(c7, key=lambda r: c7[r]["estimate"]), max(c7, key=lambda r: c7[r]["estimate"])
    assert (low, high) == ("default", "seed-1")
    assert shows(c7[low]["estimate"], cited("2.95")) and interval(c7[low], "0.58", "15.0")
    assert shows(c7[high]["estimate"], cited("57.8")) and interval(c7[high], "3.82", "874")
    assert [r for r, c in c7.items() if c["ci_low"] <= 1 <= c["ci_high"]] == ["default"]
    contacts = [c["C4"]["levels"]["contact"]["n_contacts"] for c in seeds.values()]
    assert (min(contacts), max(contacts)) == (65, 82) and cited("65 to 82")

    c10a = seeds["default"]["C10a"]
    survivor = c10a["levels"]["survivor"]
    assert c10a["verdict"] == "reproduced" and c10a["primary_level"] == "survivor"
    assert shows(c10a["p_value"], "0.069") and cited("p-value is .069")
    assert interval(c10a, "-0.72", "-0.07") and "Newcombe" in c10a["method"]
    assert "Fisher" in c10a["method"]
    assert (survivor["exposed_yes"], survivor["exposed_n"], survivor["reference_yes"],
            survivor["reference_n"]) == (6, 17, 6, 7)
    cited("6 of 17 survivors of colour against 6 of 7 White survivors")

    ran(lab, "exercise-2", "robustness")
    figure = workdir / "results" / "figures"
    assert (figure / "robustness.png").stat().st_size > 0
    assert "200 studies" in (figure / "robustness.yml").read_text()
    summary = load_summary(runs / "robustness-default.csv")
    assert {row["replications"] for row in summary.values()} == {200.0}
    assert max(r["reproduced_mcse"] for r in summary.values()) <= 0.0355
    published = {cid: summary[(cid, "published")]["reproduced_share"] for cid in CLAIMS}
    for cid, fragment in [("C5", "C5 is reproduced in 100%"), ("C3", "C3 in 97.5%"),
                          ("C1", "C1 in 89.5%"), ("C11", "C11 in 67.5%"), ("C2", "C2 in 59%"),
                          ("C7", "C7 in 79.5%"), ("C6", "C6 in 47%"), ("C8b", "C8b in 45.5%"),
                          ("C8a", "C8a in 44%"), ("C4", "C4 in 24.5%"),
                          ("C10b", "C10b in 19.5%"), ("C9b", "C9b in 18%"),
                          ("C10a", "C10a in 18%"), ("C9a", "C9a in 10%")]:
        assert cites_percent(published[cid], fragment), cid
    assert percent(published["C10c"], "5%") and percent(published["C10d"], "7.5%")
    cited("C10c and C10d in 5% and 7.5%")
    assert shows(sum(published.values()), "7.3") and cited("about 7.3 of the 16 claims")


@pytest.mark.slow
def test_exercise_3_null_and_reversed_worlds(lab):
    workdir, _ = lab
    output = ran(lab, "exercise-3", "scenarios").output
    runs = workdir / "lab-runs"
    worlds = {name: load_claims(runs / f"claims-{name}.json")
              for name in ("default", "null", "reversed", "contrary")}
    for name, claims in worlds.items():
        assert re.search(rf"^{name}\s+{re.escape(compare_line(name, claims))}$", output, re.M)
    null, reversed_, contrary = worlds["null"], worlds["reversed"], worlds["contrary"]

    assert by_verdict(null)["reproduced"] == ["C1", "C3", "C5"]
    cited("Only C1, C3 and C5")
    assert all(null[c]["verdict"] == "inconclusive" for c in TWO_SIDED)
    cited(f"The two-sided ones ({listed(TWO_SIDED)}) are all inconclusive")
    assert [c for c in STATED if null[c]["verdict"] == "inconclusive"] == ["C9b", "C10b"]
    assert [c for c in STATED if null[c]["verdict"] == "not reproduced"] == \
        ["C8a", "C8b", "C9a", "C10a"]
    cited("C9b and C10b are inconclusive")
    cited("C8a, C8b, C9a and C10a are not reproduced")

    verdicts = by_verdict(reversed_)
    assert verdicts["not reproduced"] == ["C4", "C6", "C7", "C8a", "C8b", "C9a", "C10a", "C10b"]
    assert verdicts["reproduced"] == ["C1", "C3", "C5"]
    cited("C4, C6, C7, C8a, C8b, C9a, C10a and C10b are not reproduced; C1, C3 and C5 are "
          "still reproduced")
    for cid, exposure in (("C4", "external_initiation"), ("C6", "visible_injury"),
                          ("C7", "visible_injury")):
        reason = reversed_[cid]["levels"]["contact"]["reason"]
        assert not reversed_[cid]["estimable"] and "separation" in reason and exposure in reason
    cited("(quasi-)complete separation")
    c10b = reversed_["C10b"]
    assert shows(c10b["estimate"], cited("+0.38")) and interval(c10b, "0.03", "0.65")
    assert reversed_["C9b"]["verdict"] == "inconclusive"
    assert shows(reversed_["C9b"]["estimate"], cited("C9b (-0.014)")[5:-1])
    assert all(reversed_[c]["verdict"] == "inconclusive" for c in ("C10c", "C10d"))

    for cid in ("C1", "C2", "C11"):
        assert len({json.dumps(worlds[w][cid]["levels"], sort_keys=True)
                    for w in ("default", "null", "reversed")}) == 1
        assert contrary[cid]["estimate"] != worlds["default"][cid]["estimate"]
    verdicts = by_verdict(contrary)
    assert len(verdicts["not reproduced"]) == 15 and verdicts["inconclusive"] == ["C9b"]
    assert shows(contrary["C9b"]["estimate"], "-0.014")
    cited("15 of the 16 claims are not reproduced there, and only C9b is inconclusive (-0.014)")

    summary = load_summary(runs / "robustness-default.csv")
    false = {c: summary[(c, "null")]["reproduced_share"] for c in ASSOCIATION_CLAIMS}
    lowest, highest = min(false.values()), max(false.values())
    assert [c for c, v in false.items() if v == lowest] == ["C9a"]
    assert [c for c, v in false.items() if v == highest] == ["C10c"]
    assert percent(lowest, "0.5%") and percent(highest, "8%")
    cited("0.5% (C9a) to 8% (C10c)")
    mcse = summary[("C10c", "null")]["reproduced_mcse"]
    assert shows(100 * mcse, "2") and highest - 2 * mcse <= 0.05
    inconclusive = {c: summary[(c, "null")]["inconclusive_share"] for c in TWO_SIDED}
    assert min(inconclusive, key=inconclusive.get) == "C7" and \
        percent(inconclusive["C7"], "91%")
    assert max(inconclusive, key=inconclusive.get) == "C4" and \
        percent(inconclusive["C4"], "95.5%")
    cited("91% (C7) to 95.5% (C4)")
    for cid in STATED:
        row = summary[(cid, "null")]
        assert 0.4 <= row["reproduced_share"] + row["inconclusive_share"] <= 0.6, cid
    assert cites_percent(summary[("C1", "null")]["reproduced_share"], "(C1: 91.5%")
    assert cites_percent(summary[("C1", "published")]["reproduced_share"], "against 89.5%)")

    for cid in CLAIMS:
        row = summary[(cid, "contrary")]
        if cid in ("C9a", "C9b"):
            assert row["reproduced_share"] == 0
        else:
            assert row["not_reproduced_share"] == 1, cid
    assert percent(summary[("C9a", "contrary")]["inconclusive_share"], "20%")
    assert percent(summary[("C9b", "contrary")]["inconclusive_share"], "17%")
    cited("which are inconclusive in 20% and 17%")


@pytest.mark.slow
def test_exercise_4_power(lab):
    workdir, _ = lab
    output = ran(lab, "exercise-4", "power").output
    runs = workdir / "lab-runs"
    power = {name: json.loads((runs / f"power-{name}.json").read_text())
             for name in ("default", "n96", "n240")}
    assert set(power["default"]) == {"black_vs_others", "colour_vs_white"}
    black, colour = power["default"]["black_vs_others"], power["default"]["colour_vs_white"]
    assert (black["n1"], black["n0"]) == (11, 13) and black["reached"]
    assert percent(black["detectable_proportion"], number(cited("only when 98%")))
    assert shows(black["detectable_odds_ratio"], cited("about 57.5")[6:])
    assert (colour["n1"], colour["n0"]) == (17, 7) and not colour["reached"]
    assert colour["detectable_proportion"] is None and colour["reason"]
    assert percent(colour["power_at_one"], number(cited("50% gives 77% power")))
    assert "no share reaches 80% power" in output
    n96 = power["n96"]
    assert percent(n96["black_vs_others"]["detectable_proportion"], "78%")
    assert percent(n96["colour_vs_white"]["detectable_proportion"], "80%")
    cited("With 96 survivors the detectable shares are 78% and 80%")
    n240 = power["n240"]
    assert (n240["black_vs_others"]["n1"], n240["black_vs_others"]["n0"]) == (110, 130)
    assert (n240["colour_vs_white"]["n1"], n240["colour_vs_white"]["n0"]) == (170, 70)
    assert percent(n240["black_vs_others"]["detectable_proportion"], "68%")
    assert percent(n240["colour_vs_white"]["detectable_proportion"], "70%")
    assert shows(n240["black_vs_others"]["detectable_odds_ratio"], "2.1")
    assert shows(n240["colour_vs_white"]["detectable_odds_ratio"], "2.3")
    cited("(110 against 130, and 170 against 70) they are 68% and 70%, odds ratios of about "
          "2.1 and 2.3")

    output = ran(lab, "exercise-4", "simulation").output
    sim = runs / "simulation-default"
    for name in ("power_curves", "coverage"):
        assert (workdir / "results" / "figures" / f"{name}.png").stat().st_size > 0
    assert "survivors needed to reproduce each claim" in output
    perf = load_performance(sim / "performance.csv")
    grid = {(m, n) for _, m, n, _ in perf}
    assert grid == {(m, n) for m in (0.0, 0.5, 1.0) for n in (24, 48, 96, 240)}

    def reproduced(cid, m, n):
        return perf[(cid, m, n, "reproduced")]["estimate"]

    at24 = {cid: reproduced(cid, 1.0, 24) for cid in ASSOCIATION_CLAIMS}
    for cid, fragment in [("C7", "C7 in 80% of the studies"), ("C6", "C6 in 52%"),
                          ("C8b", "C8b in 45%"), ("C8a", "C8a in 44%"),
                          ("C10b", "C10b in 28%"), ("C4", "C4 in 23%"), ("C9a", "C9a in 21%"),
                          ("C10a", "C10a in 20%"), ("C9b", "C9b in 14%")]:
        assert cites_percent(at24[cid], fragment), cid
    assert percent(at24["C10c"], "6%") and percent(at24["C10d"], "5%")
    cited("C10c and C10d in 6% and 5%")
    summary = load_summary(runs / "robustness-default.csv")
    # Eleven comparisons of two Monte Carlo estimates: three combined MCSEs each keeps the
    # chance of a false alarm among them near 3% (two would be near 40%).
    gaps = {}
    for cid in ASSOCIATION_CLAIMS:
        row = summary[(cid, "published")]
        mcse = math.hypot(row["reproduced_mcse"], perf[(cid, 1.0, 24, "reproduced")]["mcse"])
        gaps[cid] = abs(row["reproduced_share"] - at24[cid]) / mcse
        assert gaps[cid] <= 3, cid
    largest = max(gaps, key=gaps.get)
    assert largest == "C9a" and percent(at24["C9a"], "21%")
    assert percent(summary[("C9a", "published")]["reproduced_share"], "10%")
    cited("the largest here is C9a, 21% against 10%")
    assert max(perf[(c, m, n, "reproduced")]["mcse"] for c, m, n, _ in perf
               if c in ASSOCIATION_CLAIMS) <= 0.05
    assert cites_percent(summary[("C7", "published")]["reproduced_share"], "(C7: 79.5%")
    assert cites_percent(summary[("C6", "published")]["reproduced_share"], "C6: 47%)")

    needed = {r["claim"]: r for r in read_csv(sim / "sample_size.csv")}
    assert needed["C7"]["reached"] == "True" and float(needed["C7"]["power_at_24"]) >= 0.8
    assert float(needed["C7"]["survivors_needed"]) == 24
    cited("C7 already reaches 80% at 24 survivors")
    shown = {"C6": "C6 needs about 52", "C8b": "C8b 74", "C8a": "C8a 76", "C4": "C4 131",
             "C10b": "C10b 191", "C10a": "C10a 199", "C9b": "C9b 216"}
    for cid, fragment in shown.items():
        assert math.ceil(float(needed[cid]["survivors_needed"])) == int(number(cited(fragment)))
    never = [cid for cid, r in needed.items() if r["reached"] == "False"]
    assert never == ["C9a", "C10c", "C10d"] and cited("C9a, C10c and C10d do not reach 80%")
    assert percent(float(needed["C9a"]["power_at_largest"]), number(cited("C9a is at 79%")))
    half = {cid: reproduced(cid, 0.5, 240) for cid in ASSOCIATION_CLAIMS}
    for cid, fragment in [("C7", "C7 in 100% of studies"), ("C6", "C6 in 98%"),
                          ("C8b", "C8b in only 79%"), ("C8a", "C8a in 73%"),
                          ("C4", "C4 in 72%"), ("C10b", "C10b in 57%"), ("C10a", "C10a in 48%")]:
        assert cites_percent(half[cid], fragment), cid
    assert percent(half["C9a"], "28%") and percent(half["C9b"], "28%")
    cited("C9a and C9b in 28%")
    nothing = [reproduced(cid, 0.0, n) for cid in ASSOCIATION_CLAIMS for n in (24, 48, 96, 240)]
    assert percent(min(nothing), "0%") and percent(max(nothing), "8%")
    cited("stays between 0% and 8% in every cell")

    truth = [r for r in read_csv(sim / "truth.csv")
             if r["table"] == "grid" and float(r["effect_multiplier"]) == 1.0
             and r["claim"] in ("C10c", "C10d") and r["method"] == "survivor_exact"]
    assert len(truth) == 2 and all(abs(float(r["truth"])) < 0.01 for r in truth)
    cited("within a point of zero")
    coverage = [perf[(cid, 1.0, 24, "coverage")] for cid in ASSOCIATION_CLAIMS]
    assert percent(min(c["estimate"] for c in coverage), "92%")
    assert percent(max(c["estimate"] for c in coverage), "96%")
    assert max(c["mcse"] for c in coverage) <= 0.03 and cited("MCSEs of up to 3 points")
    cited("in 92% to 96% of the studies")
    covariance = {r["covariance"]: r for r in read_csv(sim / "covariance.csv")}
    assert json.loads((workdir / "results" / "claims.json").read_text())["settings"] == \
        {"gee_covariance": "scaled"}
    for name, fragment in [("sandwich", "plain sandwich covers 91.8%"),
                           ("scaled", "before any build, covers 95.9%"),
                           ("mancl_derouen", "Mancl–DeRouen 96.6%")]:
        assert cites_percent(float(covariance[name]["mean_coverage"]), fragment), name
    assert float(covariance["sandwich"]["mean_coverage"]) < 0.95
    chosen = [c for c, r in covariance.items() if r["chosen"] == "True"]
    assert chosen == ["scaled"]
    assert float(covariance["scaled"]["mean_distance"]) < float(
        covariance["mancl_derouen"]["mean_distance"])
    cited("the scaled sandwich is the nearer to 95% on average, so `chosen` marks it")


@pytest.mark.slow
def test_exercise_5_qualitative_rigour(lab):
    workdir, _ = lab
    ran(lab, "exercise-5", "nested-config")
    nested = json.loads((workdir / "lab-runs" / "agreement-nested.json").read_text())
    assert nested["disagreement_rate"] == 0.2 and cited("arrives as `'0.2'`")
    assert nested["bootstrap_seed"] == 7
    assert nested["bootstrap_reps"] == 2000   # the rest of the section is config.yaml's
    cited("`bootstrap_replicates` keeps its value (2,000)")

    bad = ran(lab, "exercise-5", "bad-value")
    assert bad.returncode != 0
    message = ("config key 'qualitative.coder_disagreement_rate' has value 'high'; allowed: a "
               "number >= 0 and <= 0.5")
    assert message in bad.output and cited(message)

    output = ran(lab, "exercise-5", "coders").output
    runs = workdir / "lab-runs"
    low = json.loads((runs / "agreement-08.json").read_text())
    high = json.loads((runs / "agreement-20.json").read_text())
    assert (low["disagreement_rate"], high["disagreement_rate"]) == (0.08, 0.2)
    assert re.search(r"^pooled_kappa\s+0\.901\s+0\.787$", output, re.M), "labtools agreement"
    # the generator's own check: asked for 8% and 20% of 384 case-code decisions
    assert low["case_code_decisions"] == 384 and cited("of the 384 case-code decisions")
    assert (low["case_code_disagreements"], high["case_code_disagreements"]) == (32, 75)
    assert percent(low["case_code_disagreement_share"], "8.3%")
    assert percent(high["case_code_disagreement_share"], "19.5%")
    cited("built 8.3% (32) and 19.5% (75)")
    # agreement over excerpt x code decisions
    assert low["unit"] == "excerpt x code" and low["decisions"] == 4352
    assert low["excerpts"] == 272
    cited("Over the 4,352 excerpt-code decisions")
    assert percent(low["percent_agreement"], "98.9%")
    assert percent(high["percent_agreement"], "97.6%")
    cited("percent agreement falls from 98.9% to 97.6%")
    assert shows(low["pooled_kappa"], "0.90") and shows(high["pooled_kappa"], "0.79")
    assert (low["pooled_band"], high["pooled_band"]) == ("almost perfect", "substantial")
    assert shows(low["pooled_kappa_low"], "0.86") and shows(low["pooled_kappa_high"], "0.93")
    assert shows(high["pooled_kappa_low"], "0.74") and shows(high["pooled_kappa_high"], "0.84")
    cited('pooled kappa from 0.90 ("almost perfect", 95% CI [0.86, 0.93]) to 0.79 '
          '("substantial", [0.74, 0.84])')
    assert shows(low["pooled_ac1"], "0.99") and shows(high["pooled_ac1"], "0.97")
    cited("pooled AC1 from 0.99 to 0.97")
    for run in (low, high):
        for stat in ("kappa", "ac1"):
            assert -1 <= run[f"pooled_{stat}_low"] <= run[f"pooled_{stat}_high"] <= 1
    assert shows(low["krippendorff_alpha"], "0.90") and shows(high["krippendorff_alpha"], "0.79")
    cited("Krippendorff's alpha from 0.90 to 0.79")
    assert shows(low["median_kappa"], "0.91") and shows(high["median_kappa"], "0.79")
    cited("from 0.91 to 0.79")
    assert percent(low["confusable_share"], number(cited("at 8%, 84%")))
    assert percent(low["confusable_share_uniform"], number(cited("uniform flips would put 56%")))
    assert percent(low["by_style"]["brief_or_hedged"]["differ_share"],
                   number(cited("she codes 18%")))
    assert percent(low["by_style"]["full"]["differ_share"], "7%") and cited("against 7% of full")

    assert "code-by-case matrix unchanged" in output and "saturation unchanged" in output
    differing = set(re.findall(r"^Files lab-runs/data-08/(\S+) and ", output, re.M))
    assert differing == {"code_applications.csv", "datapackage.json"}
    assert cited("`code_applications.csv`") and cited("`datapackage.json`")
    saturation = json.loads((runs / "saturation-08.json").read_text())
    assert (saturation["interviews_to_all_in_order"], saturation["interviews_to_all_median"],
            saturation["interviews_to_all_low"], saturation["interviews_to_all_high"],
            saturation["random_orders"]) == (4, 4, 2, 8, 1000)
    cited("in interview order every code had appeared by interview 4, and over 1,000 random "
          "orders the median is 4 (95% of orders between 2 and 8)")

    exchanges = read_csv(runs / "disagreements-08.csv")
    most = max(int(r["excerpts"]) for r in exchanges)
    top = {(r["code_a"], r["code_b"], r["kind"]) for r in exchanges if int(r["excerpts"]) == most}
    assert top == {("no_safety_practice", "safety_practice_received", "instead"),
                   ("partner_arrested", "arrest_not_as_wanted", "instead")}
    assert most == 3 and cited("(3 excerpts each)")

    def per_code(name):
        return {r["code"]: r for r in read_csv(runs / f"agreement-{name}.csv")}

    codes_low, codes_high = per_code("08"), per_code("20")
    # no_arrest: on every survivor, so per survivor kappa would be 0; per excerpt it is not
    no_arrest = codes_low["no_arrest"]
    assert (no_arrest["cases_a"], no_arrest["cases_b"]) == ("24", "21")
    assert (no_arrest["excerpts_a"], no_arrest["excerpts"]) == ("24", "272")
    cited("`no_arrest` is on 24 of 272 excerpts")
    assert (no_arrest["both"], no_arrest["a_only"], no_arrest["b_only"]) == ("21", "3", "2")
    cited("(21 excerpts both coders gave it, 3 only coder A, 2 only coder B)")
    assert shows(float(no_arrest["kappa"]), "0.88") and shows(float(no_arrest["ac1"]), "0.98")
    cited("its kappa is 0.88 at 8%")
    cited("with AC1 0.98")
    per_survivor = binary_coefficients(np.array([21, 3, 0, 0]))
    assert float(per_survivor.kappa) == pytest.approx(0, abs=1e-12)
    assert shows(float(per_survivor.ac1), "0.86")
    cited("it gives 0.86 where kappa gives 0")
    arrested = codes_low["partner_arrested"]
    either = sum(int(arrested[k]) for k in ("both", "a_only", "b_only"))
    assert (arrested["both"], either) == ("8", 15)
    cited("the coders agreed on 8 of the 15 excerpts either of them gave the code")
    for code, before, after in (("partner_arrested", "0.68", "0.40"),
                                ("safety_better", "0.87", "0.60")):
        assert shows(float(codes_low[code]["kappa"]), before)
        assert shows(float(codes_high[code]["kappa"]), after)
    assert codes_high["partner_arrested"]["band"] == "moderate"
    cited('drops from 0.68 to 0.40 ("moderate")')
    cited("`safety_better` from 0.87 to 0.60")
    assert all(float(codes["informal_strategies"]["kappa"]) >= 0.975
               for codes in (codes_low, codes_high))
    cited("`informal_strategies` keeps 0.98 or more in both runs")
    assert shows(float(codes_low["arrest_not_as_wanted"]["kappa"]), "0.73")
    cited("`partner_arrested` has 0.68 and `arrest_not_as_wanted` 0.73")
    for codes in (codes_low, codes_high):
        for row in codes.values():
            for stat in ("kappa", "ac1"):
                if row[f"{stat}_low"]:
                    assert -1 <= float(row[f"{stat}_low"]) <= float(row[f"{stat}_high"]) <= 1


@pytest.mark.slow
def test_exercise_6_changing_a_model(lab):
    workdir, _ = lab
    dry = ran(lab, "exercise-6", "dry-run").output
    jobs = job_stats(dry)
    assert jobs == {"claims": 1, "infer": 1, "robustness_shard": 3, "robustness_merge": 1,
                    "simulation_truth": 1, "simulation_shard": 4, "simulation_merge": 1,
                    "values": 1}
    assert sum(jobs.values()) == 13 and cited("Thirteen jobs")
    cited("three `robustness_shard` jobs (one per scenario)")
    cited("four `simulation_shard` jobs (one per sample size)")
    assert not jobs.keys() & {"generate", "check_committed", "describe", "qualitative"}
    cited("Not `generate`, `check_committed`, `describe` or `qualitative`")
    changed = reasons(dry, "params have changed since last execution")
    assert changed == {"claims", "infer", "robustness_shard", "simulation_shard",
                       "simulation_truth"}
    cited('"params have changed since last execution" for `claims`, `infer`, '
          '`robustness_shard`, `simulation_shard` and `simulation_truth`')

    ran(lab, "exercise-6", "run")
    runs = workdir / "lab-runs"
    before = load_claims(runs / "claims-default.json")
    after = load_claims(runs / "claims-treated-poorly.json")
    for cid, est, low, high in (("C6", "2.17", "1.43", "3.29"), ("C7", "2.95", "0.58", "15.0")):
        assert shows(before[cid]["estimate"], cited(est)) and interval(before[cid], low, high)
    for cid, est, low, high in (("C6", "2.21", "1.40", "3.49"), ("C7", "2.87", "0.52", "15.7")):
        assert after[cid]["verdict"] == before[cid]["verdict"]
        assert shows(after[cid]["estimate"], cited(est)) and interval(after[cid], low, high)
    assert (after["C6"]["verdict"], after["C7"]["verdict"]) == ("reproduced", "inconclusive")
    assert {cid: c["verdict"] for cid, c in after.items()} == \
        {cid: c["verdict"] for cid, c in before.items()}
    rows = [r for r in read_csv(workdir / "results" / "inference" / "models.csv")
            if r["model"] == "Arrest" and r["term"] == "treated_poorly"]
    assert len(rows) == 1
    row = {k: float(rows[0][k]) for k in ("odds_ratio", "ci_low", "ci_high", "p_value")}
    assert shows(row["odds_ratio"], "0.83") and shows(row["ci_low"], "0.24")
    assert shows(row["ci_high"], "2.89") and shows(row["p_value"], "0.76")
    cited("The odds ratio for feeling treated poorly is 0.83 (0.24 to 2.89, p = .76)")

    needed = {name: {r["claim"]: r for r in read_csv(runs / f"simulation-{name}" /
                                                         "sample_size.csv")}
              for name in ("default", "treated-poorly")}
    for cid, now, then in (("C6", "42%", "52%"), ("C7", "76%", "80%")):
        assert percent(float(needed["treated-poorly"][cid]["power_at_24"]), now)
        assert percent(float(needed["default"][cid]["power_at_24"]), then)
        cited(f"{cid} is reproduced in {now} of studies instead of {then}" if cid == "C6"
              else f"{cid} in {now} instead of {then}")
    assert float(needed["default"]["C7"]["survivors_needed"]) == 24
    assert math.ceil(float(needed["treated-poorly"]["C7"]["survivors_needed"])) == 28
    cited("C7 now needs about 28 survivors for 80% instead of 24")
    summaries = {name: load_summary(runs / f"robustness-{name}.csv")
                 for name in ("default", "treated-poorly")}
    for name, shown in (("default", "3.5%"), ("treated-poorly", "7.5%")):
        for cid in ("C6", "C7"):
            row = summaries[name][(cid, "null")]
            assert percent(1 - row["estimable_share"], shown), (name, cid)
            assert abs(row["not_reproduced_share"] - (1 - row["estimable_share"])) < 1e-9
    cited("rises from 3.5% to 7.5%")
