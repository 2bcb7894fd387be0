"""The one theme of every figure, shared helpers, and byte-stable saving.

Every figure is 6.5 in wide (a page width), drawn in DejaVu Sans at seaborn's
"paper" sizes on a white grid (:data:`SEABORN_THEME`, seaborn's settings written
out so that a figure job does not pay for importing seaborn). Colours come
from :mod:`analysis.palette`, where each carries one meaning across all
figures; what has no category of its own is drawn in the neutral grey. Figures are created as bare
:class:`matplotlib.figure.Figure` objects (no pyplot state) inside
:func:`themed`, so the theme never leaks into other code.

:func:`save_figure` writes PNG (300 dpi), SVG and a YAML sidecar atomically;
:func:`figure_markdown` gives the Quarto figure block the manuscript includes.
Timestamps and version strings are removed, the SVG id salt is fixed and text
is drawn as paths in the DejaVu Sans that ships with matplotlib, so the same
data give the same bytes on every run and machine with the same package
versions.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import matplotlib
import numpy as np
import pandas as pd
import yaml
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

from analysis.io import read_csv, read_json, write_bytes, write_text
from analysis.palette import NEUTRAL
from analysis.paper.fmt import percent

matplotlib.use("Agg")

#: Figure width (inches): the text width of a letter page with 1 in margins.
WIDTH = 6.5
#: Raster resolution of the PNG.
DPI = 300

#: ``{**seaborn.axes_style("whitegrid"), **seaborn.plotting_context("paper")}`` of the
#: pinned seaborn (0.13.2), less ``image.cmap`` (seaborn's "rocket" exists only once
#: seaborn is imported, and no figure uses a default colour map). Importing seaborn
#: costs a figure job about a second; tests/paper/test_style.py checks this copy
#: against seaborn itself.
SEABORN_THEME: dict[str, Any] = {
    "axes.axisbelow": True, "axes.edgecolor": ".8", "axes.facecolor": "white",
    "axes.grid": True, "axes.labelcolor": ".15", "axes.labelsize": 9.600000000000001,
    "axes.linewidth": 1.0, "axes.spines.bottom": True, "axes.spines.left": True,
    "axes.spines.right": True, "axes.spines.top": True, "axes.titlesize": 9.600000000000001,
    "figure.facecolor": "white", "font.family": ["sans-serif"],
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans",
                        "sans-serif"],
    "font.size": 9.600000000000001, "grid.color": ".8", "grid.linestyle": "-",
    "grid.linewidth": 0.8, "legend.fontsize": 8.8, "legend.title_fontsize": 9.600000000000001,
    "lines.linewidth": 1.2000000000000002, "lines.markersize": 4.800000000000001,
    "lines.solid_capstyle": "round", "patch.edgecolor": "w", "patch.force_edgecolor": True,
    "patch.linewidth": 0.8, "text.color": ".15",
    "xtick.bottom": False, "xtick.color": ".15", "xtick.direction": "out",
    "xtick.labelsize": 8.8, "xtick.major.size": 4.800000000000001, "xtick.major.width": 1.0,
    "xtick.minor.size": 3.2, "xtick.minor.width": 0.8, "xtick.top": False,
    "ytick.color": ".15", "ytick.direction": "out", "ytick.labelsize": 8.8,
    "ytick.left": False, "ytick.major.size": 4.800000000000001, "ytick.major.width": 1.0,
    "ytick.minor.size": 3.2, "ytick.minor.width": 0.8, "ytick.right": False,
}

RC: dict[str, Any] = {
    **SEABORN_THEME,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    # Anything drawn without a colour of its own is neutral: colours are meanings.
    "axes.prop_cycle": cycler(color=[NEUTRAL]),
    "axes.edgecolor": ".3",
    "axes.labelcolor": ".15",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 9.6,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "grid.color": ".88",
    "xtick.bottom": True,
    "ytick.left": True,
    "xtick.major.size": 3.0,
    "ytick.major.size": 3.0,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "savefig.facecolor": "white",
    # Byte-stable output: fixed id salt, text as paths (no font needed to view).
    "svg.hashsalt": "ipv-replication",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
}

#: Names shared by all figures for the same variable (colours: analysis.palette).
INITIATOR_LABELS: dict[str, str] = {"self": "Survivor called", "external": "Someone else called"}
INJURY_LABELS: dict[int, str] = {0: "No visible injury", 1: "Visible injury"}
REFERENCE = ".35"   # reference lines (0, 50%, 100%)
#: Monte Carlo intervals: estimate +/- this many Monte Carlo standard errors (z at 97.5%).
MC_Z = 1.959963984540054
#: Level of analysis by marker shape, in every figure; a filled marker is the primary one.
LEVEL_MARKERS: dict[str, str] = {"contact": "s", "survivor": "o"}


def themed(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``func`` with the figure theme in effect (and only then)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(RC):
            return func(*args, **kwargs)
    return wrapper


def new_figure(height: float, nrows: int = 1, ncols: int = 1, **kwargs) -> tuple[Figure, Any]:
    """A page-wide figure with constrained layout (call inside :func:`themed`).

    ``height`` is rounded to whole pixels at :data:`DPI` so the PNG size is exact.
    """
    height = round(height * DPI) / DPI
    fig = Figure(figsize=(WIDTH, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True, **kwargs)
    return fig, axes


# --- restricted data -------------------------------------------------------------------------

#: The small-cell threshold of a restricted-data build (None: synthetic data). Set by
#: :func:`analysis.paper.figures.build` for the figure it draws.
_THRESHOLD: ContextVar[int | None] = ContextVar("small_cell_threshold", default=None)


@contextlib.contextmanager
def restricted_mode(threshold: int | None) -> Iterator[None]:
    """Draw figures for restricted data (suppressed cells omitted) while in this context."""
    token = _THRESHOLD.set(threshold)
    try:
        yield
    finally:
        _THRESHOLD.reset(token)


_MEMO: ContextVar[dict[tuple, Any] | None] = ContextVar("figure_memo", default=None)


@contextlib.contextmanager
def one_figure() -> Iterator[None]:
    """While one figure is drawn, captioned and described, compute each
    :func:`once_per_figure` result once (all three read the same files)."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def once_per_figure(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Compute ``fn`` once per arguments inside :func:`one_figure`; elsewhere call through.

    For the data behind a figure that its drawing function, caption and alt
    text each need; callers must not modify what it returns.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        memo = _MEMO.get()
        if memo is None:
            return fn(*args, **kwargs)
        key = (fn.__qualname__, args, tuple(sorted(kwargs.items())))
        if key not in memo:
            memo[key] = fn(*args, **kwargs)
        return memo[key]

    return wrapper


def small_cell_threshold() -> int | None:
    """The small-cell threshold when drawing restricted data, else None."""
    return _THRESHOLD.get()


def suppressed(value: Any) -> bool:
    """True for a withheld count (shown as ``"suppressed"``) in a restricted result."""
    from analysis.disclosure.markers import is_suppressed

    return is_suppressed(value)


def count_label(value: Any) -> str:
    """A count for a label or text: the integer, or the suppression marker as is."""
    return str(value) if suppressed(value) else str(int(float(value)))


def suppression_note(what: str = "bars") -> str:
    """The caption sentence for omitted cells in restricted builds ("" for synthetic data)."""
    threshold = small_cell_threshold()
    if threshold is None:
        return ""
    from analysis.disclosure.markers import withheld_sentence

    return f" Restricted data: {withheld_sentence(threshold)}; the {what} of withheld counts are " \
           "not drawn."


# --- reading inputs ---------------------------------------------------------------------------

def read_result(results: Path, relative: str) -> pd.DataFrame:
    """Read a CSV under the results directory (a clear error if it is missing)."""
    path = Path(results) / relative
    if not path.exists():
        raise FileNotFoundError(f"input not found: {path} (build it with snakemake first)")
    return read_csv(path)


def read_claims(results: Path) -> dict[str, Any]:
    """results/claims.json (alpha and one entry per claim)."""
    path = Path(results) / "claims.json"
    if not path.exists():
        raise FileNotFoundError(f"input not found: {path} (build it with snakemake first)")
    return read_json(path)


def interval_level(results: Path) -> str:
    """The confidence level the analysis used, from the alpha recorded in claims.json ("95%")."""
    return percent(1 - float(read_claims(results)["alpha"]))


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {', '.join(missing)}")
    if frame.empty:
        raise ValueError(f"{what}: no rows")


# --- formatting -------------------------------------------------------------------------------

def percent_axis(ax: Axes, axis: str = "x", step: float = 0.2, limits=(0.0, 1.0)) -> None:
    """Shares drawn on a 0-1 scale, labelled in percent."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(MultipleLocator(step))
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v * 100:.0f}"))
    (ax.set_xlim if axis == "x" else ax.set_ylim)(*limits)


def interval_errors(frame: pd.DataFrame, estimate: str = "share", low: str = "ci_low",
                    high: str = "ci_high") -> np.ndarray:
    """Asymmetric error-bar lengths (2 x n) for ``errorbar``; never negative."""
    est = frame[estimate].to_numpy(dtype=float)
    lo = np.clip(frame[low].to_numpy(dtype=float), 0, None)
    hi = frame[high].to_numpy(dtype=float)
    return np.vstack([np.clip(est - lo, 0, None), np.clip(hi - est, 0, None)])


def text_on(colour: str) -> str:
    """Black or white: the text colour that reads on a fill of ``colour``."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(colour)
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


# --- saving -----------------------------------------------------------------------------------

class _SidecarDumper(yaml.SafeDumper):
    """Writes prose as folded block scalars (wrapped, unquoted, easy to diff and to include)."""


def _folded(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = ">" if " " in value else None   # prose folded; keys and names plain
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_SidecarDumper.add_representer(str, _folded)


def sidecar_text(caption: str, alt: str, source: str) -> str:
    """The YAML sidecar: ``caption``, ``alt`` and the function that drew the figure.

    Keys are in a fixed order with prose as folded scalars, so the report can
    include the caption straight from this file (see workflow/report/figure.rst).
    """
    for key, value in (("caption", caption), ("alt", alt)):
        if not value or not value.strip():
            raise ValueError(f"the figure's {key} is empty")
    data = {"caption": " ".join(caption.split()), "alt": " ".join(alt.split()),
            "source": source}
    text = yaml.dump(data, Dumper=_SidecarDumper, sort_keys=False, allow_unicode=True,
                     width=88)
    if "caption: >-\n" not in text or "\nalt: >-\n" not in text:
        raise ValueError("caption and alt must be plain prose (they could not be written "
                         "as folded YAML text)")
    assert yaml.safe_load(text) == data
    return text


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#@$~^|])")


def markdown_text(text: str) -> str:
    """Plain prose as literal Markdown (Pandoc): no emphasis, citations, math or dashes."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split())).replace("--", "-\\-")


def figure_markdown(name: str, image: str, caption: str, alt: str, source: str) -> str:
    """A Quarto figure block: the image with caption, ``#fig-<name>`` id and ``fig-alt``.

    ``image`` is the PNG's path relative to the manuscript; cross-reference it
    as ``@fig-<name>`` with underscores written as hyphens.
    """
    label = "fig-" + name.replace("_", "-")
    alt_attr = " ".join(alt.split()).replace("\\", "\\\\").replace('"', '\\"')
    source_note = f" Drawn by `{source}`." if source else ""
    return (f"![{markdown_text(caption)}{source_note}]({image})"
            f'{{#{label} fig-alt="{alt_attr}"}}\n')


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


#: A caption's first sentence longer than this loses its bracketed asides in the title.
TITLE_LENGTH = 150


def figure_title(caption: str) -> str:
    """A short, readable title from a caption: its first sentence, up to a colon if any.

    A colon inside brackets does not end the title; a first sentence longer
    than :data:`TITLE_LENGTH` characters drops its bracketed asides.

    >>> figure_title("Arrest by earlier calls: fitted probabilities. Bands are 95% intervals.")
    'Arrest by earlier calls'
    """
    first = _SENTENCE_END.split(" ".join(caption.split()), maxsplit=1)[0]
    depth, kept = 0, []
    for i, char in enumerate(first):
        if char == ":" and depth == 0 and first[i + 1:i + 2] == " ":
            first = first[:i]
            break
        depth += {"(": 1, ")": -1}.get(char, 0)
    if len(first) > TITLE_LENGTH:
        depth = 0
        for char in first:
            depth += char == "("
            if depth == 0:
                kept.append(char)
            depth -= char == ")"
        first = re.sub(r"\s+([,;.])", r"\1", " ".join("".join(kept).split()))
    return first.rstrip(".").strip()


def _svg_with_title(svg: str, title: str, alt: str) -> str:
    """Give the SVG an accessible name and description (<title>, <desc>, role="img")."""
    start = svg.index("<svg")
    end = svg.index(">", start)
    head = svg[start:end].rstrip("/")
    return (svg[:start] + head + ' role="img">\n <title>' + escape(title) + "</title>\n <desc>"
            + escape(alt) + "</desc>" + svg[end + 1:])


def save_figure(fig: Figure, outstem: str | os.PathLike, caption: str, alt: str,
                source: str | None = None) -> list[Path]:
    """Write ``<outstem>.png`` (300 dpi), ``<outstem>.svg`` and ``<outstem>.yml`` atomically.

    Parameters
    ----------
    fig
        The figure (drawn inside :func:`themed`).
    outstem
        Output path without extension.
    caption, alt
        The caption (what is shown, n, what the intervals are) and the alt text
        (the visual content and main pattern, for a screen-reader user).
    source
        The function that drew it (recorded in the sidecar); defaults to the
        figure name under :mod:`analysis.paper.figures`.

    Returns
    -------
    list of Path
        The three files written.

    Notes
    -----
    PNG metadata drops the "Software" entry (matplotlib version); SVG metadata
    drops "Date" and "Creator"; ``svg.hashsalt`` fixes the SVG ids. Both carry
    the alt text as their description and :func:`figure_title` of the caption
    as their title (the SVG has exactly one ``<title>``).
    """
    stem = Path(outstem)
    name = stem.name
    title = figure_title(caption)
    sidecar = sidecar_text(caption, alt, source or f"analysis.paper.figures.{name}")
    with matplotlib.rc_context(RC):
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=DPI,
                    metadata={"Software": None, "Title": title, "Description": alt})
        svg = io.StringIO()
        # No "Title" here: matplotlib would write a <title> of its own beside ours.
        fig.savefig(svg, format="svg",
                    metadata={"Date": None, "Creator": None, "Description": alt})
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg"), stem.with_suffix(".yml")]
    write_bytes(paths[0], png.getvalue())
    write_text(paths[1], _svg_with_title(svg.getvalue(), title, alt))
    write_text(paths[2], sidecar)
    return paths
