"""Render the Quarto manuscript to self-contained HTML and PDF.

Two engines give the same two files, ``manuscript.html`` and ``manuscript.pdf``:

``quarto``
    ``quarto render`` to ``html`` (resources embedded) and ``typst`` (PDF).
``pandoc``
    The fallback for machines without Quarto. It renders the *same* ``.qmd``
    with the Pandoc binary shipped by ``pypandoc-binary`` and compiles the PDF
    with the ``typst`` Python package. It supports exactly the Quarto features
    the manuscript uses: ``{{< meta key.sub >}}``, ``{{< var key >}}``,
    ``{{< include path >}}`` and ``{{< pagebreak >}}`` shortcodes (expanded
    here in Python), numbered ``#fig-``/``#tbl-`` cross-references and
    callout blocks (``resources/quarto_compat.lua``), and citations
    (``--citeproc``).

``engine="auto"`` picks ``quarto`` when it is on ``PATH``. Whatever the engine,
shortcodes and includes are checked first, the output text is checked for
unresolved shortcodes or cross-references, and both files are written to
temporary names and renamed into place only when everything succeeded. The
fallback output is byte-reproducible: fixed ``SOURCE_DATE_EPOCH``, only the
fonts embedded in Typst, and no absolute paths.

Run as ``python -m analysis.render.engine --project manuscript --values
results/values.yml --outdir results/manuscript [--engine auto|quarto|pandoc]``.

``--results-dir`` renders against another results folder (a restricted-data
build's ``results/restricted``): the project is copied to a temporary folder
beside it, in which the ``../results/`` prefix of every include, figure and
metadata path is rewritten to point there; the source is left untouched.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import yaml

from analysis.render.sources import QMD_NAME, SHORTCODE

DEFAULT_SOURCE_DATE_EPOCH = 1640995200  # 2022-01-01T00:00:00Z
LUA_FILTER = Path(__file__).resolve().parent / "resources" / "quarto_compat.lua"

FRONT_MATTER = re.compile(
    r"\A---[ \t]*\r?\n(?P<yaml>.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S
)
LEFTOVER = re.compile(r"\{\{<|@fig-|@tbl-|\?\?|\?(?:meta|var):")
PAGEBREAK = "\n\n```{=typst}\n#pagebreak()\n```\n\n"
# _quarto.yml keys that are project or engine options, not document metadata.
NON_METADATA_KEYS = {
    "project", "format", "metadata-files", "execute", "filters", "bibliography", "csl",
    "editor", "engine", "jupyter", "knitr", "website", "book", "manuscript",
}  # fmt: skip
MISSING = {"", "~", "null", "Null", "NULL"}

TYPST_PAGE = {"papersize": "a4", "fontsize": "11pt", "margin": {"x": "2.5cm", "y": "2.5cm"}}
TYPST_HEADER = """\
#set figure(numbering: none)
#show figure.caption: set text(size: 0.9em)
#set table(stroke: 0.5pt + luma(140), inset: 4pt)
#show table: set text(size: 0.85em)
#show table: set par(justify: false)
#show figure: set block(breakable: true)
#show table: it => { show raw: set text(size: 0.8em); it }
#show link: set text(fill: rgb("#1f4e79"))
"""
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
        The engine used, with versions, e.g. ``"pandoc 3.9 + typst 0.15.2"``.
    outputs : list of Path
        The files written: ``manuscript.html`` and ``manuscript.pdf``.
    """

    engine: str
    outputs: list[Path] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Shortcodes and includes (both engines check them; the fallback uses the text)


def _load_yaml(path: Path, *, strings: bool = False) -> dict[str, Any]:
    """Load a YAML mapping; with ``strings`` every scalar stays its source text."""
    loader = yaml.BaseLoader if strings else yaml.SafeLoader
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
    loader = yaml.BaseLoader if strings else yaml.SafeLoader
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
    """Expand Quarto shortcodes against one metadata mapping."""

    project_dir: Path
    meta: dict[str, Any]
    values_name: str

    def where(self, path: Path, text: str, pos: int) -> str:
        """``file:line`` of position ``pos`` in ``text`` (read from ``path``)."""
        rel = os.path.relpath(path, self.project_dir)
        return f"{Path(rel).as_posix()}:{text.count(chr(10), 0, pos) + 1}"

    def lookup(self, key: str, where: str, depth: int = 0) -> str:
        """The text of a dotted ``key`` (``a.b.0.c``); fail naming ``key`` and ``where``."""
        node: Any = self.meta
        for part in key.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                node = None
                break
        if node is None or (isinstance(node, str) and node.strip() in MISSING):
            raise RenderError(
                f"{where}: shortcode names a missing value '{key}' "
                f"(not in {self.values_name} or the document metadata)"
            )
        if not isinstance(node, str):
            raise RenderError(f"{where}: value '{key}' is a {type(node).__name__}, not a scalar")
        if "{{<" in node:  # a metadata string may itself use shortcodes
            if depth > 10:
                raise RenderError(f"{where}: shortcodes in '{key}' refer to each other in a loop")
            node = SHORTCODE.sub(lambda m: self.lookup(_arg(m, where), where, depth + 1), node)
        return node

    def expand(self, path: Path, stack: tuple[Path, ...] = ()) -> str:
        """Return the text of ``path`` with every shortcode expanded."""
        text = path.read_text(encoding="utf-8")

        def replace(match: re.Match[str]) -> str:
            where = self.where(path, text, match.start())
            name = match["name"]
            if name in ("meta", "var"):
                return self.lookup(_arg(match, where), where)
            if name == "include":
                arg = _arg(match, where)
                target = (path.parent / arg).resolve()
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
    """A Quarto project folder with its configuration and expanded source."""

    project_dir: Path
    values: Path
    extra_meta: dict[str, Any]
    config: dict[str, Any] = field(init=False)
    front: dict[str, Any] = field(init=False)
    source: str = field(init=False)

    def __post_init__(self) -> None:
        qmd = self.project_dir / QMD_NAME
        if not qmd.is_file():
            raise RenderError(f"manuscript source not found: {qmd}")
        if not self.values.is_file():
            raise RenderError(f"values file not found: {self.values}")
        config_file = self.project_dir / "_quarto.yml"
        self.config = _load_yaml(config_file) if config_file.is_file() else {}
        text = qmd.read_text(encoding="utf-8")
        self.front = _front_matter(text, QMD_NAME, strings=False)
        raw_config = _load_yaml(config_file, strings=True) if config_file.is_file() else {}
        meta = _merge(
            _load_yaml(self.values, strings=True),
            raw_config,
            _front_matter(text, QMD_NAME, strings=True),
            {str(k): str(v) for k, v in self.extra_meta.items()},
        )
        self.source = _Expander(self.project_dir.resolve(), meta, self.values.name).expand(
            qmd.resolve()
        )

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
        """Paths named by ``bibliography``/``csl``, relative to the project, checked."""
        value = self.option(key, "html") or []
        paths = [value] if isinstance(value, str) else list(value)
        for path in paths:
            if not (self.project_dir / path).is_file():
                raise RenderError(f"{key} file not found: {path}")
        return paths

    def document_metadata(self) -> dict[str, Any]:
        """``_quarto.yml`` keys that are document metadata (title, author, ...)."""
        return {k: v for k, v in self.config.items() if k not in NON_METADATA_KEYS}


# ---------------------------------------------------------------------------
# Fallback engine: Pandoc + Typst


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


def _html_text(page: str) -> str:
    """Visible text and attribute values of an HTML page (no CSS, scripts, data URIs)."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"data:[^,\"'\s]*;base64,[A-Za-z0-9+/=]+", " ", page)
    return html.unescape(page)


def pandoc_engine_name() -> str:
    """Name and versions of the fallback engine, e.g. ``pandoc 3.9 + typst 0.15.2``."""
    import pypandoc
    import typst

    return f"pandoc {pypandoc.get_pandoc_version()} + typst {typst.__version__}"


def _render_pandoc(project: _Project, epoch: int, env: dict[str, str]) -> dict[str, bytes]:
    """Render with Pandoc (HTML) and Pandoc + Typst (PDF); return the bytes."""
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
        files: list[Path] = []
        for target in _images(ast):
            src = target[0]
            if src.startswith("data:"):
                continue
            if urlparse(src).scheme:
                raise RenderError(f"remote image not supported (not reproducible): {src}")
            path = (cwd / unquote(src)).resolve()
            if not path.is_file():
                raise RenderError(f"figure file not found: {src} (relative to {QMD_NAME})")
            files.append(path)
        root = Path(os.path.commonpath([cwd.resolve(), *files]))

        common = ["-f", "json", "--standalone", "--lua-filter", str(LUA_FILTER), "--citeproc"]
        for bib in project.resource("bibliography"):
            common += ["--bibliography", bib]
        common += [arg for csl in project.resource("csl")[:1] for arg in ("--csl", csl)]
        common += ["-M", "link-citations=true"]

        html_args = [*common, "-t", "html5", "--embed-resources", "--resource-path", "."]
        html_args += ["-V", f"header-includes={HTML_STYLE}"]
        if project.option("number-sections", "html", False):
            html_args.append("--number-sections")
        if project.option("toc", "html", False):
            html_args.append("--toc")
        page = _pandoc(html_args, json.dumps(ast), cwd, env)
        _check_leftovers(_html_text(page), "HTML output")

        for target in _images(ast):
            if not target[0].startswith("data:"):
                path = (cwd / unquote(target[0])).resolve()
                target[0] = "/" + path.relative_to(root).as_posix()
        page_meta = Path(tmp, "typst-meta.yml")
        setup = {k: project.option(k, "typst", v) for k, v in TYPST_PAGE.items()}
        page_meta.write_text(yaml.safe_dump(setup), encoding="utf-8")
        typst_args = [*common, "-t", "typst", "--metadata-file", str(page_meta)]
        typst_args += ["-V", f"header-includes={TYPST_HEADER}"]
        if project.option("number-sections", "typst", False):
            typst_args += ["-V", "section-numbering=1.1"]
        if project.option("toc", "typst", False):
            typst_args.append("--toc")
        source = _pandoc(typst_args, json.dumps(ast), cwd, env)
        _check_leftovers(source.replace("\\", ""), "Typst source")

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
    return {"manuscript.html": page.encode("utf-8"), "manuscript.pdf": bytes(pdf)}


# ---------------------------------------------------------------------------
# Quarto engine


def _quarto_engine_name(quarto: str) -> str:
    """``quarto <version>``."""
    proc = subprocess.run([quarto, "--version"], capture_output=True, text=True, check=False)
    return f"quarto {proc.stdout.strip() or 'unknown'}"


def _render_quarto(
    project: _Project, quarto: str, outdir: Path, meta: dict[str, Any], env: dict[str, str]
) -> dict[str, bytes]:
    """Render HTML and Typst-PDF with ``quarto render``; return the bytes."""
    meta_args = [arg for k, v in meta.items() for arg in ("-M", f"{k}:{v}")]
    out: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix=".quarto-", dir=outdir) as tmp:
        rel = os.path.relpath(tmp, project.project_dir)
        for fmt, name, extra in (
            ("html", "manuscript.html", ["-M", "embed-resources:true"]),
            ("typst", "manuscript.pdf", []),
        ):
            cmd = [quarto, "render", QMD_NAME, "--to", fmt, "--output-dir", rel]
            cmd += ["--metadata-file", str(project.values.resolve()), *extra, *meta_args]
            proc = subprocess.run(
                cmd, cwd=project.project_dir, env=env, capture_output=True, text=True, check=False
            )
            if proc.returncode != 0:
                raise RenderError(f"quarto render --to {fmt} failed: {proc.stderr.strip()}")
            found = sorted(Path(tmp).rglob(name))
            if not found:
                raise RenderError(f"quarto render --to {fmt} did not produce {name}")
            out[name] = found[0].read_bytes()
    _check_leftovers(_html_text(out["manuscript.html"].decode("utf-8")), "HTML output")
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


RESULTS_PREFIX = "../results/"
#: Project files whose ``../results/`` paths are rewritten for ``results_dir``.
REWRITTEN = (".qmd", ".md", ".yml", ".yaml")


@contextlib.contextmanager
def staged_project(project_dir: Path, results_dir: Path | None) -> Iterator[Path]:
    """The project folder to render: itself, or a staged copy reading ``results_dir``.

    The manuscript names its inputs as ``../results/...``. For another results
    folder the project is copied to a temporary sibling folder (so relative
    paths keep their depth) with that prefix rewritten; the copy is removed
    afterwards.
    """
    project_dir = Path(project_dir)
    if results_dir is None:
        yield project_dir
        return
    target = Path(os.path.relpath(Path(results_dir).resolve(), project_dir.resolve())).as_posix()
    if target + "/" == RESULTS_PREFIX:
        yield project_dir
        return
    staging = Path(tempfile.mkdtemp(prefix=f".{project_dir.name}-staged-",
                                    dir=project_dir.resolve().parent))
    try:
        shutil.copytree(project_dir, staging, dirs_exist_ok=True)
        for path in sorted(staging.rglob("*")):
            if path.is_file() and path.suffix in REWRITTEN:
                text = path.read_text(encoding="utf-8")
                path.write_text(text.replace(RESULTS_PREFIX, target + "/"), encoding="utf-8")
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def render_manuscript(
    project_dir: Path,
    outdir: Path,
    values: Path,
    engine: str = "auto",
    extra_meta: dict[str, Any] | None = None,
    results_dir: Path | None = None,
) -> RenderResult:
    """Render ``project_dir/manuscript.qmd`` to ``outdir/manuscript.{html,pdf}``.

    Parameters
    ----------
    project_dir : Path
        Quarto project folder with ``_quarto.yml`` and ``manuscript.qmd``.
    outdir : Path
        Output folder, created if needed.
    values : Path
        YAML file with the computed values used by ``meta``/``var`` shortcodes.
        It overrides whatever ``metadata-files`` names.
    engine : {"auto", "quarto", "pandoc"}
        ``auto`` uses Quarto when ``quarto`` is on ``PATH``, else the fallback.
    extra_meta : dict, optional
        Extra scalar metadata for ``{{< meta key >}}``. ``render_engine`` is set
        to the engine name unless given here.
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
        missing, a cross-reference is unresolved, or a tool failed. Existing
        outputs are left untouched.
    """
    project_dir, outdir, values = Path(project_dir), Path(outdir), Path(values)
    quarto = shutil.which("quarto")
    if engine == "auto":
        engine = "quarto" if quarto else "pandoc"
    if engine == "quarto":
        if quarto is None:
            raise RenderError("engine 'quarto' requested but the quarto command is not on PATH")
        name = _quarto_engine_name(quarto)
    elif engine == "pandoc":
        quarto, name = None, pandoc_engine_name()
    else:
        raise RenderError(f"unknown engine {engine!r} (use auto, quarto or pandoc)")
    meta = {"render_engine": name, **(extra_meta or {})}
    print(f"render engine: {name}", flush=True)

    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", DEFAULT_SOURCE_DATE_EPOCH))
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
    with staged_project(project_dir, results_dir) as source:
        project = _Project(source, values, meta)  # checks shortcodes and includes
        outdir.mkdir(parents=True, exist_ok=True)
        if quarto is not None:
            files = _render_quarto(project, quarto, outdir, meta, env)
        else:
            files = _render_pandoc(project, epoch, env)
    outputs = _commit(outdir, files)
    for path in outputs:
        print(f"wrote {path}", flush=True)
    return RenderResult(engine=name, outputs=outputs)
