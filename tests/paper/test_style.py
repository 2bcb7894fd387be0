"""The figure theme: seaborn's settings, written out, still equal seaborn's own."""

from __future__ import annotations

import subprocess
import sys

import seaborn as sns

from analysis.paper.figures.style import RC, SEABORN_THEME


def test_theme_copy_equals_seaborn():
    expected = {**sns.axes_style("whitegrid"), **sns.plotting_context("paper")}
    assert expected.pop("image.cmap") == "rocket"  # left out on purpose (see SEABORN_THEME)
    assert SEABORN_THEME == expected


def test_theme_overrides_are_applied_on_top():
    assert RC["font.sans-serif"] == ["DejaVu Sans"]
    assert RC["axes.spines.top"] is False
    assert RC["axes.grid"] is True


def test_figure_code_does_not_import_seaborn_or_statsmodels():
    code = ("import sys, analysis.paper.figures as f, analysis.cli.figure\n"
            "import pkgutil, importlib\n"
            "for m in pkgutil.iter_modules(f.__path__):\n"
            "    importlib.import_module('analysis.paper.figures.' + m.name)\n"
            "print(sorted(m for m in ('seaborn', 'statsmodels', 'scipy.stats')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
