"""What a rendered manuscript contains, engine-independently, for comparing two renders.

Quarto and the Pandoc fallback write different markup for the same document
(Quarto wraps a figure in ``div.quarto-float``, the fallback writes
``<figure>``; Quarto lays DOCX figures out in tables); what a reader sees must
still agree: headings, the figures and tables with their ids, the targets of
cross-references, the citations, and every number in the text.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser

NUMBER = re.compile(r"\d+(?:\.\d+)?")
XREF_ID = re.compile(r"(?:fig|tbl)-[\w-]+")


@dataclass(frozen=True)
class Structure:
    """The reader-visible structure of one rendered manuscript."""

    headings: tuple[str, ...]  # "h2 The original study", in order
    figures: tuple[str, ...]  # fig-* ids, in order
    tables: tuple[str, ...]  # tbl-* ids, in order
    crossrefs: Counter[str]  # link target -> number of links to it
    citations: int  # citations in the text (not bibliography entries)
    references: int  # bibliography entries
    numbers: tuple[str, ...]  # every number in the visible text, in order


def _numbers(text: str, ignore: Sequence[str]) -> tuple[str, ...]:
    for phrase in ignore:
        text = text.replace(phrase, " ")
    return tuple(NUMBER.findall(text))


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.text: list[str] = []
        self.heading: list[str] | None = None
        self.headings: list[str] = []
        self.ids: list[str] = []
        self.links: list[str] = []
        self.citations = 0
        self.references = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if tag in ("script", "style"):
            self.skip += 1
        if re.fullmatch(r"h[1-6]", tag):
            self.heading = [tag, ""]
        ident = a.get("id", "")
        # Quarto also gives each caption an id (fig-x-caption-<hash>): not a target.
        if XREF_ID.fullmatch(ident) and "-caption-" not in ident:
            self.ids.append(ident)
        href = a.get("href", "")
        if tag == "a" and href.startswith("#") and XREF_ID.fullmatch(href[1:]):
            self.links.append(href[1:])
        self.citations += "citation" in classes
        self.references += "csl-entry" in classes

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip -= 1
        if self.heading and tag == self.heading[0]:
            self.headings.append(f"{tag} {' '.join(self.heading[1].split())}")
            self.heading = None

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.text.append(data)
            if self.heading:
                self.heading[1] += data


def html_structure(page: str, ignore: Sequence[str] = ()) -> Structure:
    """The structure of an HTML manuscript; ``ignore`` phrases are left out of the numbers."""
    parser = _Html()
    parser.feed(page)
    ids = list(dict.fromkeys(parser.ids))
    return Structure(
        headings=tuple(parser.headings),
        figures=tuple(i for i in ids if i.startswith("fig-")),
        tables=tuple(i for i in ids if i.startswith("tbl-")),
        crossrefs=Counter(parser.links),
        citations=parser.citations,
        references=parser.references,
        numbers=_numbers(" ".join(" ".join(parser.text).split()), ignore),
    )


def docx_structure(data: bytes, ignore: Sequence[str] = ()) -> Structure:
    """The structure of a DOCX manuscript (``word/document.xml``)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        body = archive.read("word/document.xml").decode("utf-8")
    paragraphs = re.findall(r"<w:p[ >].*?</w:p>", body, flags=re.S)
    headings, texts, references = [], [], 0
    for para in paragraphs:
        text = unescape("".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", para)))
        texts.append(text)
        style = re.search(r'<w:pStyle w:val="([^"]+)"', para)
        if style and style[1].startswith("Heading"):
            headings.append(f"h{style[1][7:] or '?'} {' '.join(text.split())}")
        references += bool(style and style[1] == "Bibliography")
    bookmarks = list(dict.fromkeys(re.findall(r'<w:bookmarkStart[^>]*w:name="([^"]+)"', body)))
    anchors = re.findall(r'w:anchor="([^"]+)"', body)
    return Structure(
        headings=tuple(headings),
        figures=tuple(b for b in bookmarks if XREF_ID.fullmatch(b) and b.startswith("fig-")),
        tables=tuple(b for b in bookmarks if XREF_ID.fullmatch(b) and b.startswith("tbl-")),
        crossrefs=Counter(a for a in anchors if XREF_ID.fullmatch(a)),
        citations=sum(a.startswith("ref-") for a in anchors),
        references=references,
        numbers=_numbers(" ".join(" ".join(texts).split()), ignore),
    )


def differences(first: Structure, second: Structure) -> list[str]:
    """What differs between two structures, one line per field (empty when equal)."""
    out = []
    for name in Structure.__dataclass_fields__:
        a, b = getattr(first, name), getattr(second, name)
        if a == b:
            continue
        if isinstance(a, tuple):
            only_a = [x for x in a if x not in b][:5]
            only_b = [x for x in b if x not in a][:5]
            out.append(f"{name}: {len(a)} vs {len(b)}; only first {only_a}, "
                       f"only second {only_b}")
        else:
            out.append(f"{name}: {a} vs {b}")
    return out
