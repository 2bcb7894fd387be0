"""The smallest data each estimator can work with, in one light module.

The estimators import these constants and return ``estimable=False`` with a
reason below them; the workflow reads the same constants at parse time
(:mod:`analysis.steps.limits`) to refuse, before any job, a configured study
too small for them. This module imports nothing, so reading it costs nothing.
"""

from __future__ import annotations

#: Clustered models (:func:`analysis.stats.gee.gee_logit`): fewer survivors
#: (clusters) than this and the model is not fitted.
MIN_CLUSTERS = 8
#: Clustered models: at least this many residual degrees of freedom (clusters
#: minus coefficients, G - k), the t reference of the small-sample correction.
MIN_RESIDUAL_DF = 2
#: Risk differences between two groups of clusters
#: (:func:`analysis.stats.risk.cluster_risk_difference`): survivors per group,
#: because each group's cluster variance divides by G - 1.
MIN_CLUSTERS_PER_GROUP = 2
#: Power of a two-group comparison (:func:`analysis.stats.power.fisher_detectable_share`).
MIN_GROUP_SIZE = 1
