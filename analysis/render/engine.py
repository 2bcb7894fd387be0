"""Render the Quarto manuscript to self-contained HTML, PDF and DOCX.

Two engines give the same three files, ``manuscript.html``, ``manuscript.pdf``
and ``manuscript.docx``:

``quarto``
    ``quarto render --to all``: the formats of the project's ``_quarto.yml``
    (``html`` with resources embedded, ``typst`` for the PDF, ``docx``).
``pandoc``
    The fallback for machines without Quarto. It renders the *same* ``.qmd``
    with the Pandoc binary shipped by ``pypandoc-binary`` and compiles the PDF
    with the ``typst`` Python package. It supports exactly the Quarto features
    the manuscript uses: ``{{< meta key.sub >}}``, ``{{< var key >}}`` (from
    ``_variables.yml``, as in Quarto),
    ``{{< include path >}}`` and ``{{< pagebreak >}}`` shortcodes (expanded
    here in Python), numbered ``#fig-``/``#tbl-`` cross-references and
    callout blocks (``resources/quarto_compat.lua``), and citations
    (``--citeproc``).

Both engines share the Typst look (``resources/typst_header.typ``: tables that
break across pages, no build date), the Typst callouts
(``resources/typst_callouts.lua``, which need no network package) and the
DOCX alt text (``resources/docx_alt.lua``); ``_quarto.yml`` names them for
Quarto.

``engine="auto"`` picks ``quarto`` when it is on ``PATH``. The engine must be
the one ``values.yml`` names (``render_engine``, written by the values step),
so that the paper states what rendered it. Whatever the engine, the project
is rendered in a private staged copy (:func:`staged_project`), so nothing is
written next to the sources even when a render fails; shortcodes and includes
are checked first; every output is checked for unresolved shortcodes,
cross-references and citations; and the files are written to temporary names
in the output folder and renamed into place only when everything succeeded.
The fallback output is byte-reproducible: fixed ``SOURCE_DATE_EPOCH``, only
the fonts embedded in Typst, and no absolute paths.

Run as ``python -m analysis render --project manuscript --values
results/values.yml --outdir results/manuscript [--engine auto|quarto|pandoc]``.

``--results-dir`` renders against another results folder (a restricted-data
build's ``results/restricted``): in the staged copy, the manuscript's
``../results/`` paths are rewritten to name that folder; the source is left
untouched.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import yaml

from analysis.io import BASE_LOADER, SAFE_LOADER
from analysis.render.sources import (
    CONFIG_NAME,
    QMD_NAME,
    SHORTCODE,
    VARIABLES_NAME,
    config_files,
    project_root,
    resolve_include,
)
from analysis.render.tools import EngineError, RenderTools, detect

DEFAULT_SOURCE_DATE_EPOCH = 1640995200  # 2022-01-01T00:00:00Z
RESOURCES = Path(__file__).resolve().parent / "resources"
LUA_FILTER = RESOURCES / "quarto_compat.lua"
TYPST_CALLOUTS = RESOURCES / "typst_callouts.lua"
TYPST_HEADER_FILE = RESOURCES / "typst_header.typ"
DOCX_ALT = RESOURCES / "docx_alt.lua"
STEM = Path(QMD_NAME).stem
OUTPUTS = tuple(f"{STEM}.{ext}" for ext in ("html", "pdf", "docx"))

FRONT_MATTER = re.compile(
    r"\A---[ \t]*\r?\n(?P<yaml>.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S
)
#: Unresolved shortcodes and cross-references: Quarto prints ``?meta:key`` and
#: ``?@fig-x``, Pandoc leaves ``@fig-x``, a cross-reference to nothing shows ``??``.
LEFTOVER = re.compile(r"\{\{<|\?@|@fig-|@tbl-|\?\?|\?(?:meta|var):")
#: A citation in the Markdown source (not an e-mail address): ``@key`` or ``[@key]``.
CITATION = re.compile(r"(?<![\w@])@(\w(?:[\w:.#$%&+?<>~/-]*\w)?)")
CROSSREF_PREFIXES = ("fig-", "tbl-", "sec-", "eq-", "lst-", "thm-", "lem-")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: The first line of Quarto's output that says what failed (Quarto, Pandoc, Typst, Lua).
QUARTO_ERROR = re.compile(r"\b(?:ERROR|[Ee]rror)(?::|\s+running\b)")
PAGEBREAK = "\n\n```{=typst}\n#pagebreak()\n```\n\n"
# _quarto.yml keys that are project or engine options, not document metadata.
NON_METADATA_KEYS = {
    "project", "format", "metadata-files", "execute", "filters", "bibliography", "csl",
    "editor", "engine", "jupyter", "knitr", "website", "book", "manuscript", "resources",
}  # fmt: skip
#: Document fields the values file may set (Quarto merges ``metadata-files`` into the document).
VALUES_DOCUMENT_FIELDS = ("title", "subtitle")
MISSING = {"", "~", "null", "Null", "NULL"}

TYPST_PAGE = {"papersize": "a4", "fontsize": "11pt", "margin": {"x": "2.5cm", "y": "2.5cm"}}
# The fallback numbers captions itself ("Figure 1: ..."), so Typst must not number them again.
TYPST_NUMBERING = "#set figure(numbering: none)\n"
HTML_STYLE = """\
<style>
body { max-width: 50em; margin: 0 auto; padding: 2em 1.5em; line-height: 1.55;
  font-family: Charter, "Bitstream Charter", Georgia, Cambria, "Times New Roman", serif;
  color: #1a1a1a; background: #fff; }
h1, h2, h3 { line-height: 1.25; }
a { color: #1f4e79; }
img { max-width: 100%; height: auto; }
figure { margin: 1.5em 0; }
figcaption, caption { font-size: 0.9em; color: #333; text-align: left; padding: 0.4em 0; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.92em; }
caption { caption-side: top; }
th, td { border: 1px solid #8c8c8c; padding: 0.25em 0.6em; }
th { background: #f0f0f0; }
.callout { margin: 1.2em 0; padding: 0.6em 1em; border-left: 4px solid #0072B2;
  background: #eaf3fa; border-radius: 3px; }
.callout-title { margin-bottom: 0.3em; }
.callout-warning { border-left-color: #E69F00; background: #fdf5e6; }
.callout-tip { border-left-color: #009E73; background: #e8f6f1; }
.callout-important { border-left-color: #CC79A7; background: #faeff5; }
.callout-caution { border-left-color: #D55E00; background: #fbede5; }
</style>
"""


class RenderError(ValueError):
    """The manuscript cannot be rendered; the message names the cause."""


@dataclass
class RenderResult:
    """What :func:`render_manuscript` did.

    Attributes
    ----------
    engine : str
        The engine used, with versions, e.g. ``"pandoc 3.9 + typst 0.15.1"``
        (:attr:`analysis.render.tools.RenderTools.label`).
    outputs : list of Path
        The files written: ``manuscript.html``, ``manuscript.pdf`` and ``manuscript.docx``.
    """

    engine: str
    outputs: list[Path] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Shortcodes and includes (both engines check them; the fallback uses the text)


def _load_yaml(path: Path, *, strings: bool = False) -> dict[str, Any]:
    """Load a YAML mapping; with ``strings`` every scalar stays its source text."""
    loader = BASE_LOADER if strings else SAFE_LOADER
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
    except yaml.YAMLError as exc:
        raise RenderError(f"{path.name}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RenderError(f"{path.name}: expected a YAML mapping at the top level")
    return data


def _front_matter(text: str, name: str, *, strings: bool) -> dict[str, Any]:
    """Parse the YAML front matter at the top of a ``.qmd`` (empty if none)."""
    match = FRONT_MATTER.match(text)
    if not match:
        return {}
    loader = BASE_LOADER if strings else SAFE_LOADER
    try:
        data = yaml.load(match["yaml"], Loader=loader)
    except yaml.YAMLError as exc:
        raise RenderError(f"{name}: invalid YAML front matter: {exc}") from exc
    return data if isinstance(data, dict) else {}


def _merge(*layers: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge mappings; later layers win."""
    out: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = _merge(out[key], value)
            else:
                out[key] = value
    return out


@dataclass
class _Expander:
    """Expand Quarto shortcodes: ``meta`` from the metadata, ``var`` from ``_variables.yml``."""

    project_dir: Path
    meta: dict[str, Any]
    values_name: str
    variables: dict[str, Any] = field(default_factory=dict)

    def where(self, path: Path, text: str, pos: int) -> str:
        """``file:line`` of position ``pos`` in ``text`` (read from ``path``)."""
        rel = os.path.relpath(path, self.project_dir)
        return f"{Path(rel).as_posix()}:{text.count(chr(10), 0, pos) + 1}"

    def lookup(self, kind: str, key: str, where: str, depth: int = 0) -> str:
        """The text of a dotted ``key`` (``a.b.0.c``) of ``kind`` (``meta`` or ``var``);
        fail naming ``key`` and ``where``."""
        node: Any = self.meta if kind == "meta" else self.variables
        for part in key.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                node = None
                break
        if node is None or (isinstance(node, str) and node.strip() in MISSING):
            source = (f"{self.values_name} or the document metadata" if kind == "meta"
                      else VARIABLES_NAME)
            raise RenderError(f"{where}: shortcode names a missing {kind} value '{key}' "
                              f"(not in {source})")
        if not isinstance(node, str):
            raise RenderError(f"{where}: value '{key}' is a {type(node).__name__}, not a scalar")
        if "{{<" in node:  # a metadata string may itself use shortcodes
            if depth > 10:
                raise RenderError(f"{where}: shortcodes in '{key}' refer to each other in a loop")
            node = SHORTCODE.sub(
                lambda m: self.lookup(m["name"], _arg(m, where), where, depth + 1), node)
        return node

    def expand(self, path: Path, stack: tuple[Path, ...] = ()) -> str:
        """Return the text of ``path`` with every shortcode expanded."""
        text = path.read_text(encoding="utf-8")

        def replace(match: re.Match[str]) -> str:
            where = self.where(path, text, match.start())
            name = match["name"]
            if name in ("meta", "var"):
                return self.lookup(name, _arg(match, where), where)
            if name == "include":
                arg = _arg(match, where)
                target = resolve_include(arg, self.project_dir, _project_root(self.project_dir))
                if not target.is_file():
                    raise RenderError(f"{where}: included file not found: {arg}")
                if target in stack:
                    raise RenderError(f"{where}: include loop through {arg}")
                return self.expand(target, (*stack, target))
            if name == "pagebreak":
                return PAGEBREAK
            raise RenderError(f"{where}: unsupported shortcode '{name}'")

        return SHORTCODE.sub(replace, text)


def _arg(match: re.Match[str], where: str) -> str:
    """The single argument of a shortcode."""
    args = shlex.split(match["args"])
    if len(args) != 1:
        raise RenderError(f"{where}: shortcode '{match[0]}' needs exactly one argument")
    return args[0]


@dataclass
class _Project:
    """The manuscript folder of a (staged) Quarto project, its settings and expanded source.

    ``config`` is the project's ``_quarto.yml`` (at or above the manuscript
    folder), ``meta`` every value a shortcode can name (``values``, then
    ``_quarto.yml``, the front matter and ``extra_meta``, later ones winning),
    ``source`` the manuscript with every shortcode expanded (:meth:`expand`).
    """

    project_dir: Path
    values: Path
    extra_meta: dict[str, Any]
    root: Path = field(init=False)
    config: dict[str, Any] = field(init=False)
    front: dict[str, Any] = field(init=False)
    meta: dict[str, Any] = field(init=False)
    source: str = field(init=False)

    def __post_init__(self) -> None:
        qmd = self.project_dir / QMD_NAME
        if not qmd.is_file():
            raise RenderError(f"manuscript source not found: {qmd}")
        if not self.values.is_file():
            raise RenderError(f"values file not found: {self.values}")
        self.root = _project_root(self.project_dir)
        config_file = self.root / CONFIG_NAME
        self.config = _load_yaml(config_file)
        text = qmd.read_text(encoding="utf-8")
        self.front = _front_matter(text, QMD_NAME, strings=False)
        self.meta = _merge(
            _load_yaml(self.values, strings=True),
            _load_yaml(config_file, strings=True),
            _front_matter(text, QMD_NAME, strings=True),
            {str(k): str(v) for k, v in self.extra_meta.items()},
        )
        self.source = ""

    def expand(self) -> None:
        """Expand every shortcode and include into :attr:`source` (checking each)."""
        qmd = (self.project_dir / QMD_NAME).resolve()
        variables_file = self.root / VARIABLES_NAME
        variables = _load_yaml(variables_file, strings=True) if variables_file.is_file() else {}
        expander = _Expander(self.project_dir.resolve(), self.meta, self.values.name, variables)
        self.source = expander.expand(qmd)

    def option(self, key: str, fmt: str, default: Any = None) -> Any:
        """A document option: ``format.<fmt>.key`` > front matter > ``_quarto.yml``."""
        value = default
        for layer in (self.config, self.front):
            value = layer.get(key, value)
            formats = layer.get("format")
            if isinstance(formats, dict) and isinstance(formats.get(fmt), dict):
                value = formats[fmt].get(key, value)
        return value

    def resource(self, key: str) -> list[str]:
        """Paths named by ``bibliography``/``csl``, relative to the manuscript folder, checked.

        ``_quarto.yml`` names them relative to the project folder (the front
        matter, relative to the manuscript); Pandoc runs in the manuscript folder.
        """
        value = self.option(key, "html") or []
        paths = [value] if isinstance(value, str) else list(value)
        in_front = key in self.front
        base = self.project_dir if in_front else self.root
        found = []
        for path in paths:
            if not (base / path).is_file():
                where = QMD_NAME if in_front else CONFIG_NAME
                raise RenderError(f"{key} file not found: {path} (named in {where})")
            found.append(Path(os.path.relpath(base / path, self.project_dir)).as_posix())
        return found

    def document_metadata(self) -> dict[str, Any]:
        """``_quarto.yml`` keys that are document metadata (title, author, ...).

        As Quarto merges ``metadata-files`` into the document, the title and
        subtitle the values file holds (they name the data a build analysed)
        are the document's unless the front matter or ``_quarto.yml`` sets its own.
        """
        values = _load_yaml(self.values, strings=True)
        titles = {k: values[k] for k in VALUES_DOCUMENT_FIELDS
                  if k in values and k not in self.front and k not in self.config}
        return {**{k: v for k, v in self.config.items() if k not in NON_METADATA_KEYS},
                **titles}

    def citation_keys(self) -> list[str]:
        """The bibliography keys the manuscript cites (cross-references left out)."""
        keys = {m[1] for m in CITATION.finditer(self.source)}
        return sorted(k for k in keys if not k.startswith(CROSSREF_PREFIXES))


def _project_root(manuscript_dir: Path) -> Path:
    """:func:`analysis.render.sources.project_root`, failing as a RenderError."""
    try:
        return project_root(manuscript_dir)
    except FileNotFoundError as exc:
        raise RenderError(str(exc)) from None


# ---------------------------------------------------------------------------
# Pandoc, and the checks of what either engine writes


def _pandoc(args: Sequence[str], stdin: str, cwd: Path, env: dict[str, str]) -> str:
    """Run the bundled pandoc; any error or warning becomes a RenderError."""
    import pypandoc

    proc = subprocess.run(
        [pypandoc.get_pandoc_path(), *args],
        input=stdin.encode("utf-8"),
        capture_output=True,
        cwd=cwd,
        env=env,
        check=False,
    )
    err = proc.stderr.decode("utf-8", "replace").strip()
    own = [line for line in err.splitlines() if "quarto_compat:" in line]
    if own:
        raise RenderError(own[0].split("quarto_compat:", 1)[1].strip())
    if proc.returncode != 0:
        raise RenderError(f"pandoc failed (exit {proc.returncode}): {err}")
    if "[WARNING]" in err:  # e.g. a citation key missing from the bibliography
        raise RenderError(f"pandoc warning (treated as an error): {err}")
    return proc.stdout.decode("utf-8")


def _images(node: Any) -> Iterator[list[Any]]:
    """Yield the ``[src, title]`` target of every Image in a Pandoc JSON AST."""
    if isinstance(node, dict):
        if node.get("t") == "Image":
            yield node["c"][2]
        for value in node.values():
            yield from _images(value)
    elif isinstance(node, list):
        for value in node:
            yield from _images(value)


def _check_leftovers(text: str, what: str) -> None:
    """Fail if unresolved shortcodes, cross-references or ``??`` remain."""
    hits = sorted({m[0] for m in LEFTOVER.finditer(text)})
    if hits:
        match = LEFTOVER.search(text)
        assert match is not None
        context = " ".join(text[max(0, match.start() - 40) : match.end() + 40].split())
        raise RenderError(f"unresolved {', '.join(hits)} in the {what}: ...{context}...")


def _check_citations(text: str, keys: Sequence[str], what: str) -> None:
    """Fail if a cited key was left unresolved: citeproc prints a missing one as ``key?``."""
    missing = [key for key in keys if f"{key}?" in text]
    if missing:
        raise RenderError(f"unresolved citation(s) {', '.join('@' + k for k in missing)} "
                          f"in the {what} (not in the bibliography?)")


def _check_output(project: _Project, text: str, what: str) -> None:
    """Both checks on the text of one output."""
    _check_leftovers(text, what)
    _check_citations(text, project.citation_keys(), what)


def _html_text(page: str) -> str:
    """Visible text and attribute values of an HTML page (no CSS, scripts, data URIs)."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"data:[^,\"'\s]*;base64,[A-Za-z0-9+/=]+", " ", page)
    return html.unescape(page)


def docx_text(data: bytes) -> str:
    """The text of a DOCX document body (its ``<w:t>`` runs), one paragraph per line."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        body = archive.read("word/document.xml").decode("utf-8")
    paragraphs = re.findall(r"<w:p[ >].*?</w:p>", body, flags=re.S)
    runs = (re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", p) for p in paragraphs)
    return "\n".join(html.unescape("".join(texts)) for texts in runs)


def _typst_text(source: str) -> str:
    """A Typst source with its escapes removed (``\\@fig-x`` is ``@fig-x`` on the page)."""
    return source.replace("\\", "")


# ---------------------------------------------------------------------------
# Fallback engine: Pandoc + Typst


def _filters(*paths: Path) -> list[str]:
    """``--lua-filter`` arguments: ``paths`` first, then the Quarto subset."""
    return [arg for path in (*paths, LUA_FILTER) for arg in ("--lua-filter", str(path))]


def _render_pandoc(project: _Project, epoch: int, env: dict[str, str]) -> dict[str, bytes]:
    """Render with Pandoc (HTML, DOCX) and Pandoc + Typst (PDF); return the bytes."""
    import typst

    cwd = project.project_dir
    with tempfile.TemporaryDirectory(prefix="render-") as tmp:
        doc_meta = Path(tmp, "document-meta.yml")
        doc_meta.write_text(yaml.safe_dump(project.document_metadata()), encoding="utf-8")
        ast = json.loads(
            _pandoc(
                ["-f", "markdown", "-t", "json", "--metadata-file", str(doc_meta)],
                project.source, cwd, env,
            )
        )  # fmt: skip

        # Figures: must exist; Typst sees them under a root holding project and figures.
        # Paths stay as written (not resolved): the staged project links its results folder.
        files: list[Path] = []
        for target in _images(ast):
            src = target[0]
            if src.startswith("data:"):
                continue
            if urlparse(src).scheme:
                raise RenderError(f"remote image not supported (not reproducible): {src}")
            path = Path(os.path.normpath(cwd.absolute() / unquote(src)))
            if not path.is_file():
                raise RenderError(f"figure file not found: {src} (relative to {QMD_NAME})")
            files.append(path)
        root = Path(os.path.commonpath([cwd.absolute(), *files]))

        # Filters run before --citeproc so that cross-references never reach citeproc.
        cite = ["--citeproc"]
        for bib in project.resource("bibliography"):
            cite += ["--bibliography", bib]
        cite += [arg for csl in project.resource("csl")[:1] for arg in ("--csl", csl)]
        cite += ["-M", "link-citations=true"]
        start = ["-f", "json", "--standalone"]

        html_args = [*start, *_filters(), *cite, "-t", "html5", "--embed-resources",
                     "--resource-path", ".", "-V", f"header-includes={HTML_STYLE}"]
        if project.option("number-sections", "html", False):
            html_args.append("--number-sections")
        if project.option("toc", "html", False):
            html_args.append("--toc")
        docx_file = Path(tmp, f"{STEM}.docx")
        docx_args = [*start, *_filters(DOCX_ALT), *cite, "-t", "docx", "--resource-path", ".",
                     "-o", str(docx_file)]
        if project.option("number-sections", "docx", False):
            docx_args.append("--number-sections")
        plain = json.dumps(ast)

        for target in _images(ast):
            if not target[0].startswith("data:"):
                path = Path(os.path.normpath(cwd.absolute() / unquote(target[0])))
                target[0] = "/" + path.relative_to(root).as_posix()
        page_meta = Path(tmp, "typst-meta.yml")
        setup = {k: project.option(k, "typst", v) for k, v in TYPST_PAGE.items()}
        page_meta.write_text(yaml.safe_dump(setup), encoding="utf-8")
        header = TYPST_NUMBERING + TYPST_HEADER_FILE.read_text(encoding="utf-8")
        typst_args = [*start, *_filters(TYPST_CALLOUTS), *cite, "-t", "typst",
                      "--metadata-file", str(page_meta), "-V", f"header-includes={header}"]
        if project.option("number-sections", "typst", False):
            typst_args += ["-V", "section-numbering=1.1"]
        if project.option("toc", "typst", False):
            typst_args.append("--toc")

        # The three conversions are independent Pandoc processes: run them side by side.
        # DOCX is dated by SOURCE_DATE_EPOCH, so its bytes are stable.
        with ThreadPoolExecutor(max_workers=3) as pool:
            jobs = [pool.submit(_pandoc, html_args, plain, cwd, env),
                    pool.submit(_pandoc, docx_args, plain, cwd, env),
                    pool.submit(_pandoc, typst_args, json.dumps(ast), cwd, env)]
            page, _, source = (job.result() for job in jobs)
        _check_output(project, _html_text(page), "HTML output")
        docx = docx_file.read_bytes()
        _check_output(project, docx_text(docx), "DOCX output")
        _check_output(project, _typst_text(source), "Typst source")

    try:
        pdf, warnings = typst.compile_with_warnings(
            source.encode("utf-8"),
            root=str(root),
            font_paths=[],
            ignore_system_fonts=True,
            timestamp=epoch,
        )
    except typst.TypstError as exc:
        raise RenderError(f"typst failed: {exc}") from exc
    for warning in warnings:
        print(f"typst warning: {warning}", file=sys.stderr)
    return {f"{STEM}.html": page.encode("utf-8"), f"{STEM}.pdf": bytes(pdf),
            f"{STEM}.docx": docx}


# ---------------------------------------------------------------------------
# Quarto engine


def quarto_failure(returncode: int, output: str) -> str:
    """A failed Quarto run as a message whose first line is the error itself.

    Quarto prints its settings for every format (hundreds of lines) before an
    error, and a failed Typst compile only as the tail of a progress line; the
    first line that says ``ERROR``/``error:`` (else the last line) goes first,
    then all of the output.
    """
    lines = output.splitlines()
    index = next((i for i, line in enumerate(lines) if QUARTO_ERROR.search(line)), None)
    if index is None:
        index = max((i for i, line in enumerate(lines) if line.strip()), default=0)
    summary = lines[index].strip() if lines else "(no output)"
    return (f"quarto render failed (exit {returncode}): {summary}\n"
            f"--- quarto's output ({len(lines)} lines; the error above is line {index + 1}) ---\n"
            f"{output.rstrip()}")


def _render_quarto(
    project: _Project, quarto: str, meta: dict[str, Any], env: dict[str, str]
) -> dict[str, bytes]:
    """Render every format of ``_quarto.yml`` with one ``quarto render``; return the bytes."""
    root, outdir = project.root, project.root / ".render-output"
    qmd = (project.project_dir / QMD_NAME).relative_to(root).as_posix()
    cmd = [quarto, "render", qmd, "--to", "all", "--output-dir", outdir.name,
           "--metadata-file", str(project.values.resolve()), "-M", "keep-typ:true"]
    cmd += [arg for k, v in meta.items() for arg in ("-M", f"{k}:{v}")]
    proc = subprocess.run(cmd, cwd=root, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)
    output = ANSI.sub("", proc.stdout)
    if proc.returncode != 0:
        raise RenderError(quarto_failure(proc.returncode, output))
    for line in output.splitlines():
        if line.startswith(("WARN", "[WARNING]")):
            print(f"quarto: {line}", flush=True)
    out: dict[str, bytes] = {}
    for name in OUTPUTS:
        found = sorted(outdir.rglob(name))
        if not found:
            raise RenderError(f"quarto render did not write {name}: are the html, typst and "
                              f"docx formats in {CONFIG_NAME}?\n{output.rstrip()}")
        out[name] = found[0].read_bytes()
    # keep-typ: Quarto 1.7 keeps the Typst source beside the (staged) .qmd; the PDF is
    # checked through it.
    kept = [p for p in (project.project_dir / f"{STEM}.typ", *outdir.rglob(f"{STEM}.typ"))
            if p.is_file()]
    if not kept:
        raise RenderError(f"quarto render kept no {STEM}.typ (keep-typ), so the PDF's text "
                          "cannot be checked for unresolved values and references")
    _check_output(project, _html_text(out[f"{STEM}.html"].decode("utf-8")), "HTML output")
    _check_output(project, docx_text(out[f"{STEM}.docx"]), "DOCX output")
    _check_output(project, _typst_text(kept[0].read_text(encoding="utf-8")), "Typst source")
    return out


# ---------------------------------------------------------------------------
# Public API


def _commit(outdir: Path, files: dict[str, bytes]) -> list[Path]:
    """Write all files to temporary names in ``outdir``, then rename them all."""
    staged: list[tuple[str, Path]] = []
    try:
        for name, data in files.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=outdir)
            staged.append((tmp, outdir / name))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
        for tmp, target in staged:
            os.replace(tmp, target)
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    return [target for _, target in staged]


#: The folder the manuscript's ``../results/`` paths name, relative to the manuscript folder.
RESULTS_PREFIX = "../results/"
#: Files of the staged manuscript whose ``../results/`` paths are rewritten for ``results_dir``.
REWRITTEN = (".qmd", ".md", ".yml", ".yaml")
#: What a render writes beside a source and the staged copy must not take along.
GENERATED = shutil.ignore_patterns(f"{STEM}.html", f"{STEM}.typ", f"{STEM}.pdf",
                                   f"{STEM}.docx", f"{STEM}_files", ".quarto")


@contextlib.contextmanager
def staged_project(project_dir: Path, results_dir: Path | None = None) -> Iterator[Path]:
    """A private copy of the Quarto project to render; yields its manuscript folder.

    Quarto writes ``.quarto/``, ``manuscript.typ`` and ``manuscript_files/``
    beside the sources, and leaves them there when a render fails; rendering a
    copy keeps the source tree clean either way. The copy, in a temporary
    folder, holds ``_quarto.yml`` and every project file it names, and the
    manuscript folder at the same place relative to it; the project's results
    folder (and the top folder of ``results_dir``) are links to the real ones,
    so every path relative to the manuscript reads what it reads in place, and
    Typst's root (the project) holds the figures. For another ``results_dir``
    (a restricted build's ``results/restricted``) the ``../results/`` prefix
    of the copy's own paths is rewritten to point there; the generated files
    it includes already name their folder. The copy is removed afterwards.

    Raises
    ------
    RenderError
        No ``_quarto.yml`` at or above ``project_dir``, the manuscript or
        ``results_dir`` is not in a folder below it, or a file ``_quarto.yml``
        names does not exist.
    """
    project_dir = Path(project_dir)
    root = _project_root(project_dir)
    manuscript = project_dir.resolve()
    if manuscript == root:
        raise RenderError(f"the manuscript must be in a folder below {CONFIG_NAME} ({root})")
    default = Path(os.path.normpath(manuscript / RESULTS_PREFIX))
    results = default if results_dir is None else Path(results_dir).resolve()
    links = []
    for folder in (default, results):
        if not folder.is_relative_to(root) or folder == root:
            raise RenderError(f"the results folder {folder} must be in a folder below "
                              f"{CONFIG_NAME} ({root}): Typst reads no file outside it")
        links.append(folder.relative_to(root).parts[0])
    staging = Path(tempfile.mkdtemp(prefix="manuscript-render-"))
    try:
        for path in config_files(root):
            if not path.is_file():
                raise RenderError(f"{CONFIG_NAME} names a file that does not exist: "
                                  f"{Path(os.path.relpath(path, root)).as_posix()}")
            rel = Path(os.path.relpath(path, root))
            if rel.parts[0] == "..":
                raise RenderError(f"{CONFIG_NAME} names a file outside its folder: {rel}")
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, staging / rel)
        copy = staging / manuscript.relative_to(root)
        shutil.copytree(manuscript, copy, ignore=GENERATED, dirs_exist_ok=True)
        for top in dict.fromkeys(links):
            if (staging / top).exists():
                raise RenderError(f"cannot stage the project: {top}/ holds both results and "
                                  f"files {CONFIG_NAME} names")
            (staging / top).symlink_to(root / top, target_is_directory=True)
        if results != default:
            target = Path(os.path.relpath(results, manuscript)).as_posix() + "/"
            for path in sorted(copy.rglob("*")):
                if path.is_file() and path.suffix in REWRITTEN:
                    text = path.read_text(encoding="utf-8")
                    path.write_text(text.replace(RESULTS_PREFIX, target), encoding="utf-8")
        yield copy
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _unstaged(message: str, copy: Path, project_dir: Path) -> str:
    """``message`` with the staged copy's paths replaced by the real ones."""
    root = _project_root(project_dir)
    staged_root = copy.parents[len(project_dir.resolve().relative_to(root).parts) - 1]
    return message.replace(str(staged_root), str(root))


def _check_engine(project: _Project, tools: RenderTools) -> None:
    """Fail unless ``values.yml`` names the engine that is about to render."""
    recorded = project.meta.get("render_engine")
    name = project.values.name
    if not isinstance(recorded, str) or recorded.strip() in MISSING:
        raise RenderError(f"{name} has no render_engine: make it with the values step "
                          "(python -m analysis values), which records the engine")
    if recorded != tools.label:
        raise RenderError(
            f"{name} says the paper is rendered with '{recorded}', but this render would use "
            f"'{tools.label}': rerun the values step on this machine (snakemake does when the "
            "engine changes) or choose the engine it names with --engine"
        )


def render_manuscript(
    project_dir: Path,
    outdir: Path,
    values: Path,
    engine: str = "auto",
    extra_meta: dict[str, Any] | None = None,
    results_dir: Path | None = None,
) -> RenderResult:
    """Render ``project_dir/manuscript.qmd`` to ``outdir/manuscript.{html,pdf,docx}``.

    Parameters
    ----------
    project_dir : Path
        The manuscript folder, with ``manuscript.qmd``; the Quarto project's
        ``_quarto.yml`` is there or in a folder above (the repository root).
    outdir : Path
        Output folder, created if needed.
    values : Path
        YAML file with the computed values used by ``meta`` shortcodes.
        It overrides whatever ``metadata-files`` names, and its
        ``render_engine`` must name the engine used.
    engine : {"auto", "quarto", "pandoc"}
        ``auto`` uses Quarto when ``quarto`` is on ``PATH``, else the fallback.
    extra_meta : dict, optional
        Extra scalar metadata for ``{{< meta key >}}``.
    results_dir : Path, optional
        Results folder the manuscript's ``../results/`` paths should read
        (for example ``results/restricted``); see :func:`staged_project`.

    Returns
    -------
    RenderResult
        Engine name (also printed, for the workflow log) and the output paths.

    Raises
    ------
    RenderError
        A shortcode names a missing value, an include or figure file is
        missing, a cross-reference or citation is unresolved, ``values.yml``
        names another engine, or a tool failed (for Quarto, the message starts
        with the line of its output that says what failed). Existing outputs
        are left untouched.
    """
    project_dir, outdir, values = Path(project_dir), Path(outdir), Path(values)
    try:
        tools = detect(engine)
    except EngineError as exc:
        raise RenderError(str(exc)) from None
    print(f"render engine: {tools.label}", flush=True)
    meta = dict(extra_meta or {})

    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", DEFAULT_SOURCE_DATE_EPOCH))
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
    with staged_project(project_dir, results_dir) as source:
        try:
            project = _Project(source, values, meta)
            _check_engine(project, tools)
            project.expand()  # checks shortcodes and includes
            if tools.engine == "quarto":
                quarto = shutil.which("quarto")
                assert quarto is not None  # detect() found it
                files = _render_quarto(project, quarto, meta, env)
            else:
                files = _render_pandoc(project, epoch, env)
        except RenderError as exc:
            raise RenderError(_unstaged(str(exc), source, project_dir)) from None
    outdir.mkdir(parents=True, exist_ok=True)
    outdir.mkdir(parents=True, exist_ok=True)
    outputs = _commit(outdir, files)
    for path in outputs:
        print(f"wrote {path}", flush=True)
    return RenderResult(engine=tools.label, outputs=outputs)
