"""Shared word sequences between our text and the sources we paraphrase (``make test``).

The manuscript paraphrases the study's abstract and a practice piece; it must
never copy them. A copy is caught as an *n-gram* (``N`` = 8 consecutive
words) that our text shares with a source. The sources themselves are not
part of this repository, so the test compares against the SHA-256 digests of
their 8-grams (``tests/fixtures/source_ngrams.txt``), written by
``python -m analysis.dev.overlap --write`` from ``../shared/sources/`` and
checked against those files whenever they are present.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from analysis.dev.workspace import ROOT

N = 8
SOURCES = ROOT.parent / "shared" / "sources"
FIXTURE = ROOT / "tests" / "fixtures" / "source_ngrams.txt"
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def words(text: str) -> list[str]:
    """Lower-case words, with curly quotes and dashes normalised."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return _WORD.findall(text)


def ngrams(text: str, n: int = N) -> Iterator[tuple[str, ...]]:
    """Every run of ``n`` consecutive words of ``text``."""
    w = words(text)
    for i in range(len(w) - n + 1):
        yield tuple(w[i:i + n])


def digest(gram: Iterable[str]) -> str:
    """The fixture's form of one n-gram: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(" ".join(gram).encode()).hexdigest()[:16]


def source_digests(paths: Iterable[Path], n: int = N) -> set[str]:
    """Digests of every n-gram of the source files (their text, headers included)."""
    return {digest(g) for p in paths for g in ngrams(p.read_text(encoding="utf-8"), n)}


def read_fixture(path: Path = FIXTURE) -> set[str]:
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")}


def shared(text: str, digests: set[str], n: int = N) -> list[str]:
    """The n-grams of ``text`` that a source shares, as text (empty: nothing copied)."""
    return sorted({" ".join(g) for g in ngrams(text, n) if digest(g) in digests})


def source_files(folder: Path = SOURCES) -> list[Path]:
    """The source texts (not their README)."""
    return sorted(p for p in folder.glob("*.txt"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {FIXTURE.name}")
    args = parser.parse_args(argv)
    files = source_files()
    if not files:
        print(f"no source texts in {SOURCES}", file=sys.stderr)
        return 1
    digests = sorted(source_digests(files))
    if args.write:
        header = (f"# SHA-256 (first 16 hex digits) of every {N}-word sequence of the sources "
                  f"the manuscript paraphrases ({', '.join(p.name for p in files)}).\n"
                  "# Written by: python -m analysis.dev.overlap --write\n")
        FIXTURE.write_text(header + "\n".join(digests) + "\n", encoding="utf-8")
        print(f"wrote {len(digests)} digests to {FIXTURE.relative_to(ROOT)}")
    else:
        print(f"{len(digests)} digests from {len(files)} sources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
