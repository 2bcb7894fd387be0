"""Synthetic-data replication package for Nnawulezi et al. (2021).

Every analysis step lives here as typed, pure functions; the Snakemake rules
in ``workflow/rules`` only call :mod:`analysis.cli`. See README.md.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
