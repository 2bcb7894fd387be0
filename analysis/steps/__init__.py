"""What the workflow runs: describe, infer, qualitative, claims (with its registry), robustness.

Each step turns study tables (or arrays) into result tables using
:mod:`analysis.study` and :mod:`analysis.stats`; the commands in
:mod:`analysis.cli` read the inputs and write the outputs.
"""
