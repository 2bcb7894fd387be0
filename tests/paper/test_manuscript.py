"""The manuscript's own text: no copied source, every citation read and listed, authors as cited."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from analysis.dev import overlap
from analysis.paper.expectations import (
    EXPECTATIONS,
    SCOPES,
    Expectation,
    expectation,
    expectation_text,
)
from analysis.study.vocabulary import PRACTICE_APPLIES, PRACTICES

ROOT = Path(__file__).resolve().parents[2]
MANUSCRIPT = ROOT / "manuscript"
TEXTS = sorted([MANUSCRIPT / "manuscript.qmd", *(MANUSCRIPT / "sections").glob("*.md")])
BIB = MANUSCRIPT / "references.bib"
#: Code that writes captions and table cells with citations.
CITING_CODE = sorted([*(ROOT / "analysis" / "paper").rglob("*.py")])


def _front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---", 2)[1])


def _bib_keys() -> set[str]:
    return set(re.findall(r"^@\w+\{([^,]+),", BIB.read_text(encoding="utf-8"), flags=re.M))


def _cited(text: str) -> set[str]:
    # Pandoc citations: @key in text or [@key; @other]; not e-mail addresses or @fig-/@tbl- refs.
    keys = set(re.findall(r"(?<![\w.])@([a-z][a-z0-9_]*[a-z0-9])", text))
    return {k for k in keys if not k.startswith(("fig", "tbl", "sec"))}


def test_fixture_of_source_ngrams_is_current():
    files = overlap.source_files()
    if not files:
        pytest.skip(f"the source texts are not beside this checkout ({overlap.SOURCES}); "
                    "the committed digests are used as they are")
    assert overlap.read_fixture() == overlap.source_digests(files), \
        "run: python -m analysis.dev.overlap --write"


def test_the_overlap_check_finds_a_copied_sequence():
    """The check can fail: a sentence lifted from the abstract is caught."""
    digests = overlap.read_fixture()
    assert len(digests) > 500
    lifted = ("Arrests of abusive partners were inconsistent, and they varied based on number of "
              "previous calls to the police.")
    assert overlap.shared(lifted, digests)
    assert overlap.shared("Arrest was inconsistent and depended on earlier calls.", digests) == []


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.name)
def test_no_eight_word_sequence_of_a_source(path):
    found = overlap.shared(path.read_text(encoding="utf-8"), overlap.read_fixture())
    assert found == [], f"{path.name} copies: {found}"


def test_every_citation_is_in_the_bibliography_and_every_entry_is_cited():
    keys = _bib_keys()
    cited = set()
    for path in TEXTS:
        cited |= _cited(path.read_text(encoding="utf-8"))
    code_keys = set()
    for path in CITING_CODE:
        text = path.read_text(encoding="utf-8")
        code_keys |= set(re.findall(r'"(?:\[)?@([a-z][a-z0-9_]+)', text))
    code_keys |= {s for e in EXPECTATIONS.values() for s in e.sources}
    assert cited | code_keys <= keys, sorted((cited | code_keys) - keys)
    assert keys <= cited | code_keys, f"listed but never cited: {sorted(keys - cited - code_keys)}"


def test_every_reference_says_what_was_read():
    text = BIB.read_text(encoding="utf-8")
    entries = re.findall(r"^@\w+\{([^,]+),(.*?)^\}", text, flags=re.M | re.S)
    assert entries
    for key, body in entries:
        assert "annote" in body, f"{key}: no note of what was read"
    study = next(body for key, body in entries if key == "nnawulezi2021")
    assert "34933576" in study and "not verified" in study


def test_authors_are_those_of_citation_cff():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    names = [a["name"] if "name" in a else f"{a['given-names']} {a['family-names']}"
             for a in cff["authors"]]
    author = _front_matter(MANUSCRIPT / "manuscript.qmd")["author"]
    assert (author if isinstance(author, list) else [author]) == names


def test_the_title_names_the_data_the_build_analysed():
    from analysis.paper.values.study import document_title

    # The title comes from values.yml (metadata-files), so that it can say which data.
    assert "title" not in _front_matter(MANUSCRIPT / "manuscript.qmd")
    for source in ("synthetic", "restricted"):
        meta = document_title({"data_source": source})
        title = f"{meta['title']} {meta['subtitle']}".lower()
        assert meta["title"].endswith(f"on {source} data")
        assert "replication" not in title and "privacy-safe" not in title
    assert "synthetic" not in document_title({"data_source": "restricted"})["title"]


def test_every_practice_has_an_expectation_with_sources():
    assert set(EXPECTATIONS) == set(PRACTICES)
    for key, entry in EXPECTATIONS.items():
        assert entry.sources, key
        assert entry.scope in SCOPES, key
        text = expectation_text(key)
        assert text.startswith(SCOPES[entry.scope] + ": "), key
        assert re.search(r"\[@\w+(; @\w+)*\]$", text), key
    # Children are expected when present, not at every call; de-escalation has no such step.
    assert not EXPECTATIONS["check_children"].every_call
    assert EXPECTATIONS["de_escalation"].scope == "not named"


def test_a_practice_shared_over_some_contacts_is_expected_only_when_it_applies():
    """The table's denominators and the benchmark agree: a practice whose share is taken
    over the contacts where it applies (PRACTICE_APPLIES) is one guidance expects only then,
    and a practice expected at every call is shared over all contacts."""
    for key in PRACTICE_APPLIES:
        assert EXPECTATIONS[key].scope == "conditional", key
    for key, entry in EXPECTATIONS.items():
        if entry.every_call:
            assert key not in PRACTICE_APPLIES, key


def test_an_expectation_names_its_scope_and_sources():
    with pytest.raises(ValueError, match="scope 'always' is not one of every call"):
        Expectation("always", "at every call", ("iacp_mp_dv",))
    with pytest.raises(ValueError, match="names no source"):
        Expectation("every call", "at every call", ())
    with pytest.raises(KeyError, match="'hugging' has no expectation.*known: de_escalation"):
        expectation("hugging")
    assert Expectation("every call", "x", ("a",)).every_call
    assert not Expectation("conditional", "x", ("a",)).every_call


def test_content_note_and_statements_are_present():
    text = "\n".join(p.read_text(encoding="utf-8") for p in TEXTS)
    for heading in ("## Content note", "**Data availability.**", "**Ethics.**",
                    "# Supplement"):
        assert heading in text, heading
