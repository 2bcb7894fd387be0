"""The verdict rules of the claims registry, for one study and for many at once.

Every rule is written here twice, side by side: once for the numbers of one
study (:func:`verdict`, :func:`share_verdict`, used by
:func:`analysis.steps.claims.evaluate_claims`) and once for arrays with one
entry per study (:func:`verdict_codes`, :func:`share_codes`, used by the
batched evaluation of the robustness and simulation studies), which return
indices into :data:`VERDICTS`. The tests check that the two agree.

Three verdicts (see the registry's header): ``reproduced`` when the interval
gives the evidence the rule asks for; ``inconclusive`` when the estimate
points the stated way (a two-sided association: away from no effect) but the
interval does not clear; ``not reproduced`` otherwise or when nothing can be
estimated.
"""

from __future__ import annotations

import numpy as np

from analysis.study.vocabulary import VERDICTS

REPRODUCED, INCONCLUSIVE, NOT_REPRODUCED = VERDICTS
#: The verdicts as the batched rules return them: indices into :data:`VERDICTS`.
REPRODUCED_CODE, INCONCLUSIVE_CODE, NOT_REPRODUCED_CODE = range(len(VERDICTS))


def nominal_rate(direction: str, alpha: float = 0.05) -> float:
    """How often a claim's rule reproduces an association that is not there, by chance.

    A two-sided claim is reproduced when its (1 - alpha) interval excludes no
    effect on either side (``alpha``); a claim with a stated direction only
    when the interval clears no effect on that side (``alpha / 2``).
    """
    return alpha if direction == "two-sided" else alpha / 2


def direction_of(estimate: float | None, null: float) -> str:
    """``positive``, ``negative`` or ``none`` relative to ``null``; ``undetermined`` if missing."""
    if estimate is None or not np.isfinite(estimate):
        return "undetermined"
    return "positive" if estimate > null else "negative" if estimate < null else "none"


def verdict(direction: str, estimate: float | None, low: float | None, high: float | None,
            null: float, estimable: bool = True) -> str:
    """The three-level verdict of an association against ``null`` (1 for ratios, 0 for differences).

    * stated direction (positive/negative): reproduced when the whole interval
      lies on the stated side; inconclusive when the estimate does but the
      interval reaches ``null``; not reproduced otherwise;
    * two-sided: reproduced when the interval excludes ``null``; inconclusive
      when it does not (and the estimate differs from ``null``).

    Anything not estimable is not reproduced.
    """
    if not estimable or estimate is None or low is None or high is None:
        return NOT_REPRODUCED
    if direction == "two-sided":
        if low > null or high < null:
            return REPRODUCED
        return INCONCLUSIVE if estimate != null else NOT_REPRODUCED
    sign = 1.0 if direction == "positive" else -1.0
    if sign * (estimate - null) <= 0:
        return NOT_REPRODUCED
    clears = (low > null) if sign > 0 else (high < null)
    return REPRODUCED if clears else INCONCLUSIVE


def verdict_codes(direction: str, theta: np.ndarray, low: np.ndarray, high: np.ndarray,
                  null: float, estimable: np.ndarray) -> np.ndarray:
    """:func:`verdict` for many studies, as codes into :data:`VERDICTS`."""
    ok = estimable & np.isfinite(theta) & np.isfinite(low) & np.isfinite(high)
    if direction == "two-sided":
        clears = (low > null) | (high < null)
        points = theta != null
    else:
        sign = 1.0 if direction == "positive" else -1.0
        points = sign * (theta - null) > 0
        clears = (low > null) if sign > 0 else (high < null)
    code = np.where(points & clears, REPRODUCED_CODE,
                    np.where(points, INCONCLUSIVE_CODE, NOT_REPRODUCED_CODE))
    return np.where(ok, code, NOT_REPRODUCED_CODE)


def share_verdict(estimate: float | None, low: float | None, threshold: float) -> str:
    """A share above ``threshold``: the interval clears it, only the estimate does, or neither."""
    if estimate is None or low is None:
        return NOT_REPRODUCED
    if low > threshold:
        return REPRODUCED
    return INCONCLUSIVE if estimate > threshold else NOT_REPRODUCED


def share_codes(theta: np.ndarray, low: np.ndarray, threshold: float) -> np.ndarray:
    """:func:`share_verdict` for many studies."""
    return np.where(low > threshold, REPRODUCED_CODE,
                    np.where(theta > threshold, INCONCLUSIVE_CODE, NOT_REPRODUCED_CODE))
