"""The result type every estimator returns: an estimate with its interval and test."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Estimate:
    """One estimate with its interval and test.

    ``estimable`` is False when no meaningful estimate exists; ``reason`` says why.
    ``method`` names what was computed (including any fallback used).
    """

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    method: str
    estimable: bool = True
    reason: str = ""
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def not_estimable(method: str, reason: str, **extra) -> Estimate:
    """An :class:`Estimate` that records why nothing could be estimated."""
    return Estimate(None, None, None, None, method, estimable=False, reason=reason, extra=extra)
