"""Determinism receipt (``make verify``).

Builds the paper twice from clean copies of the repository at two different
paths, once with one core and once with four, and compares the SHA-256 of
every output under ``data/synthetic/`` and ``results/`` (logs aside). Prints a
table and exits non-zero on any difference.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from analysis.dev.workspace import copy_repository, snakemake
from analysis.io import sha256

SKIP_PARTS = {"logs", ".snakemake"}


def output_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every file under data/synthetic and results/, keyed by relative path."""
    hashes = {}
    for top in ("data/synthetic", "results"):
        base = root / top
        if not base.exists():
            continue
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and not SKIP_PARTS.intersection(rel.parts):
                hashes[rel.as_posix()] = sha256(path)
    return hashes


def compare(first: dict[str, str], second: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """Rows (path, hash A, hash B, status) for the union of both builds' files."""
    rows = []
    for path in sorted(set(first) | set(second)):
        a, b = first.get(path, "missing"), second.get(path, "missing")
        rows.append((path, a[:12], b[:12], "same" if a == b else "DIFFERENT"))
    return rows


def build(workdir: Path, cores: int, config: list[str]) -> dict[str, str]:
    """Copy the repository to ``workdir``, build everything, return the output hashes."""
    repo = copy_repository(workdir)
    args = ["--cores", str(cores)] + (["--config", *config] if config else [])
    result = snakemake(args, repo)
    if result.returncode != 0:
        raise RuntimeError(f"build in {workdir} failed:\n{result.output[-4000:]}")
    return output_hashes(repo)


def verify(config: list[str], cores: tuple[int, int] = (1, 4)) -> list[tuple[str, str, str, str]]:
    """Two clean builds at different paths with different core counts; the comparison rows."""
    with tempfile.TemporaryDirectory(prefix="ipv-verify-") as tmp:
        first = build(Path(tmp) / "a", cores[0], config)
        second = build(Path(tmp) / "second-build-at-a-longer-path", cores[1], config)
    return compare(first, second)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", nargs="*", default=[],
                        help="snakemake --config overrides, e.g. robustness_replications=50")
    args = parser.parse_args(argv)
    rows = verify(args.config)
    width = max(len(r[0]) for r in rows)
    print(f"{'file':<{width}}  {'1 core':<12}  {'4 cores':<12}  status")
    for path, a, b, status in rows:
        print(f"{path:<{width}}  {a:<12}  {b:<12}  {status}")
    different = [r for r in rows if r[3] != "same"]
    print(f"\n{len(rows)} files compared, {len(different)} different")
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
