"""The build described as a Workflow Run RO-Crate (Provenance Run Crate 0.5).

Writes ``<results>/ro-crate-metadata.json`` and a copy of the workflow
definition (the Snakefile and the rule files) under ``<results>/workflow/``.
The jobs, their files and parameters are read from Snakemake's job graph for
the configuration given (``--config``, every key, as the build used it); the
checksums are computed from the files themselves. Run it from the workflow's
directory, after the build.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True,
                        help="JSON object of the build's whole configuration (every key)")
    parser.add_argument("--results", type=Path, required=True,
                        help="the build's results directory: the crate's root")
    parser.add_argument("--workflow", type=Path, nargs="+", required=True,
                        help="the workflow's files (Snakefile and rule files) to copy into the "
                             "crate")
    parser.add_argument("--date", required=True,
                        help="the crate's datePublished (YYYY-MM-DD): the date of the commit "
                             "the build was made from")
    parser.add_argument("--citation", type=Path, default=Path("CITATION.cff"),
                        help="the package's citation file (title, authors, licence)")
    parser.add_argument("--restricted-data", default=None,
                        help="restricted builds: the directory of the restricted tables, which "
                             "the crate names by SHA-256 only")


def run(args: argparse.Namespace) -> None:
    import datetime

    from analysis.config import load_schema
    from analysis.io import read_yaml, sha256, write_bytes, write_text
    from analysis.provenance import software
    from analysis.provenance.crate import (
        BuildFacts,
        FileFacts,
        build_crate,
        crate_bytes,
        crate_readme,
    )
    from analysis.provenance.jobs import workflow_jobs
    from analysis.provenance.profile import (
        CRATE_NAME,
        README,
        RESULTS_LICENSE,
        workflow_copy,
    )

    try:
        config = json.loads(args.config)
    except json.JSONDecodeError as error:
        raise ValueError(f"--config is not a JSON object: {error}") from None
    if not isinstance(config, dict):
        raise ValueError("--config must be a JSON object of the configuration")
    try:
        datetime.date.fromisoformat(args.date)
    except ValueError:
        raise ValueError(f"--date '{args.date}' is not a date (YYYY-MM-DD)") from None
    results = Path(args.results)
    root = Path.cwd()
    jobs = workflow_jobs(root, config)

    title = str(read_yaml(args.citation)["title"])
    name = f"{title}: build results" + (" (restricted data)" if args.restricted_data else "")
    description = (
        f"The results of one build of '{title}', with the provenance of every file: the "
        "workflow, its configuration, each job with its inputs and outputs, and the software "
        "that ran. "
        + ("The data are restricted: only aggregate, suppressed results are part of this crate, "
           + ("and the restricted inputs are named by their SHA-256 only."
              if config.get("publish_restricted_hashes") else
              "and the restricted inputs are named by number only, without a checksum.")
           if args.restricted_data else
           "Every row of data is synthetic; no real participant data exist in this build."))
    write_text(results / README, crate_readme(name, description, results.as_posix()))

    copies = {}
    for path in args.workflow:
        rel = path.as_posix()
        copy = workflow_copy(rel)
        write_bytes(results / copy, (root / path).read_bytes())
        copies[copy] = rel

    crate_path = (results / CRATE_NAME).as_posix()
    paths = {p for job in jobs for p in (*job.inputs, *job.outputs)} - {crate_path}
    paths |= {(results / copy).as_posix() for copy in [*copies, README]}
    files = {p: FileFacts(sha256(root / p), (root / p).stat().st_size)
             for p in sorted(paths) if (root / p).is_file()}

    citation = read_yaml(args.citation)
    values = read_yaml(results / "values.yml")
    render_rules = {job.rule for job in jobs
                    if job.command.startswith("python -m analysis render ")}
    render = software.render_programs(values.get("render", {}))
    schema = load_schema().get("properties", {})
    restricted = args.restricted_data
    facts = BuildFacts(
        jobs=jobs, config=config, results=results.as_posix(), files=files,
        workflow_copies=copies,
        software=[software.python(), *software.python_packages()],
        engine=software.package("snakemake"), date=args.date,
        version=software.metadata.version(software.project_distribution()),
        authors=[str(a.get("name") or " ".join(filter(None, (a.get("given-names"),
                                                              a.get("family-names")))))
                 for a in citation.get("authors", [])],
        name=name,
        description=description, results_license=RESULTS_LICENSE,
        code_license=str(citation.get("license", "MIT")), restricted=restricted,
        restricted_hashes=bool(config.get("publish_restricted_hashes", False)),
        rule_software={rule: render for rule in render_rules},
        descriptions={k: str(v["description"]) for k, v in schema.items()
                      if isinstance(v, dict) and "description" in v})
    write_bytes(results / CRATE_NAME, crate_bytes(build_crate(facts)))
    print(f"crate: {len(jobs)} jobs, {len(files)} files with SHA-256 -> {results / CRATE_NAME}")
