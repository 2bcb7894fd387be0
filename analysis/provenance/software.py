"""The software the build ran, with versions, as the crate lists it.

The Python packages are the package's own direct requirements (its pins in
``pyproject.toml``, as the installed distribution declares them; optional
extras left out), each identified by the home page its own metadata gives and
by its Package URL (``pkg:pypi/<name>@<version>``, which names the package and
the exact version). Python itself, and the
programs that render the paper (Pandoc and Typst, or Quarto, whose versions
the workflow records in ``values.yml``), are identified by their home pages.
"""

from __future__ import annotations

import platform
import re
from collections.abc import Mapping
from importlib import metadata
from urllib.parse import urlparse

from analysis.provenance.crate import Software

#: Home pages of the programs outside Python that the build may run.
HOME_PAGES = {"python": "https://www.python.org/", "pandoc": "https://pandoc.org/",
              "typst": "https://typst.app/", "quarto": "https://quarto.org/"}
NAMES = {"python": "Python", "pandoc": "Pandoc", "typst": "Typst", "quarto": "Quarto"}
#: Labels of a package's project links, the most useful first.
URL_LABELS = ("homepage", "home-page", "documentation", "docs", "source", "repository",
              "source code")
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def project_distribution() -> str:
    """The installed distribution that provides the ``analysis`` package."""
    names = metadata.packages_distributions().get(__name__.split(".")[0])
    if not names:
        raise ValueError("the analysis package is not installed: run `make .venv/.installed`")
    return names[0]


def normalized(name: str) -> str:
    """A distribution name in its normal form (PEP 503: lower case, runs of -_. as -)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def home_page(meta: metadata.PackageMetadata) -> str | None:
    """The first home, documentation or source link of a package's metadata, if any.

    Links to a package index are skipped: the crate names packages by Package URL.
    """
    links = {}
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        links.setdefault(label.strip().lower(), url.strip())
    if meta.get("Home-page"):
        links.setdefault("home-page", meta["Home-page"].strip())
    for label in URL_LABELS:
        url = links.get(label)
        host = urlparse(url).netloc.lower() if url else ""
        if url and host and "pypi" not in host and "pythonhosted" not in host:
            return url
    return None


def python_packages(distribution: str | None = None) -> list[Software]:
    """The direct requirements of ``distribution`` (default: this package), installed versions.

    Requirements with an environment marker (optional extras) are left out.
    """
    distribution = distribution or project_distribution()
    packages = []
    for requirement in metadata.requires(distribution) or []:
        if ";" in requirement:
            continue
        packages.append(package(REQUIREMENT.match(requirement)[1]))
    return sorted(packages, key=lambda p: normalized(p.name))


def package(name: str) -> Software:
    """One installed Python package (such as the workflow engine, ``snakemake``).

    Its identifier is its home page where its metadata gives one (RO-Crate names
    software by its web address), else its Package URL; the Package URL is kept as
    ``identifier`` either way.
    """
    meta = metadata.metadata(name)
    version = metadata.version(name)
    purl = f"pkg:pypi/{normalized(name)}@{version}"
    url = home_page(meta)
    return Software(url or purl, meta["Name"], version, url, purl)


def program(name: str, version: str, label: str | None = None) -> Software:
    """A program outside Python (Python itself, Pandoc, Typst, Quarto) and its version.

    ``label`` names it as the paper's software table does (default: its plain name).
    """
    key = name.lower()
    if key not in HOME_PAGES:
        raise ValueError(f"unknown program '{name}'; known: {', '.join(sorted(HOME_PAGES))}")
    return Software(HOME_PAGES[key], label or NAMES[key], str(version), HOME_PAGES[key])


def python() -> Software:
    """The Python that runs the build."""
    return program("python", platform.python_version())


def render_programs(render: Mapping[str, object]) -> list[Software]:
    """The programs that render the paper, from ``values.yml``'s ``render`` record.

    Its ``software`` maps the rows of the paper's software table (``"Pandoc (render
    engine; ...)"``, ``"Typst compiler (...)"``, ``"Quarto"``) to versions; the first
    word of each row names the program.
    """
    software = render.get("software", {})
    if not isinstance(software, Mapping) or not software:
        raise ValueError("values.yml 'render.software' must map each program to its version")
    return [program(str(label).split()[0], str(version), str(label))
            for label, version in software.items()]
