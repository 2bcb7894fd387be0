"""End to end: the real workflow builds the real manuscript, deterministically.

The builds run in scratch copies of the repository with few robustness
replications, set through ``--config`` (the same code path as the default).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from html import unescape
from pathlib import Path

import pytest
import yaml

from analysis.dev.verify import compare, output_hashes
from analysis.dev.workspace import ROOT, copy_repository, snakemake, workflow_env

pytestmark = pytest.mark.slow

FAST = ["robustness_replications=40", "robustness_shards=2"]
FINAL_OUTPUTS = [
    "results/manuscript/manuscript.html",
    "results/manuscript/manuscript.pdf",
    "results/manuscript/manuscript.docx",
    "results/claims.json",
    "results/values.yml",
    "results/robustness/summary.csv",
    "results/robustness/replications.csv",
    "results/exchange/study.qdpx",
    "results/exchange/codebook.qdc",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """One full build with one core."""
    repo = copy_repository(tmp_path_factory.mktemp("build") / "a")
    result = snakemake(["--cores", "1", "--config", *FAST], repo, timeout=1800)
    assert result.returncode == 0, result.output[-4000:]
    return repo


@pytest.fixture(scope="module")
def built_again(tmp_path_factory) -> Path:
    """A second full build, at a longer path, with four cores."""
    repo = copy_repository(tmp_path_factory.mktemp("build") / "second-build-at-another-path")
    result = snakemake(["--cores", "4", "--config", *FAST], repo, timeout=1800)
    assert result.returncode == 0, result.output[-4000:]
    return repo


def test_every_final_output_exists_and_is_nonempty(built):
    for name in FINAL_OUTPUTS:
        path = built / name
        assert path.exists(), name
        assert path.stat().st_size > 0, name
    assert (built / "results/manuscript/manuscript.pdf").read_bytes().startswith(b"%PDF")


def test_claims_json_has_every_claim_with_its_fields(built):
    from analysis.steps.claims import load_registry
    from analysis.study.vocabulary import VERDICTS

    claims = json.loads((built / "results/claims.json").read_text())["claims"]
    assert [c["id"] for c in claims] == [entry["id"] for entry in load_registry()]
    for claim in claims:
        for key in ("id", "statement", "method", "estimand", "estimate", "ci_low", "ci_high",
                    "p_value", "p_value_holm", "expected_direction", "observed_direction",
                    "primary_level", "levels", "verdict", "reproduced", "reason"):
            assert key in claim, (claim["id"], key)
        assert claim["verdict"] in VERDICTS, claim["id"]
        assert claim["reproduced"] == (claim["verdict"] == VERDICTS[0]), claim["id"]
        assert claim["reason"], claim["id"]
    verdicts = [c["verdict"] for c in claims]
    # The default model builds in the abstract's patterns: at n = 24 some claims are
    # reproduced and none points the wrong way (the rest are honestly inconclusive).
    assert VERDICTS[0] in verdicts and VERDICTS[2] not in verdicts, verdicts


def _leaves(tree, prefix=""):
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _leaves(value, f"{prefix}{key}.")
    else:
        yield prefix[:-1], str(tree)


def test_manuscript_quotes_the_values_and_leaves_no_raw_markup(built):
    html = (built / "results/manuscript/manuscript.html").read_text(encoding="utf-8")
    html = re.sub(r"\s+", " ", html)  # Pandoc wraps long lines
    values = yaml.safe_load((built / "results/values.yml").read_text(encoding="utf-8"))
    for key in ("claims.C4.contact.estimate", "claims.C7.ci", "claims.C10b.survivor.summary",
                "study.seed", "qualitative.pooled_kappa", "robustness.null_max",
                "practices.any_overall", "power.black_vs_others.sentence",
                "simulation.C10b.survivors_needed"):
        value = dict(_leaves(values))[key]
        assert value.replace("\u2212", "&minus;") in html or value in html, key
    for raw in ("{{<", "@fig-", "@tbl-", "??"):
        assert raw not in html, raw
    assert "Content note" in html
    assert "synthetic" in html.lower()


def test_the_rendered_paper_copies_no_eight_words_of_a_source(built):
    """Values, tables and captions included: the paper as a reader gets it."""
    from analysis.dev import overlap

    html = (built / "results/manuscript/manuscript.html").read_text(encoding="utf-8")
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = unescape(re.sub(r"<[^>]+>", " ", text))
    assert "Content note" in text
    assert overlap.shared(text, overlap.read_fixture()) == []


def test_the_paper_names_the_engine_that_rendered_it(built):
    """values.yml records the engine the workflow chose (Quarto if on PATH), and the paper,
    its software table and the render log agree with it."""
    from analysis.render.engine import docx_text
    from analysis.render.tools import detect

    tools = detect("auto")
    values = yaml.safe_load((built / "results/values.yml").read_text(encoding="utf-8"))
    assert values["render_engine"] == tools.label
    assert values["render"] == {"engine": tools.engine, "software": dict(tools.software)}
    software = (built / "results/tables/software.md").read_text(encoding="utf-8")
    for name, version in tools.software:
        assert f"| {name} | {version} |" in software
    html = re.sub(r"\s+", " ", (built / "results/manuscript/manuscript.html").read_text())
    assert f"It was rendered with {tools.label}." in html
    docx = docx_text((built / "results/manuscript/manuscript.docx").read_bytes())
    assert f"It was rendered with {tools.label}." in docx
    log = (built / "results/logs/render.log").read_text(encoding="utf-8")
    assert log.startswith(f"render engine: {tools.label}\n")
    # Nothing generated beside the sources, and no Quarto cache in the repository.
    assert sorted(p.name for p in (built / "manuscript").iterdir()) == [
        "apa.csl", "manuscript.qmd", "references.bib", "sections"]
    assert all(p.suffix == ".md" for p in (built / "manuscript/sections").iterdir())
    assert not (built / ".quarto").exists()


@pytest.mark.skipif(shutil.which("quarto") is None,
                    reason="quarto is not on PATH: only the fallback renders the paper here")
def test_quarto_and_the_fallback_render_the_same_paper(built, tmp_path):
    """The real manuscript, from the same results, by both engines: the same headings,
    figures, tables, cross-reference targets, citations and numbers (HTML and DOCX)."""
    from analysis.render.engine import render_manuscript
    from analysis.render.sources import manuscript_files
    from analysis.render.tools import detect
    from tests.render.structure import differences, docx_structure, html_structure

    labels = [detect(engine).label for engine in ("quarto", "pandoc")]
    structures = {}
    for engine, label in zip(("quarto", "pandoc"), labels, strict=True):
        values = yaml.safe_load((built / "results/values.yml").read_text(encoding="utf-8"))
        values["render_engine"] = label  # as the values step writes it for that engine
        path = tmp_path / f"values-{engine}.yml"
        path.write_text(yaml.safe_dump(values), encoding="utf-8")
        outdir = tmp_path / engine
        render_manuscript(built / "manuscript", outdir, path, engine=engine)
        structures[engine] = (
            html_structure((outdir / "manuscript.html").read_text(encoding="utf-8"), labels),
            docx_structure((outdir / "manuscript.docx").read_bytes(), labels))
        assert (outdir / "manuscript.pdf").read_bytes().startswith(b"%PDF-")
    # What the paper must hold, read from its sources: every labelled figure and table,
    # and one bibliography entry per entry of references.bib (each is cited).
    files = manuscript_files(built / "manuscript", built)
    text = "".join((built / name).read_text(encoding="utf-8")
                   for name in (*files.sources, *files.includes) if name.endswith(".md")
                   or name.endswith(".qmd"))
    n_figures = len(set(re.findall(r"\{#(fig-[\w-]+)", text)))
    n_tables = len(set(re.findall(r"#(tbl-[\w-]+)\}", text)))
    n_entries = (built / "manuscript/references.bib").read_text(encoding="utf-8").count("\n@")
    for quarto, pandoc in zip(*structures.values(), strict=True):
        assert differences(quarto, pandoc) == []
        assert (len(quarto.figures), len(quarto.tables)) == (n_figures, n_tables)
        assert quarto.references == n_entries and quarto.citations >= n_entries
        assert len(quarto.numbers) > 800
    assert sorted(p.name for p in (built / "manuscript").iterdir()) == [
        "apa.csl", "manuscript.qmd", "references.bib", "sections"]
    assert all(p.suffix == ".md" for p in (built / "manuscript/sections").iterdir())


def test_no_op_rebuild_runs_nothing(built):
    result = snakemake(["--cores", "1", "--config", *FAST], built)
    assert result.returncode == 0, result.output[-2000:]
    assert result.jobs == [], result.jobs


def _dry_run_rules(repo: Path, *extra: str) -> set[str]:
    result = snakemake(["--cores", "1", "-n", "--config", *FAST, *extra], repo)
    assert result.returncode == 0, result.output[-2000:]
    return set(result.jobs)


#: The entry modules of each job, as the commands name them (rule -> step of analysis.cli).
JOB_STEPS = {"generate": "generate", "check_committed": "check_committed",
             "describe": "describe", "infer": "infer",
             "qualitative": "qualitative", "claims": "claims",
             "robustness_shard": "robustness_shard", "robustness_merge": "robustness_merge",
             "simulation_truth": "simulation_truth", "simulation_shard": "simulation_shard",
             "simulation_merge": "simulation_merge",
             "values": "values", "exchange": "exchange", "render": "render", "crate": "crate"}


def _job_modules() -> dict[str, tuple[str, ...]]:
    """Every job of a synthetic build and the modules its command runs (by name).

    The crate's job also loads the workflow (to read its job graph), so the modules
    the Snakefile and the rule files import are its entries too.
    """
    from analysis.paper.figures import FIGURES
    from analysis.provenance.jobs import workflow_modules

    entries = {rule: ("analysis.__main__", f"analysis.cli.{step}")
               for rule, step in JOB_STEPS.items()}
    workflow = [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]
    entries["crate"] += tuple(workflow_modules(workflow))
    for name, spec in FIGURES.items():
        entries[f"figure:{name}"] = ("analysis.__main__", "analysis.cli.figure",
                                     spec.module_name)
    return entries


def _dry_run_jobs(repo: Path, *extra: str) -> dict[str, set[str]]:
    """Each job of a dry run (``rule`` or ``figure:<name>``) with its input files."""
    result = snakemake(["--cores", "1", "-n", "--config", *FAST, *extra], repo)
    assert result.returncode == 0, result.output[-2000:]
    jobs: dict[str, set[str]] = {}
    for block in re.split(r"^rule ", result.output, flags=re.M)[1:]:
        rule = block.split(":", 1)[0]
        name = re.search(r"^\s*wildcards:.*\bname=(\w+)", block, re.M)
        inputs = re.search(r"^\s*input: (.*)$", block, re.M)
        job = f"{rule}:{name[1]}" if rule == "figure" else rule
        jobs.setdefault(job, set()).update(inputs[1].split(", ") if inputs else [])
    return jobs


def test_every_module_is_an_input_of_exactly_the_jobs_that_import_it(built):
    """The rerun matrix: for every module of the package, the jobs it reruns.

    Snakemake reruns a job when one of its input files changes, so the jobs
    that list a module among their inputs are the jobs that editing it reruns.
    The expectation comes from the import graph (each job's command and what it
    imports, directly or through other modules), the observation from
    Snakemake's own dry run of every job.
    """
    from analysis.dependencies import module_path, transitive_imports
    from tests.conftest import all_modules

    entries = _job_modules()
    jobs = _dry_run_jobs(built, "--forceall")
    assert set(jobs) - {"all"} == set(entries)
    matrix = {}
    for module in all_modules():
        path = module_path(module).relative_to(ROOT).as_posix()
        observed = {job for job, inputs in jobs.items() if path in inputs}
        expected = {job for job, names in entries.items()
                    if any(module in transitive_imports(name) for name in names)}
        matrix[module] = sorted(observed)
        assert observed == expected, (module, observed ^ expected)
    assert len(matrix) > 60
    # A figure's module reruns that figure only; a step's module reruns that step.
    assert matrix["analysis.paper.figures.arrest"] == ["figure:arrest_curve"]
    assert matrix["analysis.steps.qualitative"] == ["qualitative"]
    assert "exchange" in matrix["analysis.palette"]
    assert matrix["analysis.dev.benchmark"] == []


@pytest.mark.parametrize(("module", "reruns"), [
    ("analysis/paper/figures/arrest.py", {"figure:arrest_curve", "render", "crate", "all"}),
    ("analysis/steps/qualitative.py", {"qualitative", "values", "figure:code_by_case",
                                       "figure:code_saturation", "render", "crate", "all"}),
    ("analysis/palette.py", None),
])
def test_a_real_edit_reruns_the_jobs_that_import_it_and_what_follows(built, module, reruns):
    copy = built / module
    original = copy.read_text(encoding="utf-8")
    try:
        copy.write_text(original + "\n# an edit\n", encoding="utf-8")
        jobs = set(_dry_run_jobs(built))
    finally:
        copy.write_text(original, encoding="utf-8")
    if reruns is not None:
        assert jobs == reruns
    else:  # the palette colours the codes in the REFI-QDA exports and every figure
        assert {"exchange", "figure:robustness", "figure:code_by_case"} <= jobs
        assert not jobs & {"generate", "describe", "infer", "claims", "robustness_shard"}
    assert set(_dry_run_jobs(built)) == set(), "after the edit is undone nothing reruns"


def test_changing_alpha_reruns_only_what_uses_it(built):
    rules = _dry_run_rules(built, "alpha=0.1")
    # qualitative: the kappa intervals and the saturation band are at 1 - alpha
    assert {"claims", "infer", "describe", "qualitative", "values", "render"} <= rules
    assert not rules & {"generate", "exchange"}, rules


def test_two_builds_at_different_paths_and_core_counts_are_byte_identical(built, built_again):
    rows = compare(output_hashes(built), output_hashes(built_again))
    different = [r for r in rows if r[3] != "same"]
    assert len(rows) > 60
    assert different == []


def test_interrupted_build_resumes_to_the_same_bytes(built, tmp_path):
    repo = copy_repository(tmp_path / "interrupted")
    executable = Path(sys.executable).parent / "snakemake"
    proc = subprocess.Popen([str(executable), "--cores", "2", "--config", *FAST], cwd=repo,
                            env=workflow_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    shard_log = repo / "results" / "logs" / "robustness"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not (shard_log.exists() and any(shard_log.iterdir())):
        time.sleep(0.2)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert not (repo / "results/manuscript/manuscript.pdf").exists(), "killed too late"
    # A killed Snakemake leaves its lock behind; --unlock is the documented way on.
    assert snakemake(["--unlock"], repo).returncode == 0
    resumed = snakemake(["--cores", "2", "--config", *FAST], repo, timeout=1800)
    assert resumed.returncode == 0, resumed.output[-4000:]
    assert list((repo / "results").rglob("*.part")) == []
    rows = compare(output_hashes(built), output_hashes(repo))
    assert [r for r in rows if r[3] != "same"] == []


def test_lint_is_clean():
    env = workflow_env()
    ruff = subprocess.run([str(Path(sys.executable).parent / "ruff"), "check", "analysis",
                           "tests", "workflow"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    lint = snakemake(["--lint"], ROOT)
    assert lint.returncode == 0, lint.output[-3000:]
    assert "Lints for" not in lint.output, lint.output[-3000:]


#: Runs ``python -m analysis ...`` and writes the names of the package's modules it loaded.
TRACER = ("import atexit, json, runpy, sys; out = sys.argv.pop(1); "
          "atexit.register(lambda: open(out, 'w').write(json.dumps(sorted("
          "m for m in sys.modules if m.split('.')[0] == 'analysis')))); "
          "sys.argv[0] = 'analysis'; runpy.run_module('analysis', run_name='__main__', "
          "alter_sys=True)")


def test_the_import_graph_covers_every_module_a_job_loads(built, tmp_path):
    """Every module a job's command really loads is among the modules its rule lists.

    The derived inputs come from reading the code (imports anywhere in a
    module, so a superset of what one run loads); this runs every job's own
    shell command again, byte-identically, and records what Python loaded.
    """
    from analysis.dependencies import module_path

    result = snakemake(["--cores", "1", "-n", "-p", "--forceall", "--config", *FAST], built)
    assert result.returncode == 0, result.output[-2000:]
    commands = [line.split("Shell command:", 1)[1].strip() for line in result.output.splitlines()
                if "Shell command: python -m analysis" in line]
    jobs = _dry_run_jobs(built, "--forceall")
    # One command per job; rule all runs nothing (the shards of a rule share one entry).
    assert len(commands) == len([job for job in result.jobs if job != "all"]), result.jobs
    for i, command in enumerate(commands):
        trace = tmp_path / f"trace-{i}.json"
        traced = command.replace("python -m analysis ",
                                 f"{sys.executable} -c {shlex.quote(TRACER)} {trace} ", 1)
        run = subprocess.run(["bash", "-c", traced], cwd=built, env=workflow_env(),
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, (command, run.stderr[-2000:])
        loaded = json.loads(trace.read_text())
        step = command.split()[3]
        listed = next(inputs for job, inputs in jobs.items()
                      if job.split(":")[0] == step.replace("-", "_")
                      and (step != "figure" or job == f"figure:{command.split()[4]}"))
        files = {module_path(m).relative_to(ROOT).as_posix() for m in loaded}
        assert files <= listed, (command, files - listed)


def test_a_configfile_reaches_every_step_and_the_rendered_paper(tmp_path):
    """The defect this replaced: the parameters table read config/config.yaml behind the rule,
    so a build from another configuration file printed the default coefficients."""
    repo = copy_repository(tmp_path / "alt")
    config = yaml.safe_load((repo / "config" / "config.yaml").read_text(encoding="utf-8"))
    config["model"]["arrest"]["visible_injury"]["effect"] = 0.25
    config["robustness_replications"], config["robustness_shards"] = 40, 2
    (repo / "alt.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    result = snakemake(["--cores", "2", "--configfile", "alt.yaml"], repo, timeout=1800)
    assert result.returncode == 0, result.output[-4000:]
    table = (repo / "results" / "tables" / "parameters.md").read_text(encoding="utf-8")
    assert "| Arrest | visible injury | +0.25 |" in table
    html = re.sub(r"\s+", " ", (repo / "results/manuscript/manuscript.html").read_text())
    assert re.search(r"visible injury</td>\s*<td[^>]*>\+0\.25</td>", html), "rendered table"
    assert "+1.90" not in table


def test_the_report_goes_under_results_and_holds_no_absolute_path(built):
    """make report writes results/report.html and nothing else beside the repository's files."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--report results/report.html" in makefile
    before = {p.name for p in built.iterdir()}
    result = snakemake(["--cores", "1", "--config", *FAST, "--report", "results/report.html"],
                       built)
    assert result.returncode == 0, result.output[-2000:]
    assert {p.name for p in built.iterdir()} == before
    report = (built / "results" / "report.html").read_bytes()
    assert str(built).encode() not in report and sys.executable.encode() not in report


# --- the build's RO-Crate (analysis/provenance) ----------------------------------------------

def _crate_graph(repo: Path) -> dict[str, dict]:
    crate = json.loads((repo / "results" / "ro-crate-metadata.json").read_text(encoding="utf-8"))
    return {entity["@id"]: entity for entity in crate["@graph"]}


def _ids(value) -> list[str]:
    return [v["@id"] for v in (value if isinstance(value, list) else [value])]


def test_the_crate_has_one_action_per_job_with_its_rule_files_and_configuration(built):
    """The jobs the crate records are the jobs a forced dry run of Snakemake lists, each with
    its rule, its outputs as results and the configuration values its step was given."""
    from collections import Counter

    from analysis.config import load_config

    graph = _crate_graph(built)
    actions = {i: e for i, e in graph.items() if i.startswith("#job-")
               and e["@type"] in ("CreateAction", "ActivateAction")}
    dry = snakemake(["--cores", "1", "-n", "--forceall", "--config", *FAST], built)
    assert dry.returncode == 0, dry.output[-2000:]
    rules = Counter(graph[a["instrument"]["@id"]]["name"] for a in actions.values())
    assert rules == Counter(dry.jobs)
    assert rules["figure"] == 11 and rules["robustness_shard"] == 6 and rules["crate"] == 1
    config = load_config(overrides={"robustness_replications": 40, "robustness_shards": 2})
    for action in actions.values():
        command = action["description"]
        for value_id in _ids(action.get("object", [])):
            if value_id.startswith("#config-"):
                key = graph[value_id]["name"]
                assert f'"{key}":' in command, (action["@id"], key)  # given to the step
        match = re.search(r"--params '(\{.*?\})'", command)
        given = json.loads(match[1]) if match else {}
        listed = {graph[i]["name"] for i in _ids(action.get("object", []))
                  if i.startswith("#config-")}
        assert listed == set(given), action["@id"]
        assert all(config[key] == value for key, value in given.items())
    # every configuration value, as the build used it
    for key, value in config.items():
        shown = graph[f"#config-{key}"]["value"]
        if isinstance(value, (bool, int, float, str)):
            assert shown == value, key
        elif isinstance(value, list):
            assert json.loads(shown) == value, key
    assert graph["#config-robustness_replications"]["value"] == 40
    assert graph["#config-model.arrest.visible_injury.effect"]["value"] == (
        config["model"]["arrest"]["visible_injury"]["effect"])
    claims = actions["#job-claims"]
    assert claims["result"] == {"@id": "claims.json"}
    assert "data/synthetic/participants.csv" in _ids(claims["object"])
    assert "#source/analysis/steps/claims.py" in _ids(claims["object"])
    assert _ids(actions["#job-robustness_shard-published-0"]["result"]) == [
        "#intermediate/robustness/shards/published-0.csv"]
    assert set(_ids(actions["#job-crate"]["result"])) >= {"ro-crate-metadata.json",
                                                         "workflow/Snakefile", "README.md"}


def test_every_result_is_in_the_crate_with_its_sha256(built_again):
    """(The second build: tests of the first one rerun jobs' commands by hand.)"""
    from analysis.io import sha256

    built = built_again
    graph = _crate_graph(built)
    results = built / "results"
    kept = sorted(p.relative_to(results).as_posix() for p in results.rglob("*")
                  if p.is_file() and p.name != "ro-crate-metadata.json"
                  and "logs" not in p.relative_to(results).parts)
    described = sorted(_ids(graph["./"]["hasPart"]))
    assert described == kept
    for name in kept:
        assert graph[name]["sha256"] == sha256(results / name), name
        assert graph[name]["contentSize"] == str((results / name).stat().st_size), name
        assert graph[name]["encodingFormat"], name
    for name in FINAL_OUTPUTS:
        assert name.removeprefix("results/") in described, name
    # the committed synthetic study is an input, with its checksum, outside the crate
    committed = graph["#source/data/synthetic/participants.csv"]
    assert committed["sha256"] == sha256(built / "data/synthetic/participants.csv")
    assert "#source/data/synthetic/participants.csv" in _ids(graph["#run"]["object"])
    assert graph["workflow/Snakefile"]["sha256"] == sha256(built / "Snakefile")
    text = (results / "ro-crate-metadata.json").read_text(encoding="utf-8")
    assert str(built) not in text and sys.executable not in text


def test_the_crate_is_byte_identical_across_builds(built, built_again):
    first = (built / "results" / "ro-crate-metadata.json").read_bytes()
    assert (built_again / "results" / "ro-crate-metadata.json").read_bytes() == first
    assert len(first) > 100_000


def test_the_reviewers_check_of_a_rebuild_and_of_a_changed_output(built, built_again, tmp_path):
    """A second build (another path, four cores) against the first build's crate: every
    checksum the same; then one changed output is the one file listed."""
    crate = built / "results" / "ro-crate-metadata.json"
    command = [sys.executable, "-m", "analysis", "verify-crate", str(crate),
               "--results", "results"]
    same = subprocess.run(command, cwd=built_again, env=workflow_env(), capture_output=True,
                          text=True)
    assert same.returncode == 0, same.stdout + same.stderr
    lines = same.stdout.strip().splitlines()
    assert len(lines) == 1 and re.fullmatch(
        r"(\d+) files checked against the crate: \1 same, 0 differs, 0 missing", lines[0])
    changed = tmp_path / "changed"
    shutil.copytree(built_again / "results", changed / "results")
    claims = changed / "results" / "claims.json"
    claims.write_text(claims.read_text(encoding="utf-8").replace('"reproduced"', '"inconclusive"',
                                                                 1), encoding="utf-8")
    result = subprocess.run([*command[:5], "--results", str(changed / "results"),
                             "--repository", str(built_again)], env=workflow_env(),
                            capture_output=True, text=True)
    assert result.returncode == 1
    listed = result.stdout.strip().splitlines()
    assert len(listed) == 2 and listed[0].startswith("differs     claims.json  crate ")
    assert re.fullmatch(r"\d+ files checked against the crate: \d+ same, 1 differs, 0 missing",
                        listed[1])


def test_the_crate_validates_offline_with_no_failed_required_check(built, tmp_path):
    """roc-validator, offline, Provenance Run Crate 0.5 at the RECOMMENDED level: no REQUIRED
    check fails, none is skipped, and the RECOMMENDED ones that fail are those the README
    lists with their reasons. Its proxies point at nothing: no request could leave."""
    from analysis.provenance.validate import failures, run_validator

    env = {**workflow_env(), "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY":
           "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
           "https_proxy": "http://127.0.0.1:9", "NO_PROXY": ""}
    report = run_validator(built / "results", tmp_path, env=env)
    assert report["statistics"]["total_checks_by_severity"]["REQUIRED"] > 50
    assert report["skipped_checks"] == 0
    failed = failures(report)
    assert [f for f in failed if f.severity == "REQUIRED"] == []
    recommended = {f.check for f in failed if f.severity == "RECOMMENDED"}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([\w.-]+_\d+\.\d+)` \|", readme, re.M))
    assert recommended == documented
