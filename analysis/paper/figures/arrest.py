"""Arrest: fitted probability against earlier calls, by visible injury, from the clustered model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from scipy import stats
from scipy.special import expit

from analysis.io import read_json
from analysis.paper.figures.style import (
    INJURY_COLOURS,
    INJURY_LABELS,
    join_words,
    new_figure,
    percent,
    percent_axis,
    read_claims,
    small_cell_threshold,
    themed,
)
from analysis.paper.fmt import number
from analysis.study.arrays import StudyArrays
from analysis.study.datapackage import read_study
from analysis.study.vocabulary import QUANT_TABLES

OUTCOME = "arrest"
#: The model of analysis.stats.models.MODELS this figure draws.
MODEL = "arrest_adj"
#: The two predictors on the figure's axes and colours; every other covariate is held at its mean.
SHOWN = ("visible_injury", "prior_calls")
COVARIATE_NAMES = {"black": "Black race", "treated_poorly": "being treated poorly",
                   "children_in_home": "children in the home",
                   "external_initiation": "someone else calling"}
#: Seed of the display jitter of observed contacts (fixed: the same bytes every run).
JITTER_SEED = 2021


@dataclass(frozen=True)
class ArrestCurves:
    """Fitted arrest probability over a grid of earlier calls, with pointwise bands."""

    calls: np.ndarray                       # grid of earlier calls
    fitted: dict[int, np.ndarray]           # injury (0/1) -> probability on the grid
    low: dict[int, np.ndarray]
    high: dict[int, np.ndarray]
    held: dict[str, float]                  # other covariate -> value held (its mean)
    prior_calls: np.ndarray                 # observed, per contact
    injury: np.ndarray
    arrest: np.ndarray
    n_contacts: int
    n_survivors: int
    df: int
    level: float
    coef_calls: float
    coef_injury: float


def arrest_fit(results: Path) -> dict:
    """The study's arrest model as the inference step fitted it (``inference/fits.json``)."""
    fits = read_json(results / "inference" / "fits.json")
    fit = fits.get(MODEL)
    if fit is None:
        raise ValueError(f"inference/fits.json has no model '{MODEL}'")
    if not fit["estimable"]:
        raise ValueError(f"the arrest model cannot be estimated: {fit['reason']}")
    missing = [p for p in SHOWN if p not in fit["terms"]]
    if missing:
        raise ValueError(f"the arrest model has no term {', '.join(missing)}; this figure "
                         f"plots arrest against {' and '.join(SHOWN)}")
    return fit


def arrest_curves(results: Path, data: Path, step: float = 0.05) -> ArrestCurves:
    """Predict the study's arrest model over earlier calls, by injury status.

    The model is the one the inference step fitted and saved
    (``inference/fits.json``, configured extra covariates included): logistic
    regression of arrest fitted by GEE with exchangeable correlation within
    survivors (:func:`analysis.stats.gee.gee_logit`). Predictions hold every
    covariate other than visible injury and earlier calls at its sample mean
    over contacts. The band is pointwise: the linear predictor
    :math:`\\eta = x^\\top\\hat\\beta` has variance :math:`x^\\top V x` (delta
    method, with the small-sample-corrected sandwich covariance V), and
    :math:`\\mathrm{expit}(\\eta \\pm t_{G-k}\\,\\mathrm{se})` gives the band, with the
    t critical value of the model's own intervals. The curves stop at the most
    earlier calls the inference step allows (``reach``: the maximum, or in a
    restricted build the most that at least the threshold of contacts reached).
    """
    alpha = float(read_claims(results)["alpha"])
    fit = arrest_fit(results)
    predictors = fit["terms"]
    params, cov = np.asarray(fit["params"]), np.asarray(fit["cov"])
    # Restricted data: a mean that is a suppressed count is withheld; hold it at 0.
    held = {p: 0.0 if fit["means"][p] is None else fit["means"][p]
            for p in predictors if p not in SHOWN}
    if small_cell_threshold() is None:
        study = StudyArrays.from_tables(read_study(data, QUANT_TABLES))
        calls_observed = study.predictors["prior_calls"]
        injury_observed = study.predictors["visible_injury"].astype(int)
        arrest_observed = study.outcomes[OUTCOME].astype(int)
    else:
        # Restricted data: single contacts are not drawn, so the data are not read.
        calls_observed = injury_observed = arrest_observed = np.array([], dtype=int)
    top = fit["reach"]["prior_calls"]
    grid = np.round(np.arange(0, top + step / 2, step), 10)
    df = int(fit["df"])
    crit = stats.t.ppf(1 - alpha / 2, df)
    fitted, low, high = {}, {}, {}
    for injury in (0, 1):
        values = {"visible_injury": injury, "prior_calls": grid, **held}
        design = np.column_stack([np.ones_like(grid)]
                                 + [np.broadcast_to(values[p], grid.shape) for p in predictors])
        eta = design @ params
        se = np.sqrt(np.einsum("ij,jk,ik->i", design, cov, design))
        fitted[injury], low[injury], high[injury] = (
            expit(eta), expit(eta - crit * se), expit(eta + crit * se))
    coef = dict(zip(predictors, params[1:], strict=True))
    return ArrestCurves(grid, fitted, low, high, held, calls_observed, injury_observed,
                        arrest_observed, int(fit["n_contacts"]), int(fit["n_survivors"]), df,
                        1 - alpha, float(coef["prior_calls"]), float(coef["visible_injury"]))


@themed
def arrest_curve(results: Path, data: Path) -> Figure:
    """Fitted arrest probability by earlier calls (lines, bands) and observed contacts (points)."""
    curves = arrest_curves(results, data)
    rng = np.random.default_rng(JITTER_SEED)
    fig, ax = new_figure(3.6)
    for injury in (1, 0):
        colour = INJURY_COLOURS[injury]
        ax.fill_between(curves.calls, curves.low[injury], curves.high[injury], color=colour,
                        alpha=0.13, linewidth=0)
        for edge in (curves.low[injury], curves.high[injury]):
            ax.plot(curves.calls, edge, color=colour, linewidth=0.7, linestyle=(0, (4, 2)))
        ax.plot(curves.calls, curves.fitted[injury], color=colour, linewidth=1.8,
                label=f"{INJURY_LABELS[injury]} (fitted, {percent(curves.level)} band)")
    # Restricted data: observed contacts are single survivors' data and are not drawn.
    restricted = small_cell_threshold() is not None
    for injury in (1, 0) if not restricted else ():
        mask = curves.injury == injury
        n = int(mask.sum())
        x = curves.prior_calls[mask] + rng.uniform(-0.15, 0.15, n)
        # Observed outcomes sit just outside 0 and 1 so they never hide the curves.
        y = np.where(curves.arrest[mask] == 1, 1.045, -0.045) + rng.uniform(-0.02, 0.02, n)
        ax.scatter(x, y, s=12, color=INJURY_COLOURS[injury], alpha=0.75, linewidths=0,
                   clip_on=False, zorder=3,
                   label=f"{INJURY_LABELS[injury]} (observed contacts)")
    percent_axis(ax, "y", step=0.2, limits=(-0.09, 1.09))
    ax.set_xticks(np.arange(0, curves.calls.max() + 1))
    ax.set_xlim(-0.35, curves.calls.max() + 0.35)
    ax.set_xlabel("Earlier police calls before the contact")
    ax.set_ylabel("Probability of arrest (%)")
    handles, labels = ax.get_legend_handles_labels()
    if restricted:
        fig.legend(handles, labels, loc="outside upper center", ncols=2, columnspacing=1.5)
        return fig
    # The rows of observed contacts are named on the right-hand axis.
    rows = ax.secondary_yaxis("right")
    rows.set_yticks([-0.045, 1.045], ["no arrest", "arrest"])
    rows.tick_params(length=0, labelsize=8, labelcolor=".35")
    rows.spines["right"].set_visible(False)
    order = [0, 2, 1, 3]   # fitted and observed of the same group in one column
    fig.legend([handles[i] for i in order], [labels[i] for i in order],
               loc="outside upper center", ncols=2, columnspacing=1.5)
    return fig


def _covariate(name: str) -> str:
    return COVARIATE_NAMES.get(name, name.replace("_", " "))


def arrest_curve_caption(results: Path, data: Path) -> str:
    c = arrest_curves(results, data)
    level = percent(c.level)
    adjusted = ["visible injury", "earlier calls", *(_covariate(p) for p in c.held)]
    threshold = small_cell_threshold()
    # Restricted data: the means (shares of contacts) are not quoted: they are counts.
    withheld = arrest_fit(results).get("withheld_means", [])
    held = join_words([(f"{_covariate(p)} (at 0: its share of contacts is suppressed)"
                        if p in withheld else _covariate(p)) if threshold is not None else
                       f"{_covariate(p)} ({number(v)})" for p, v in c.held.items()])
    held_text = (f", with {'the other covariate' if len(c.held) == 1 else 'the other covariates'}"
                 f" held at {'its' if len(c.held) == 1 else 'their'} sample mean across "
                 f"contacts: {held}") if c.held else ""
    if threshold is not None:
        return (
            f"Probability that the partner was arrested at a police contact, against the number "
            f"of earlier police calls, for contacts with and without visible injury "
            f"({c.n_contacts} contacts, {c.n_survivors} survivors). Lines are predictions from "
            f"a logistic model of arrest on {join_words(adjusted)}, fitted by generalised "
            f"estimating equations with an exchangeable working correlation within "
            f"survivors{held_text}. Shaded bands are pointwise {level} confidence bands (delta "
            f"method on the log-odds scale with the small-sample-corrected sandwich covariance "
            f"and a t critical value on {c.df} degrees of freedom). Restricted data: the "
            f"observed contacts are not drawn, and the curves stop at {int(c.calls.max())} "
            f"earlier calls, the most that at least {threshold} contacts reached; towards that "
            f"end they rest on few contacts."
        )
    # The sparse right-hand tail: the fewest earlier calls reached by at most a tenth of contacts.
    tail = next(k for k in range(int(c.prior_calls.max()) + 2)
                if np.sum(c.prior_calls >= k) <= 0.1 * c.n_contacts)
    beyond = int(np.sum(c.prior_calls >= tail))
    return (
        f"Probability that the partner was arrested at a police contact, against the number of "
        f"earlier police calls, for contacts with and without visible injury ({c.n_contacts} "
        f"contacts, {c.n_survivors} survivors). Lines are predictions from a logistic model of "
        f"arrest on {join_words(adjusted)}, fitted by generalised estimating equations with an "
        f"exchangeable working correlation within survivors{held_text}. Shaded bands are "
        f"pointwise {level} confidence bands (delta method on the log-odds scale with the "
        f"small-sample-corrected sandwich covariance and a t critical value on {c.df} degrees "
        f"of freedom). Points are the observed contacts, drawn above the plot for an arrest "
        f"and below it for none and jittered to reduce overlap; only {beyond} "
        f"contact{'s' if beyond != 1 else ''} followed {tail} or more earlier calls, so the "
        f"right-hand end of the curves rests on little data."
    )


def arrest_curve_alt(results: Path, data: Path) -> str:
    c = arrest_curves(results, data)
    top = int(c.calls.max())
    at = {k: int(np.argmin(np.abs(c.calls - k))) for k in (0, top)}
    trend = "rise" if c.coef_calls > 0 else "fall"
    above = (INJURY_LABELS[1] if c.coef_injury > 0 else INJURY_LABELS[0]).lower()
    n_arrest = int(c.arrest.sum())
    observed = (
        "" if small_cell_threshold() is not None else
        f" Dots along the top edge mark the {n_arrest} contacts that ended in arrest and dots "
        f"along the bottom edge the {c.n_contacts - n_arrest} that did not.")
    return (
        f"Line chart with shaded bands. The horizontal axis is the number of earlier police "
        f"calls (0 to {top}); the vertical axis is the probability of arrest from 0 to 100%. "
        f"Two fitted curves, vermillion for contacts with visible injury and blue for contacts "
        f"without, both {trend} as earlier calls increase, and the {above} curve lies above "
        f"the other. With no earlier calls the fitted probability is "
        f"{percent(c.fitted[0][at[0]])} without and {percent(c.fitted[1][at[0]])} with visible "
        f"injury; after {top} earlier calls it is {percent(c.fitted[0][at[top]])} and "
        f"{percent(c.fitted[1][at[top]])}. The bands widen towards many earlier calls, where "
        f"there are few contacts.{observed}"
    )
