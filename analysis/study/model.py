"""The generating model's linear predictors, shared by the one-study and the batch generator.

Both generators (:mod:`analysis.study.generate`, which writes every column of
the committed study, and :mod:`analysis.study.batch`, which draws only what
the claims need for many studies at once) compute every probability here, so
the two cannot drift apart. All coefficients are on the log-odds scale and
come from the configuration's ``model`` section, each association multiplied
by the scenario's effect multiplier (:func:`analysis.config.effect`).

Model, for contact j of survivor i with race weight w_i (the share of every
race effect her group carries: 1 for Black survivors, 0 for White survivors)
and survivor random intercepts u (one per outcome):

* logit P(self-initiated) = a0 + a_race w_i + u_init (``routes`` may force
  every contact to one route);
* logit P(practice p) = c_p + b_ext external + b_race w_i + u_prac + v_ij,
  with v_ij a per-contact engagement term shared by the practices; checking
  on children has probability 0 where no children live in the home;
* logit P(treated poorly) = e0 + e_race w_i + e_ext external + u_poor;
* logit P(arrest) = d0 + d_inj injury + d_prior earlier calls + d_race w_i +
  u_arrest (``policy: never``: no arrest);
* logit P(she wanted an arrest) = g0 + g_self self-initiated + g_inj injury +
  g_together together + u_wish (``policy: never``: no wish for one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.config import effect
from analysis.study.vocabulary import PRACTICES, RACE_CATEGORIES

#: The survivor random intercepts, one per outcome, in the order they are drawn.
INTERCEPTS: tuple[str, ...] = ("initiation", "practices", "poor", "arrest", "wish")


def expit(x: np.ndarray) -> np.ndarray:
    """Logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True)
class Coefficients:
    """The model's numbers for one scenario and effect multiplier."""

    race_weight: dict[str, float]
    routes: str
    self_intercept: float
    self_race: float
    external_shares: np.ndarray       # neighbour, stranger
    injury_probability: float
    practice_intercepts: np.ndarray   # PRACTICES order
    practice_sd: float
    practice_external: float
    practice_race: float
    poor_intercept: float
    poor_race: float
    poor_external: float
    arrest_never: bool
    arrest_intercept: float
    arrest_injury: float
    arrest_prior: float
    arrest_race: float
    wish_never: bool
    wish_intercept: float
    wish_self: float
    wish_injury: float
    wish_together: float
    random_sd: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any], multiplier: float) -> Coefficients:
        m = config["model"]
        prac, poor, arr, wish = m["practices"], m["treated_poorly"], m["arrest"], m["wanted_arrest"]
        shares = np.array([m["external_initiator_shares"][k] for k in ("neighbour", "stranger")])
        return cls(
            race_weight={r: float(m["race_weights"][r]) for r in RACE_CATEGORIES},
            routes=m["self_initiation"]["routes"],
            self_intercept=float(m["self_initiation"]["intercept"]),
            self_race=effect(m["self_initiation"]["race"], multiplier),
            external_shares=shares / shares.sum(),
            injury_probability=float(m["visible_injury"]["probability"]),
            practice_intercepts=np.array([prac["intercepts"][p] for p in PRACTICES], dtype=float),
            practice_sd=float(prac["incident_sd"]),
            practice_external=effect(prac["external"], multiplier),
            practice_race=effect(prac["race"], multiplier),
            poor_intercept=float(poor["intercept"]),
            poor_race=effect(poor["race"], multiplier),
            poor_external=effect(poor["external"], multiplier),
            arrest_never=arr["policy"] == "never",
            arrest_intercept=float(arr["intercept"]),
            arrest_injury=effect(arr["visible_injury"], multiplier),
            arrest_prior=effect(arr["prior_calls"], multiplier),
            arrest_race=effect(arr["race"], multiplier),
            wish_never=wish["policy"] == "never",
            wish_intercept=float(wish["intercept"]),
            wish_self=effect(wish["self_initiated"], multiplier),
            wish_injury=effect(wish["visible_injury"], multiplier),
            wish_together=effect(wish["together"], multiplier),
            random_sd=float(m["random_intercept_sd"]),
        )

    def weights(self, race: np.ndarray) -> np.ndarray:
        """Each survivor's race weight, from her race/ethnicity labels."""
        out = np.zeros(len(race), dtype=float)
        for name, weight in self.race_weight.items():
            out[race == name] = weight
        return out

    def p_self(self, w: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Probability that the survivor brought police to the contact herself."""
        if self.routes == "self_only":
            return np.ones_like(u)
        if self.routes == "external_only":
            return np.zeros_like(u)
        return expit(self.self_intercept + self.self_race * w + u)

    def practice_logits(self, external: np.ndarray, w: np.ndarray, u: np.ndarray,
                        v: np.ndarray, children: np.ndarray) -> np.ndarray:
        """Log-odds of every practice at every contact (contacts x practices).

        A practice that does not apply (checking on children where there are
        none) has log-odds minus infinity.
        """
        shared = self.practice_external * external + self.practice_race * w + u + v
        logits = shared[:, None] + self.practice_intercepts[None, :]
        child = list(PRACTICES).index("check_children")
        logits[:, child] = np.where(children > 0, logits[:, child], -np.inf)
        return logits

    def p_poor(self, external: np.ndarray, w: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Probability that she felt treated poorly."""
        return expit(self.poor_intercept + self.poor_race * w + self.poor_external * external + u)

    def p_arrest(self, injury: np.ndarray, prior: np.ndarray, w: np.ndarray,
                 u: np.ndarray) -> np.ndarray:
        """Probability that the partner was arrested."""
        if self.arrest_never:
            return np.zeros_like(u)
        return expit(self.arrest_intercept + self.arrest_injury * injury
                     + self.arrest_prior * prior + self.arrest_race * w + u)

    def p_wish(self, is_self: np.ndarray, injury: np.ndarray, together: np.ndarray,
               u: np.ndarray) -> np.ndarray:
        """Probability that she wanted an arrest at the contact (from her own account)."""
        if self.wish_never:
            return np.zeros_like(u)
        return expit(self.wish_intercept + self.wish_self * is_self
                     + self.wish_injury * injury + self.wish_together * together + u)


def contact_rate(sample: Mapping[str, Any]) -> float:
    """The Poisson mean of a survivor's contacts beyond ``contacts_min``."""
    return max(float(sample["contacts_mean"]) - int(sample["contacts_min"]), 0.0)


def contact_counts(sample: Mapping[str, Any], extra: np.ndarray) -> np.ndarray:
    """Each survivor's number of police contacts, from her Poisson draws ``extra``.

    ``contacts_min`` plus a Poisson(:func:`contact_rate`) draw, capped at
    ``contacts_max``: a Poisson shifted to start at the minimum and censored
    at the maximum (not a truncated one), so the mean is a little below
    ``contacts_mean`` when the cap bites. Both generators count contacts here.
    """
    return np.minimum(int(sample["contacts_min"]) + extra, int(sample["contacts_max"]))


def allocate(counts: Mapping[str, int], n: int) -> dict[str, int]:
    """Scale category counts to total ``n`` by the largest-remainder method.

    Exact when ``n`` equals the configured total; ties in remainders are broken
    by the configured order, so the result is deterministic.

    >>> allocate({"a": 11, "b": 7, "c": 4, "d": 2}, 48)
    {'a': 22, 'b': 14, 'c': 8, 'd': 4}
    """
    names = list(counts)
    raw = np.array([counts[k] for k in names], dtype=float)
    quota = raw / raw.sum() * n
    base = np.floor(quota).astype(int)
    remainder = n - int(base.sum())
    order = sorted(range(len(names)), key=lambda i: (-(quota[i] - base[i]), i))
    for i in order[:remainder]:
        base[i] += 1
    return {name: int(b) for name, b in zip(names, base, strict=True)}
