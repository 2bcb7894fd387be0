"""Render the manuscript: Quarto where it is installed, otherwise Pandoc + Typst.

See :mod:`analysis.render.engine`; the Lua filter that gives Pandoc the
Quarto features the manuscript uses is ``resources/quarto_compat.lua``.
"""
