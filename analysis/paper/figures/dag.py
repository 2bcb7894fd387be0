"""The workflow itself: Snakemake's rule graph, drawn in layers.

The graph is read from Snakemake (``snakemake --rulegraph``), never typed by
hand, so the figure always shows the workflow that produced the paper. The
rule graph (one node per rule) does not depend on configuration values such
as the number of robustness replications, unlike the job graph. No Graphviz
is needed: the layered layout (longest-path levels, dummy nodes on long
edges, barycentre ordering; Sugiyama, Tagawa & Toda, 1981) is computed here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path as MplPath
from matplotlib.textpath import TextPath

from analysis.palette import NEUTRAL
from analysis.paper.figures.style import DPI, WIDTH, small_cell_threshold, themed
from analysis.paper.fmt import join_words

NODE = re.compile(r'^\s*(\d+)\s*\[\s*label\s*=\s*"([^"]+)"', re.MULTILINE)
EDGE = re.compile(r"^\s*(\d+)\s*->\s*(\d+)", re.MULTILINE)
RULE = re.compile(r"^\s*rule\s+(\w+)\s*:", re.MULTILINE)
FONT_SIZE = 8.5


@dataclass(frozen=True)
class RuleGraph:
    """Rules and dependencies (``(upstream, downstream)``), sorted by name."""

    rules: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]
    files: dict[str, str]   # rule -> file that defines it (relative to the repository)


def repository_root(start: Path | None = None) -> Path:
    """The workflow's directory: ``start`` (default: the working directory) holding a Snakefile."""
    root = Path(start or Path.cwd()).resolve()
    if not (root / "Snakefile").exists():
        raise FileNotFoundError(f"no Snakefile in {root}: run from the repository root")
    return root


def parse_dot(dot: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Rules and edges of a Snakemake ``--rulegraph`` DOT text, in a canonical order."""
    labels = dict(NODE.findall(dot))
    if not labels:
        raise ValueError("the rule graph has no nodes (is this Snakemake's --rulegraph output?)")
    edges = set()
    for a, b in EDGE.findall(dot):
        if a not in labels or b not in labels:
            raise ValueError(f"the rule graph has an edge {a} -> {b} between unknown nodes")
        edges.add((labels[a], labels[b]))
    return tuple(sorted(set(labels.values()))), tuple(sorted(edges))


INCLUDE = re.compile(r'^\s*include:\s*"([^"]+)"', re.MULTILINE)


def rule_files(root: Path) -> dict[str, str]:
    """Which file defines each rule, in the Snakefile's include order (the Snakefile last)."""
    snakefile = root / "Snakefile"
    included = INCLUDE.findall(snakefile.read_text(encoding="utf-8"))
    others = sorted(p.relative_to(root).as_posix()
                    for p in (root / "workflow" / "rules").glob("*.smk"))
    files = {}
    for name in [*included, *(o for o in others if o not in included), "Snakefile"]:
        path = root / name
        if path.is_file():
            for rule in RULE.findall(path.read_text(encoding="utf-8")):
                files.setdefault(rule, name)
    return files


_CACHE: dict[tuple, RuleGraph] = {}


def _stamp(root: Path) -> tuple:
    """Modification stamps of the workflow files (the cache key of the rule graph)."""
    paths = [root / "Snakefile", *sorted((root / "workflow").rglob("*.smk")),
             *sorted((root / "config").glob("*.yaml"))]
    return (str(root), *((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths))


#: The workflow's own folders, copied for the nested Snakemake (small text files) with every
#: file at the top of the repository (the Snakefile, and any a rule names as input, such as
#: the crate's CITATION.cff), and what it only reads (linked): never the build's results/ or
#: .snakemake/, which another Snakemake is writing while it runs.
WORKFLOW_FOLDERS = ("workflow", "config", "manuscript")
WORKFLOW_LINKS = ("data", "analysis")


def _isolated_workdir(root: Path, scratch: Path) -> Path:
    """A private working directory holding the workflow of ``root``.

    The rule graph depends on the workflow alone, not on which outputs exist.
    Read in the running build's directory, the nested Snakemake would read the
    metadata (``.snakemake/``) and outputs that the outer one writes
    concurrently, and load its profile (profiles/default). Here it gets a
    copy of the workflow's files (paths inside it resolve as in the
    repository), links to the data it checks, and its own ``.snakemake/``.
    """
    import shutil

    for name in WORKFLOW_FOLDERS:
        if (root / name).is_dir():
            shutil.copytree(root / name, scratch / name,
                            ignore=shutil.ignore_patterns("__pycache__", ".quarto"))
    for source in root.iterdir():
        if source.is_file() and not source.name.startswith("."):
            shutil.copy2(source, scratch / source.name)
    for name in WORKFLOW_LINKS:
        if (root / name).exists():
            (scratch / name).symlink_to(root / name, target_is_directory=True)
    return scratch


def _describe_failure(done: subprocess.CompletedProcess) -> str:
    """How a nested Snakemake run failed: its exit status (or signal) and all it printed."""
    import signal

    status = (f"killed by signal {signal.Signals(-done.returncode).name}"
              if done.returncode < 0 else f"exit status {done.returncode}")
    if done.returncode == 0:
        status = "no rule graph (no 'digraph') in its output"
    parts = [status]
    for name, text in (("stderr", done.stderr), ("stdout", done.stdout)):
        if text and text.strip():
            parts.append(f"{name}:\n{text.strip()}")
    return "\n".join(parts)


def rule_graph(root: Path | None = None, timeout: float = 300, attempts: int = 2) -> RuleGraph:
    """Ask Snakemake for the rule graph of target ``all`` and parse it.

    Runs ``python -m snakemake --rulegraph`` with the interpreter running this
    code, in a private working directory that links to the workflow's files
    (:func:`_isolated_workdir`), with no profile (``--workflow-profile none``,
    and no ``SNAKEMAKE_PROFILE`` from the environment) and ``--nolock``: it
    only reads the workflow, whatever the build around it is doing. No
    ``--config`` is passed: the graph is that of the committed configuration,
    whatever overrides the calling run uses, except that a restricted-data
    build draws the restricted workflow (``data_source=restricted``). A failed
    run is tried once more; if that fails too, the error names the command,
    its exit status and everything it printed.
    """
    import tempfile

    root = repository_root(root)
    restricted = small_cell_threshold() is not None
    key = (*_stamp(root), restricted)
    if key in _CACHE:
        return _CACHE[key]
    # Not --quiet: it silences Snakemake's own error messages as well, so that a failed
    # run printed nothing but the line naming the profile it loaded.
    command = [sys.executable, "-m", "snakemake", "all", "--rulegraph", "--nolock",
               "--workflow-profile", "none"]
    if restricted:
        command += ["--config", "data_source=restricted"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNAKEMAKE_")}
    env["PYTHONHASHSEED"] = "0"
    failures = []
    for _ in range(max(1, attempts)):
        with tempfile.TemporaryDirectory(prefix="rulegraph-") as scratch:
            workdir = _isolated_workdir(root, Path(scratch))
            try:
                done = subprocess.run(command, cwd=workdir, capture_output=True, text=True,
                                      timeout=timeout, env=env, check=False)
            except (OSError, subprocess.TimeoutExpired) as error:
                failures.append(f"could not run: {error}")
                continue
        if done.returncode == 0 and "digraph" in done.stdout:
            break
        failures.append(_describe_failure(done))
    else:
        raise RuntimeError(f"snakemake --rulegraph failed {len(failures)} times "
                           f"({' '.join(command[1:])}):\n" + "\n---\n".join(failures))
    rules, edges = parse_dot(done.stdout[done.stdout.index("digraph"):])
    graph = RuleGraph(rules, edges, rule_files(root))
    _CACHE[key] = graph
    return graph


# --- layout -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Layout:
    levels: dict[str, int]                       # node (rule or dummy) -> column
    order: list[list[str]]                       # nodes per column, top to bottom
    routes: list[tuple[str, list[str], str]]     # (upstream, dummies, downstream)


def layered_layout(graph: RuleGraph, sweeps: int = 12) -> Layout:
    """Longest-path layers, dummy nodes on long edges, barycentre ordering within layers."""
    upstream: dict[str, list[str]] = defaultdict(list)
    for a, b in graph.edges:
        upstream[b].append(a)
    level: dict[str, int] = {}

    def depth(rule: str, seen: tuple[str, ...] = ()) -> int:
        if rule in seen:
            raise ValueError(f"the rule graph has a cycle through {rule}")
        if rule not in level:
            level[rule] = 1 + max((depth(u, (*seen, rule)) for u in upstream[rule]), default=-1)
        return level[rule]

    for rule in graph.rules:
        depth(rule)
    # Pull sources right next to their first user (a source feeding only a late rule
    # would otherwise sit in column 0 with a long edge).
    downstream: dict[str, list[str]] = defaultdict(list)
    for a, b in graph.edges:
        downstream[a].append(b)
    for rule in graph.rules:
        if not upstream[rule] and downstream[rule]:
            level[rule] = min(level[d] for d in downstream[rule]) - 1
    routes, succ, pred = [], defaultdict(list), defaultdict(list)
    levels = dict(level)
    for a, b in graph.edges:
        chain = [a]
        for step in range(level[a] + 1, level[b]):
            dummy = f"\0{a}>{b}:{step}"
            levels[dummy] = step
            chain.append(dummy)
        chain.append(b)
        for u, v in zip(chain, chain[1:], strict=False):
            succ[u].append(v)
            pred[v].append(u)
        routes.append((a, chain[1:-1], b))
    n_levels = max(levels.values()) + 1
    order = [sorted(n for n in levels if levels[n] == k) for k in range(n_levels)]
    best, fewest = [list(c) for c in order], _crossings(order, succ)
    for sweep in range(sweeps):
        forward = sweep % 2 == 0
        columns = range(1, n_levels) if forward else range(n_levels - 2, -1, -1)
        for k in columns:
            ref = order[k - 1] if forward else order[k + 1]
            pos = {n: i for i, n in enumerate(ref)}
            current = {n: i for i, n in enumerate(order[k])}

            def centre(node: str, pos=pos, current=current, forward=forward) -> tuple:
                links = [pos[m] for m in (pred[node] if forward else succ[node]) if m in pos]
                return (float(np.mean(links)) if links else float(current[node]), node)

            order[k] = sorted(order[k], key=centre)
        crossings = _crossings(order, succ)
        if crossings < fewest:
            best, fewest = [list(c) for c in order], crossings
    return Layout(levels, best, routes)


def _crossings(order: list[list[str]], succ: dict[str, list[str]]) -> int:
    """Number of edge crossings between adjacent columns of a layered ordering."""
    total = 0
    for left, right in zip(order, order[1:], strict=False):
        pos = {n: i for i, n in enumerate(right)}
        edges = [(i, pos[v]) for i, u in enumerate(left) for v in succ[u] if v in pos]
        total += sum(1 for (a, b) in edges for (c, d) in edges if a < c and b > d)
    return total


def _text_width(text: str, size: float) -> float:
    """Width of ``text`` in inches in DejaVu Sans at ``size`` points (no renderer needed)."""
    path = TextPath((0, 0), text, size=size, prop=FontProperties(family="DejaVu Sans"))
    return path.get_extents().width / 72


def _labels(rules: tuple[str, ...], box_width: float) -> dict[str, str]:
    """Rule names, broken at underscores when they do not fit in a box."""
    labels = {}
    for rule in rules:
        label = rule
        if _text_width(rule, FONT_SIZE) > box_width - 0.12 and "_" in rule:
            head, _, tail = rule.partition("_")
            label = f"{head}_\n{tail}"
        labels[rule] = label
    return labels


def _positions(layout: Layout, rules: tuple[str, ...], row: float, dummy_row: float,
               top: float, x_of) -> tuple[dict[str, tuple[float, float]], float]:
    """Centre of every node; dummy nodes take less height than boxes. Returns the total height."""
    def size(node: str) -> float:
        return row if node in rules else dummy_row

    heights = [sum(size(n) for n in column) for column in layout.order]
    tallest = max(heights)
    xy = {}
    for k, column in enumerate(layout.order):
        y = top - (tallest - heights[k]) / 2
        for node in column:
            xy[node] = (x_of(k), y - size(node) / 2)
            y -= size(node)
    return xy, tallest


def _ports(routes, xy, box_h: float) -> dict[tuple[str, int], float]:
    """Vertical offsets where each route leaves its source and enters its target box.

    Routes leaving one box are spread over its right edge, top target at the
    top; routes entering one box over its left edge, top source at the top.
    """
    out, into = defaultdict(list), defaultdict(list)
    for i, (a, dummies, b) in enumerate(routes):
        first = dummies[0] if dummies else b
        last = dummies[-1] if dummies else a
        out[a].append((-xy[first][1], i))
        into[b].append((-xy[last][1], i))
    offsets = {}
    for side, groups in (("out", out), ("in", into)):
        for members in groups.values():
            members.sort()
            spread = np.linspace(0.3, -0.3, len(members)) * box_h if len(members) > 1 else [0.0]
            for (_, i), dy in zip(members, spread, strict=True):
                offsets[(side, i)] = float(dy)
    return offsets


@themed
def workflow_dag(results: Path, data: Path, root: Path | None = None) -> Figure:
    """Boxes and arrows: every rule of the workflow, in dependency columns, left to right."""
    graph = rule_graph(root)
    layout = layered_layout(graph)
    n_levels = len(layout.order)
    gap = 0.42                                   # inches between columns
    margin = 0.06
    widest = max(_text_width(r, FONT_SIZE) for r in graph.rules) + 0.2
    box_w = min(widest, (WIDTH - 2 * margin - (n_levels - 1) * gap) / n_levels)
    labels = _labels(graph.rules, box_w)
    box_h = 0.26 if all("\n" not in v for v in labels.values()) else 0.38
    row, dummy_row = box_h + 0.14, 0.18
    legend_h = 0.0                               # no legend: the caption names the files
    step = (WIDTH - 2 * margin - box_w) / max(n_levels - 1, 1)
    _, tallest = _positions(layout, graph.rules, row, dummy_row, 0.0, lambda k: 0.0)
    height = round((2 * margin + tallest + legend_h) * DPI) / DPI
    xy, _ = _positions(layout, graph.rules, row, dummy_row, height - margin,
                       lambda k: margin + box_w / 2 + k * step)

    fig = Figure(figsize=(WIDTH, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, WIDTH)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    ports = _ports(layout.routes, xy, box_h)
    for i, (a, dummies, b) in enumerate(layout.routes):
        # A long edge runs straight through each column it crosses (at its dummy node)
        # and curves between columns.
        points = ([(xy[a][0] + box_w / 2, xy[a][1] + ports[("out", i)])]
                  + [p for d in dummies for p in ((xy[d][0] - box_w / 2, xy[d][1]),
                                                  (xy[d][0] + box_w / 2, xy[d][1]))]
                  + [(xy[b][0] - box_w / 2, xy[b][1] + ports[("in", i)])])
        vertices, codes = [points[0]], [MplPath.MOVETO]
        for j, ((x0, y0), (x1, y1)) in enumerate(zip(points, points[1:], strict=False)):
            if j % 2 == 1:          # inside a column
                vertices.append((x1, y1))
                codes.append(MplPath.LINETO)
            else:                   # between columns
                half = (x1 - x0) / 2
                vertices += [(x0 + half, y0), (x1 - half, y1), (x1, y1)]
                codes += [MplPath.CURVE4] * 3
        ax.add_patch(FancyArrowPatch(path=MplPath(vertices, codes), arrowstyle="-|>",
                                     mutation_scale=8, color=".5", linewidth=0.8,
                                     shrinkA=0, shrinkB=0.5, zorder=2))
    # Boxes are neutral: the colours of analysis.palette carry the study's meanings, and the
    # rule files are named in the caption instead.
    for rule in graph.rules:
        x, y = xy[rule]
        ax.add_patch(FancyBboxPatch((x - box_w / 2, y - box_h / 2), box_w, box_h,
                                    boxstyle="round,pad=0,rounding_size=0.05",
                                    facecolor=_tint(NEUTRAL, 0.9), edgecolor=NEUTRAL,
                                    linewidth=1.0, zorder=3))
        ax.text(x, y, labels[rule], ha="center", va="center", fontsize=FONT_SIZE,
                linespacing=1.0, color=".1", zorder=4)
    return fig


def _file_rank(graph: RuleGraph, rule: str) -> tuple[int, str]:
    """Order rules by their file's position in the Snakefile's include order."""
    order = list(dict.fromkeys(graph.files.values()))
    file = graph.files.get(rule, "other")
    return (order.index(file) if file in order else len(order), rule)


def _tint(colour: str, amount: float = 0.78) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    return tuple(c + (1 - c) * amount for c in to_rgb(colour))


def workflow_dag_caption(results: Path, data: Path, root: Path | None = None) -> str:
    graph = rule_graph(root)
    layout = layered_layout(graph)
    return (
        f"The workflow that produced this paper, drawn from Snakemake's own rule graph "
        f"(snakemake --rulegraph): {len(graph.rules)} rules and {len(graph.edges)} "
        f"dependencies. Each box is a rule, named as in the workflow; an arrow runs from a rule "
        f"to a rule that uses its output. Columns, left to right, are the "
        f"{len(layout.order)} dependency levels. A rule that runs as several jobs (one per "
        f"wildcard value) appears once. The rules are defined in {_files_text(graph)}."
    )


def _files_text(graph: RuleGraph) -> str:
    """Each rule file with its rules, in the Snakefile's include order."""
    by_file: dict[str, list[str]] = {}
    for rule in sorted(graph.rules, key=lambda r: _file_rank(graph, r)):
        by_file.setdefault(graph.files.get(rule, "other"), []).append(rule)
    return join_words([f"{Path(f).name} ({join_words(rules)})" for f, rules in by_file.items()])


def workflow_dag_alt(results: Path, data: Path, root: Path | None = None) -> str:
    graph = rule_graph(root)
    layout = layered_layout(graph)
    columns = "; ".join(
        f"column {k + 1}: {join_words([n for n in column if n in graph.rules])}"
        for k, column in enumerate(layout.order))
    feeds = defaultdict(list)
    for a, b in graph.edges:
        feeds[a].append(b)
    arrows = "; ".join(f"{a} feeds {join_words(sorted(bs))}" for a, bs in sorted(feeds.items()))
    sinks = [r for r in graph.rules if r not in feeds]
    return (
        f"Flow diagram of {len(graph.rules)} labelled boxes, one per workflow rule, in "
        f"{len(layout.order)} columns from left to right, joined by {len(graph.edges)} arrows. "
        f"{columns[:1].upper()}{columns[1:]}. Arrows: {arrows}. "
        f"The final rule{'s' if len(sinks) > 1 else ''}, "
        f"{join_words(sinks)}, {'have' if len(sinks) > 1 else 'has'} no outgoing arrows."
    )

