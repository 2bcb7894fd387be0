"""Fixtures of the render tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.render.project import make_png


@pytest.fixture(scope="module")
def figure_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small PNG made once per module with matplotlib."""
    return make_png(tmp_path_factory.mktemp("png") / "arrest.png")
