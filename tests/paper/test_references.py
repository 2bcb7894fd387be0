"""The bibliography as a reader sees it: fields complete and clean, proper nouns capitalised.

The citation style sets titles in sentence case, so a proper noun survives only if the
BibTeX title protects it with braces. The checks read ``manuscript/references.bib`` as
text (empty fields, stray punctuation, name order, retrieval dates) and render it with the
Pandoc and CSL the manuscript uses, to see what a reader would see.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIB = ROOT / "manuscript" / "references.bib"
CSL = ROOT / "manuscript" / "apa.csl"

#: Proper nouns that occur in the titles this paper cites, as they must be printed.
PROPER_NOUNS: tuple[str, ...] = (
    "America", "Assembly", "Black", "California", "Color Universal Design", "Danger Assessment",
    "February", "Legislative Counsel", "Lethality Assessment Program", "Maryland", "Maryland Code",
    "Measure of Victim Empowerment Related to Safety", "Minnesota", "Minnesota Statutes",
    "National Crime Victimization Survey", "New Jersey", "Oklahoma", "Python", "Redlands",
    "SciPy", "Snakemake", "Spouse Assault Replication Program", "UK", "W. Va. Code R.",
    "West Virginia")
#: Fields that are prose notes for the maintainers, not printed.
NOTE_FIELDS = ("annote", "note")
#: Name suffixes BibTeX expects between the family and the given names ("Thorpe, Jr., Roland J.").
NAME_SUFFIXES = ("Jr.", "Sr.", "II", "III", "IV")


def _field_value(text: str, start: int) -> tuple[str, int]:
    """The value that starts at ``start`` (braced, or bare like ``dec``) and where it ends."""
    if text[start] != "{":
        bare = re.compile(r"[^,\n}]*").match(text, start)
        return bare.group(0).strip(), bare.end()
    depth = 0
    for end in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            return text[start + 1:end], end + 1
    raise ValueError(f"unbalanced braces in the field at character {start}")


def bib_entries(text: str) -> dict[str, dict[str, str]]:
    """Entry key -> {field name: raw value}, braces inside the value kept."""
    entries: dict[str, dict[str, str]] = {}
    field = re.compile(r"\s*(\w+)\s*=\s*")
    for head in re.finditer(r"^@\w+\{([^,\s]+),", text, flags=re.M):
        fields: dict[str, str] = {}
        pos = head.end()
        while match := field.match(text, pos):
            value, pos = _field_value(text, match.end())
            fields[match.group(1).lower()] = value
            pos = re.compile(r"\s*,?").match(text, pos).end()
        entries[head.group(1)] = fields
    return entries


@pytest.fixture(scope="module")
def entries() -> dict[str, dict[str, str]]:
    return bib_entries(BIB.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rendered(entries) -> str:
    """Every entry cited once and the bibliography, as plain text, by the manuscript's CSL."""
    pypandoc = pytest.importorskip("pypandoc")
    source = "Cited: [" + "; ".join(f"@{key}" for key in entries) + "].\n"
    proc = subprocess.run(
        [pypandoc.get_pandoc_path(), "--from", "markdown", "--to", "plain", "--wrap", "none",
         "--citeproc", "--bibliography", str(BIB), "--csl", str(CSL)],
        input=source, capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr
    return proc.stdout


def test_the_parser_reads_every_entry_and_nested_braces():
    parsed = bib_entries("@misc{a,\n  title = {The {Oklahoma} Study},\n  month = dec,\n}\n"
                         "@article{b, author = {X, Y}}\n")
    assert parsed == {"a": {"title": "The {Oklahoma} Study", "month": "dec"},
                      "b": {"author": "X, Y"}}
    assert len(bib_entries(BIB.read_text(encoding="utf-8"))) == \
        len(re.findall(r"^@\w+\{", BIB.read_text(encoding="utf-8"), flags=re.M))


def test_no_field_is_empty(entries):
    empty = [(key, name) for key, fields in entries.items() for name, value in fields.items()
             if not value.replace("{", "").replace("}", "").strip()]
    assert empty == []


def _trailing_punctuation(name: str, value: str) -> bool:
    """Whether a printed field ends in punctuation the style adds (or an initial may end in)."""
    end = value.rstrip("} ").rstrip()
    if name == "author":
        return end.endswith((",", ";", ":")) or end.endswith(" and")
    return end.endswith((".", ",", ";", ":"))


def test_no_printed_field_ends_in_punctuation(entries):
    found = [(key, name, value[-30:]) for key, fields in entries.items()
             for name, value in fields.items()
             if name not in NOTE_FIELDS and _trailing_punctuation(name, value)]
    assert found == []


def test_the_punctuation_check_can_fail():
    assert _trailing_punctuation("title", "A Critical Review.")
    assert _trailing_punctuation("institution", "{Civil Rights Division,}")
    assert not _trailing_punctuation("author", "Clopper, C. J.")
    assert not _trailing_punctuation("title", "How Many Interviews Are Enough?")


def test_names_put_a_suffix_between_family_and_given_names(entries):
    wrong = []
    for key, fields in entries.items():
        for name in re.split(r"\s+and\s+", fields.get("author", "")):
            parts = [part.strip() for part in name.split(",")]
            if len(parts) == 3 and parts[1] not in NAME_SUFFIXES:
                wrong.append((key, name))
            if len(parts) == 2 and parts[1] in NAME_SUFFIXES:
                wrong.append((key, name))
    assert wrong == []


def test_every_undated_web_page_has_a_retrieval_date(entries):
    for key, fields in entries.items():
        year = fields.get("year", "")
        assert year == "" or re.fullmatch(r"\d{4}", year), f"{key}: year {year!r}"
        if "url" in fields and not year:
            assert "urldate" in fields, f"{key}: a web page with no date needs urldate"
        if "urldate" in fields:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", fields["urldate"]), key


def test_proper_nouns_in_titles_are_protected_from_sentence_case(entries):
    unprotected = []
    for key, fields in entries.items():
        for name in ("title", "shorttitle"):
            # What the style may lowercase: the title with its braced groups removed.
            free = re.sub(r"\{[^{}]*\}", "", fields.get(name, ""))
            unprotected += [(key, noun) for noun in PROPER_NOUNS
                            if re.search(rf"\b{re.escape(noun)}(?!\w)", free)]
    assert unprotected == []


def test_the_rendered_bibliography_keeps_proper_nouns_capitalised(rendered):
    lowered = []
    for noun in PROPER_NOUNS:
        pattern = rf"(?<!\w){re.escape(noun)}(?!\w)"
        for match in re.finditer(pattern, rendered, flags=re.IGNORECASE):
            if match.group(0) != noun:
                lowered.append(match.group(0))
    assert lowered == []
    for noun in ("Oklahoma", "National Crime Victimization Survey", "Maryland Code"):
        assert noun in rendered, noun


def test_the_rendered_bibliography_has_no_doubled_punctuation(rendered):
    assert re.findall(r"[,;:]\s*[,;:]", rendered) == []


def test_undated_pages_print_when_they_were_read(rendered, entries):
    undated = [key for key, fields in entries.items() if "url" in fields and "year" not in fields]
    assert undated
    assert rendered.count("(n.d.)") + rendered.count("(n.d.-") == len(undated)
    assert rendered.count("Retrieved December 6, 2026, from") == len(undated)
