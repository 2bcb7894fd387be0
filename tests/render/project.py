"""The render tests' fixture project, laid out like the repository."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from analysis.render.tools import detect

REPO = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "render"
CSL = REPO / "manuscript" / "apa.csl"
RESOURCES = REPO / "analysis" / "render" / "resources"


def make_png(path: Path) -> Path:
    """A small line chart as PNG (matplotlib, no metadata)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 2.5))
    ax.plot([0, 1, 2, 3], [0.1, 0.3, 0.5, 0.6])
    ax.set_xlabel("Earlier calls")
    fig.savefig(path, dpi=60, metadata={"Software": None})
    plt.close(fig)
    return path


def record_engine(values: Path, label: str) -> None:
    """Write ``render_engine`` into a values file, as the values step does."""
    data = yaml.safe_load(values.read_text(encoding="utf-8"))
    data["render_engine"] = label
    values.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def make_project(dest: Path, figure_png: Path, engine: str = "pandoc") -> Path:
    """Copy the fixture project to ``dest``: ``_quarto.yml`` at its root, the render
    resources, the CSL, the figure, and values naming ``engine``; return ``dest``."""
    shutil.copytree(FIXTURE, dest)
    shutil.copy(CSL, dest / "manuscript" / "apa.csl")
    shutil.copytree(RESOURCES, dest / "analysis" / "render" / "resources")
    (dest / "results" / "figures").mkdir(parents=True)
    shutil.copy(figure_png, dest / "results" / "figures" / "arrest.png")
    record_engine(dest / "results" / "values.yml", detect(engine).label)
    return dest
