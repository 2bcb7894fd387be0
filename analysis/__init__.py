"""Synthetic-data replication package for Nnawulezi et al. (2021).

The package is layered; a module imports only from its own layer or below:

* base: :mod:`~analysis.config`, :mod:`~analysis.io`, :mod:`~analysis.palette`,
  :mod:`~analysis.dependencies`;
* :mod:`analysis.study` (what the data are) and :mod:`analysis.stats` (pure
  estimators), which do not import each other;
* :mod:`analysis.steps` (what the workflow runs);
* :mod:`analysis.disclosure` (restricted-data publishing);
* :mod:`analysis.paper`, :mod:`analysis.exports`, :mod:`analysis.render`
  (what readers and other tools get);
* :mod:`analysis.cli` (one command per step: ``python -m analysis <step>``)
  and :mod:`analysis.dev` (workspaces, verify, benchmark).

The Snakemake rules in ``workflow/rules`` only call ``python -m analysis``.
See README.md.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
