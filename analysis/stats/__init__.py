"""Pure estimators on plain arrays: intervals, exact tests, clustered models, agreement, power.

Nothing here knows the study's tables; every function takes numbers or
arrays and returns an :class:`~analysis.stats.estimate.Estimate` (or a
table of them), with ``estimable=False`` and a reason where no meaningful
estimate exists. The model specifications of the analysis are in
:mod:`analysis.stats.models`.
"""
