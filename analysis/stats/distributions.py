"""The few distribution functions the estimators need, from :mod:`scipy.special`.

:mod:`scipy.stats` takes most of a second to import, which every workflow job
would pay; these are the same special functions :mod:`scipy.stats` calls for
``norm`` and ``t`` (bit for bit; the tests compare), at a third of
the import cost. Exact tests that need :mod:`scipy.stats` import it where they
are computed.
"""

from __future__ import annotations

import numpy as np
from scipy import special


def normal_quantile(p: float | np.ndarray) -> float | np.ndarray:
    """The standard normal quantile (``scipy.stats.norm.ppf``)."""
    return special.ndtri(p)


def normal_sf(x: float | np.ndarray) -> float | np.ndarray:
    """The standard normal upper tail (``scipy.stats.norm.sf``)."""
    return special.ndtr(-np.asarray(x, dtype=float))


def t_quantile(p: float | np.ndarray, df: float | np.ndarray) -> float | np.ndarray:
    """The quantile of Student's t with ``df`` degrees of freedom (``scipy.stats.t.ppf``)."""
    return special.stdtrit(df, p)


def t_sf(x: float | np.ndarray, df: float | np.ndarray) -> float | np.ndarray:
    """The upper tail of Student's t (``scipy.stats.t.sf``)."""
    return special.stdtr(df, -np.asarray(x, dtype=float))
