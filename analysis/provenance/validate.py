"""The RO-Crate validator (roc-validator), run offline against the crate's profile.

The validator resolves the crate's JSON-LD context over HTTP, both to check it
and to read the crate as RDF for its SHACL shapes. Offline (``--offline``) it
serves every request from its HTTP cache (``--cache-path``, a requests-cache
SQLite file), and a context that is not there fails the checks that need it.
So :func:`prepare_cache` puts the one context the crate uses, the RO-Crate 1.1
context this package ships (``resources/ro-crate-1.1-context.jsonld``, CC0),
into a fresh cache through requests-cache itself: a transport adapter serves
the file for the context's address, and the cached session stores the
response as it would a downloaded one. Nothing is fetched from the network.
The crate's only other term (``sha256``) is defined inside the crate.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.provenance.profile import CONTEXT_URL, VALIDATOR_PROFILE

RESOURCES = Path(__file__).resolve().parent / "resources"
CONTEXT_FILE = RESOURCES / "ro-crate-1.1-context.jsonld"
#: What the validator's own cache stores (its ``HttpRequester``): GET responses with these codes.
CACHED_CODES = (200, 302, 404)
SEVERITIES = ("REQUIRED", "RECOMMENDED", "OPTIONAL")


@dataclass(frozen=True)
class Failure:
    """One failed check of the validator: severity, check, the entity that fails it (for a
    check on identifiers, the identifier that fails) and the message."""

    severity: str
    check: str
    entity: str
    message: str


def prepare_cache(cache_name: Path, documents: dict[str, bytes] | None = None) -> Path:
    """Write ``documents`` (default: the RO-Crate 1.1 context) into a validator cache.

    ``cache_name`` is what ``rocrate-validator --cache-path`` takes (the SQLite
    file is ``<cache_name>.sqlite``). Returns ``cache_name``.
    """
    import urllib3
    from requests.adapters import HTTPAdapter
    from requests_cache import CachedSession

    documents = documents or {CONTEXT_URL: CONTEXT_FILE.read_bytes()}

    class LocalDocuments(HTTPAdapter):
        """Answers a GET for each known address with the document this package ships."""

        def send(self, request, **kwargs):
            body = documents[request.url]
            raw = urllib3.HTTPResponse(body=io.BytesIO(body), status=200, reason="OK",
                                       headers={"Content-Type": "application/ld+json"},
                                       preload_content=False, request_url=request.url)
            return self.build_response(request, raw)

    Path(cache_name).parent.mkdir(parents=True, exist_ok=True)
    session = CachedSession(cache_name=str(cache_name), backend="sqlite", expire_after=-1,
                            allowable_methods=("GET",), allowable_codes=CACHED_CODES)
    try:
        adapter = LocalDocuments()
        for url in documents:
            session.mount(url, adapter)
            response = session.get(url)
            if response.status_code != 200 or not session.cache.contains(url=url):
                raise RuntimeError(f"could not store {url} in the validator's cache")
    finally:
        session.close()
    return Path(cache_name)


def validator_command(crate: Path, cache_name: Path, report: Path,
                      severity: str = "RECOMMENDED") -> list[str]:
    """The ``rocrate-validator`` command: offline, this crate's profile, a JSON report."""
    executable = Path(sys.executable).parent / "rocrate-validator"
    return [str(executable), "validate", "--offline", "--cache-path", str(cache_name),
            "--profile-identifier", VALIDATOR_PROFILE, "--requirement-severity",
            severity.lower(), "--no-paging", "--output-format", "json",
            "--output-file", str(report), str(crate)]


def run_validator(crate: Path, workdir: Path, severity: str = "RECOMMENDED",
                  timeout: float = 600, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Validate ``crate`` (a directory) offline; the validator's JSON report.

    ``workdir`` receives the cache and the report; ``env`` replaces the validator's
    environment (the tests point its proxies at nothing, to prove it needs no
    network). Raises RuntimeError with the validator's output when it writes no
    report (a crash, not a failed check).
    """
    workdir = Path(workdir)
    cache = prepare_cache(workdir / "http_cache")
    report = workdir / "report.json"
    command = validator_command(Path(crate), cache, report, severity)
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False,
                          env=env)
    if not report.is_file():
        raise RuntimeError(f"rocrate-validator wrote no report (exit {done.returncode}): "
                           + (done.stderr or done.stdout).strip()[-3000:])
    return json.loads(report.read_text(encoding="utf-8"))


def failures(report: dict[str, Any]) -> list[Failure]:
    """The failed checks of a validator report, one per check and entity, sorted."""
    found = set()
    for issue in report.get("issues", []):
        check = issue.get("check") or {}
        entity = issue.get("violatingEntity") or ""
        if str(entity).startswith(("http://", "https://")) and issue.get("violatingPropertyValue"):
            entity = issue["violatingPropertyValue"]  # a check on a class: the failing identifier
        found.add(Failure(str(issue.get("severity")),
                          str(check.get("identifier") if isinstance(check, dict) else check),
                          str(entity), str(issue.get("message") or "")))
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(found, key=lambda f: (order.get(f.severity, 9), f.check, f.entity))


def summary(report: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Failed checks per severity: {severity: {check id: number of entities}}."""
    counts: dict[str, dict[str, int]] = {s: {} for s in SEVERITIES}
    for failure in failures(report):
        per = counts.setdefault(failure.severity, {})
        per[failure.check] = per.get(failure.check, 0) + 1
    return counts
