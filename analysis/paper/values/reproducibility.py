"""values.yml, reproducibility statement: software versions and input hashes."""

from __future__ import annotations

import platform
from importlib import metadata

#: Packages whose versions the reproducibility statement lists.
SOFTWARE = ("snakemake", "numpy", "pandas", "scipy", "statsmodels", "seaborn", "matplotlib",
            "pandera", "krippendorff", "pypandoc-binary", "typst", "pyyaml", "jsonschema")


def software_versions() -> dict[str, str]:
    """Python and the versions of the packages in :data:`SOFTWARE`."""
    versions = {"python": platform.python_version()}
    for name in SOFTWARE:
        try:
            versions[name.replace("-", "_")] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name.replace("-", "_")] = "not installed"
    return versions


def hash_values(hashes: dict[str, str], committed_match: bool | None) -> dict[str, str]:
    """``hashes``: SHA-256 of each study table, and whether they match the committed copy."""
    values = dict(hashes)
    values["committed_match"] = ("not checked" if committed_match is None
                                 else "yes" if committed_match else "no")
    return values
