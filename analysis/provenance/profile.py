"""The profile the build's crate conforms to, and what the crate leaves out.

The crate follows the Provenance Run Crate profile, version 0.5 (Workflow Run
RO-Crate working group; https://w3id.org/ro/wfrun/provenance/0.5), which
extends Workflow Run Crate 0.5, Process Run Crate 0.5 and Workflow RO-Crate
1.0, all on RO-Crate 1.1. Version 0.5 is the newest one the RO-Crate validator
(roc-validator 0.13) implements, so it is the one a reader can check.
"""

from __future__ import annotations

import datetime
import os
import subprocess
from dataclasses import dataclass

#: The crate's metadata file, at the root of the build's results directory, and the
#: README beside it (Workflow RO-Crate recommends one, about the crate).
CRATE_NAME = "ro-crate-metadata.json"
README = "README.md"
#: The RO-Crate version the crate is written in, and its JSON-LD context.
ROCRATE_VERSION = "1.1"
CONTEXT_URL = f"https://w3id.org/ro/crate/{ROCRATE_VERSION}/context"
#: The one term the crate uses beyond RO-Crate 1.1: a file's SHA-256, as the
#: Workflow Run RO-Crate vocabulary (ro-terms, workflow-run namespace) defines it.
EXTRA_TERMS = {"sha256": "https://w3id.org/ro/terms/workflow-run#sha256"}


@dataclass(frozen=True)
class Profile:
    """One profile the crate's root conforms to (a ``CreativeWork`` in the crate)."""

    id: str
    name: str
    version: str


#: What the crate's root data entity declares it conforms to, most specific first.
PROFILES = (
    Profile("https://w3id.org/ro/wfrun/provenance/0.5", "Provenance Run Crate", "0.5"),
    Profile("https://w3id.org/ro/wfrun/workflow/0.5", "Workflow Run Crate", "0.5"),
    Profile("https://w3id.org/ro/wfrun/process/0.5", "Process Run Crate", "0.5"),
    Profile("https://w3id.org/workflowhub/workflow-ro-crate/1.0", "Workflow RO-Crate", "1.0"),
)
#: The profile as the paper names it, and as roc-validator identifies it.
PROFILE = PROFILES[0]
PROFILE_LABEL = f"{PROFILE.name} {PROFILE.version}"
VALIDATOR_PROFILE = "provenance-run-crate-0.5"

#: Parts of the results directory the crate does not describe: the jobs' logs are
#: diagnostics, not results, and hold what varies between two identical builds.
EXCLUDED_PARTS = ("logs",)
#: Where the crate keeps its copy of the workflow definition (the main workflow of a
#: Workflow RO-Crate must be a file in the crate): Snakemake's standard layout.
WORKFLOW_DIR = "workflow"
#: The licence of what the crate holds, the results (README, "Licence and citation": text
#: and synthetic data are CC-BY-4.0); the code's licence is read from CITATION.cff.
RESULTS_LICENSE = "CC-BY-4.0"


def workflow_copy(path: str) -> str:
    """Where the crate keeps its copy of one workflow file: ``Snakefile`` ->
    ``workflow/Snakefile``, ``workflow/rules/x.smk`` stays ``workflow/rules/x.smk``."""
    parts = path.split("/")
    if parts[0] == WORKFLOW_DIR:
        return path
    return f"{WORKFLOW_DIR}/{path}"


def crate_values(results: str) -> dict[str, str]:
    """``values.yml``'s ``provenance``: where the build's crate is, its profile, and the
    command that checks a rebuild against a published crate (the manuscript's
    reproducibility statement)."""
    results = results.rstrip("/")
    return {"crate": f"{results}/{CRATE_NAME}", "profile": PROFILE_LABEL,
            "verify": (f"python -m analysis verify-crate published/{CRATE_NAME} "
                       f"--results {results}")}


def commit_date(root: str | os.PathLike, fallback_epoch: int) -> str:
    """The crate's ``datePublished``: the date of the commit the build is made from.

    Outside a git checkout, the date of ``SOURCE_DATE_EPOCH`` (the reproducible-builds
    convention), else of ``fallback_epoch``, the fixed epoch the render dates its outputs by.
    """
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%cs", "HEAD"], capture_output=True,
                             text=True, check=True, cwd=root)
        if out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", fallback_epoch))
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).date().isoformat()
