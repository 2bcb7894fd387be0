"""values.yml, reproducibility statement: software versions, render engine, input hashes."""

from __future__ import annotations

import platform
from collections.abc import Mapping
from importlib import metadata
from typing import Any

#: Packages whose versions the reproducibility statement lists. The render tools
#: (Quarto, or the Pandoc and Typst of the fallback's packages) come from the
#: render engine the workflow records (:func:`render_values`).
SOFTWARE = ("snakemake", "numpy", "pandas", "scipy", "statsmodels", "seaborn", "matplotlib",
            "pandera", "krippendorff", "pyyaml", "jsonschema")


def software_versions() -> dict[str, str]:
    """Python and the versions of the packages in :data:`SOFTWARE`."""
    versions = {"python": platform.python_version()}
    for name in SOFTWARE:
        try:
            versions[name.replace("-", "_")] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name.replace("-", "_")] = "not installed"
    return versions


def render_values(render: Mapping[str, Any]) -> dict[str, Any]:
    """``render``: the engine that renders the paper and its tools, as recorded.

    ``render`` is :meth:`analysis.render.tools.RenderTools.as_dict`: ``engine``
    (``quarto`` or ``pandoc``), ``label`` (what the paper prints as
    ``render_engine``) and ``software`` (tool -> version).
    """
    return {"engine": str(render["engine"]),
            "software": {str(k): str(v) for k, v in render["software"].items()}}


def software_rows(render: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Rows of the software table: Python and its packages, then the render tools."""
    rows = [(name.replace("_", "-"), version) for name, version in software_versions().items()]
    return rows + list(render_values(render)["software"].items())


def hash_values(hashes: dict[str, str], committed_match: bool | None) -> dict[str, str]:
    """``hashes``: SHA-256 of each study table, and whether they match the committed copy."""
    values = dict(hashes)
    values["committed_match"] = ("not checked" if committed_match is None
                                 else "yes" if committed_match else "no")
    return values
