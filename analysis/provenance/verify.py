"""The reviewer's check: a build's files against a published crate, checksum by checksum.

A reviewer who rebuilds the paper (or receives someone's results) runs one
command that reads a published ``ro-crate-metadata.json`` with ro-crate-py,
recomputes the SHA-256 of every file the crate gives a checksum, and lists
each one that differs or is missing, and each file of the build that the crate
does not describe (the jobs' logs aside):

* a file in the crate (a relative identifier) is looked up under the build's
  results directory;
* a file of the package the build read (``#source/...``) is looked up in the
  repository, at its ``alternateName``;
* a restricted input (``#restricted-sha256-<hex>``) can only be matched by
  content: inside the secure environment, give the directory of the restricted
  tables and each listed hash must be the hash of one of its files; elsewhere
  these are reported as not checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from analysis.io import sha256
from analysis.provenance.profile import CRATE_NAME, EXCLUDED_PARTS

SAME, DIFFERS, MISSING, EXTRA, UNCHECKED = "same", "differs", "missing", "extra", "not checked"


@dataclass(frozen=True)
class FileCheck:
    """One file: where it is (``results``, ``source`` or ``restricted``), its path, the
    SHA-256 the crate gives, the one found (None if no file), and the outcome."""

    kind: str
    path: str
    expected: str | None
    found: str | None
    status: str


def crate_checksums(crate: Path) -> list[tuple[str, str, str]]:
    """``(kind, path, sha256)`` of every file a crate gives a checksum, read with ro-crate-py.

    ``crate`` is the crate's directory or its ``ro-crate-metadata.json``.
    """
    from rocrate.rocrate import ROCrate

    crate = Path(crate)
    directory = crate.parent if crate.is_file() else crate
    if not (directory / CRATE_NAME).is_file():
        raise FileNotFoundError(f"no {CRATE_NAME} in {directory}")
    entries = []
    for entity in ROCrate(directory).get_entities():
        digest = entity.get("sha256")
        if not digest or "File" not in entity.type:
            continue
        if entity.id.startswith("#restricted-sha256-"):
            entries.append(("restricted", entity.id, str(digest)))
        elif entity.id.startswith("#source/"):
            entries.append(("source", str(entity["alternateName"]), str(digest)))
        elif not entity.id.startswith("#"):
            entries.append(("results", entity.id, str(digest)))
    return sorted(entries)


def build_files(results: Path) -> list[str]:
    """Every file of a build's results directory the crate should describe (paths in it)."""
    results = Path(results)
    return sorted(p.relative_to(results).as_posix() for p in results.rglob("*")
                  if p.is_file() and p.name != CRATE_NAME
                  and not set(EXCLUDED_PARTS) & set(p.relative_to(results).parts))


def _hash_or_none(path: Path) -> str | None:
    return sha256(path) if path.is_file() else None


def verify_build(crate: Path, results: Path, repository: Path = Path("."),
                 restricted: Path | None = None) -> list[FileCheck]:
    """Compare a build with a crate: one :class:`FileCheck` per file, sorted.

    Parameters
    ----------
    crate
        The published crate (its directory or its ``ro-crate-metadata.json``).
    results
        The build's results directory (``results`` or ``results/restricted``).
    repository
        The package's directory, where the files the build read are.
    restricted
        Restricted builds, inside the secure environment: the directory of the
        restricted tables, matched by content.
    """
    checks = []
    described = set()
    restricted_hashes = None
    if restricted is not None:
        restricted_hashes = {sha256(p) for p in Path(restricted).iterdir() if p.is_file()}
    for kind, path, expected in crate_checksums(crate):
        if kind == "results":
            described.add(path)
            found = _hash_or_none(Path(results) / path)
        elif kind == "source":
            found = _hash_or_none(Path(repository) / path)
        else:
            if restricted_hashes is None:
                checks.append(FileCheck(kind, path, expected, None, UNCHECKED))
                continue
            found = expected if expected in restricted_hashes else None
        status = MISSING if found is None else SAME if found == expected else DIFFERS
        checks.append(FileCheck(kind, path, expected, found, status))
    for path in build_files(results):
        if path not in described:
            checks.append(FileCheck("results", path, None, sha256(Path(results) / path), EXTRA))
    return sorted(checks, key=lambda c: (c.kind, c.path))


def report_lines(checks: Iterable[FileCheck]) -> list[str]:
    """What the check prints: one line per file that is not the same, then the counts."""
    checks = list(checks)
    lines = []
    for check in checks:
        if check.status == SAME:
            continue
        where = {"results": "", "source": "(package) ", "restricted": "(restricted input) "}
        detail = ""
        if check.status == DIFFERS:
            detail = f"  crate {check.expected[:12]}, build {check.found[:12]}"
        elif check.status == EXTRA:
            detail = "  (the crate does not describe it)"
        lines.append(f"{check.status:<11} {where[check.kind]}{check.path}{detail}")
    counts = {status: sum(c.status == status for c in checks)
              for status in (SAME, DIFFERS, MISSING, EXTRA, UNCHECKED)}
    lines.append(f"{len(checks)} files checked against the crate: "
                 + ", ".join(f"{n} {status}" for status, n in counts.items()
                             if n or status in (SAME, DIFFERS, MISSING)))
    return lines


def all_same(checks: Iterable[FileCheck]) -> bool:
    """True when no file differs, is missing or is extra (unchecked ones aside)."""
    return all(c.status in (SAME, UNCHECKED) for c in checks)
