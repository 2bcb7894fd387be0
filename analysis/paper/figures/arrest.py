"""Arrest: fitted probability against earlier calls, by visible injury, from the clustered model."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from scipy.special import expit

from analysis.io import read_json
from analysis.palette import INJURY_COLOURS, NEUTRAL, colour_name
from analysis.paper.figures.style import (
    INJURY_LABELS,
    new_figure,
    once_per_figure,
    percent,
    percent_axis,
    read_claims,
    small_cell_threshold,
    themed,
)
from analysis.paper.fmt import join_words
from analysis.stats.distributions import t_quantile
from analysis.study.arrays import StudyArrays
from analysis.study.datapackage import read_study
from analysis.study.variables import CONTACT_VARIABLES
from analysis.study.vocabulary import QUANT_TABLES

OUTCOME = "arrest"
#: The model of analysis.stats.models.MODELS this figure draws.
MODEL = "arrest_adj"
#: The two predictors on the figure's axes and panels; the others are averaged over the sample.
SHOWN = ("visible_injury", "prior_calls")
#: Observed contacts in the strips: dots per column of a stack, and the spacing of the stack.
STACK_ROWS, STACK_STEP, STACK_RISE = 3, 0.11, 0.28
#: The strip's two rows (y): arrest above, no arrest below, a rule between them.
STRIP_ROWS = {1: 1.25, 0: 0.0}


@dataclass(frozen=True)
class ArrestCurves:
    """Fitted arrest probability over a grid of earlier calls, with pointwise bands."""

    calls: np.ndarray                       # grid of earlier calls
    fitted: dict[int, np.ndarray]           # injury (0/1) -> probability on the grid
    low: dict[int, np.ndarray]
    high: dict[int, np.ndarray]
    composition: dict[str, float]           # other covariate -> share of contacts averaged over
    prior_calls: np.ndarray                 # observed, per contact
    injury: np.ndarray
    arrest: np.ndarray
    n_contacts: int
    n_survivors: int
    df: int
    level: float
    coef_calls: float
    coef_injury: float
    withheld: tuple[str, ...] = ()          # restricted data: covariates whose share is suppressed


#: Why a restricted build draws no arrest curve (its model withheld with one of its counts).
WITHHELD_TEXT = ("Not drawn for restricted data: the arrest model rests on a count of arrests "
                 "by one of its terms that is withheld, so the model is withheld too.")


def arrest_withheld(results: Path) -> bool:
    """True when a restricted build withheld the arrest model (no coefficients published)."""
    fit = read_json(results / "inference" / "fits.json").get(MODEL, {})
    return small_cell_threshold() is not None and fit.get("params") is None \
        and fit.get("estimable") is None


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
    counts = [p for p in fit["terms"] if p not in SHOWN and p in fit.get("reach", {})]
    if counts:
        raise ValueError(f"the arrest model's covariate(s) {', '.join(counts)} are counts; this "
                         f"figure averages over 0/1 covariates only")
    return fit


def composition_weights(composition: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Every combination of the 0/1 covariates and its weight under the sample's shares.

    Returns ``(values, weights)``: ``values`` is (combinations x covariates)
    of 0/1, ``weights`` the product of each covariate's share (or its
    complement). With one covariate (the default model: Black survivor or
    not) this is exactly the sample's composition; with several, each is
    weighted by its own share.
    """
    names = list(composition)
    values = np.array(list(itertools.product((0.0, 1.0), repeat=len(names))), dtype=float)
    values = values.reshape(-1, len(names))
    shares = np.array([composition[n] for n in names], dtype=float)
    weights = np.prod(np.where(values == 1, shares, 1 - shares), axis=1)
    return values, weights


@once_per_figure
def arrest_curves(results: Path, data: Path, step: float = 0.05) -> ArrestCurves:
    """Predict the study's arrest model over earlier calls, by injury status.

    The model is the one the inference step fitted and saved
    (``inference/fits.json``, configured extra covariates included): logistic
    regression of arrest fitted by GEE with exchangeable correlation within
    survivors (:func:`analysis.stats.gee.gee_logit`). Predictions are averaged
    over the sample's composition (marginal standardisation): for every 0/1
    covariate other than visible injury and earlier calls, such as being a
    Black survivor, the predicted probability is the average of the
    predictions at 0 and 1 weighted by the share of contacts at each
    (:func:`composition_weights`), never a prediction at an impossible value
    such as "0.46 of a Black survivor". The band is pointwise: the averaged
    probability :math:`\\bar p = \\sum_c w_c\\,\\mathrm{expit}(x_c^\\top\\hat\\beta)` has
    gradient :math:`g = \\sum_c w_c p_c (1 - p_c) x_c` and variance
    :math:`g^\\top V g` (delta method, with the small-sample-corrected sandwich
    covariance V); the band is formed on the log-odds scale of
    :math:`\\bar p` with the t critical value of the model's own intervals, so
    it stays inside 0 and 1. The curves stop at the most earlier calls the
    inference step allows (``reach``: the maximum, or in a restricted build
    the most that the published counts show at least the threshold of contacts reaching).
    """
    alpha = float(read_claims(results)["alpha"])
    fit = arrest_fit(results)
    predictors = fit["terms"]
    params, cov = np.asarray(fit["params"]), np.asarray(fit["cov"])
    # Restricted data: a mean that is a suppressed count is withheld; weight it at 0.
    withheld = tuple(p for p in predictors if p not in SHOWN and fit["means"][p] is None)
    composition = {p: 0.0 if fit["means"][p] is None else float(fit["means"][p])
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
    crit = t_quantile(1 - alpha / 2, df)
    combos, weights = composition_weights(composition)
    fitted, low, high = {}, {}, {}
    for injury in (0, 1):
        mean = np.zeros_like(grid)
        gradient = np.zeros((len(grid), len(params)))
        for combo, weight in zip(combos, weights, strict=True):
            values = {"visible_injury": injury, "prior_calls": grid,
                      **dict(zip(composition, combo, strict=True))}
            design = np.column_stack([np.ones_like(grid)] + [
                np.broadcast_to(np.asarray(values[p], dtype=float), grid.shape)
                for p in predictors])
            prob = expit(design @ params)
            mean += weight * prob
            gradient += weight * (prob * (1 - prob))[:, None] * design
        se = np.sqrt(np.einsum("ij,jk,ik->i", gradient, cov, gradient))
        logit_se = se / (mean * (1 - mean))
        eta = np.log(mean / (1 - mean))
        fitted[injury], low[injury], high[injury] = (
            mean, expit(eta - crit * logit_se), expit(eta + crit * logit_se))
    coef = dict(zip(predictors, params[1:], strict=True))
    return ArrestCurves(grid, fitted, low, high, composition, calls_observed, injury_observed,
                        arrest_observed, int(fit["n_contacts"]), int(fit["n_survivors"]), df,
                        1 - alpha, float(coef["prior_calls"]), float(coef["visible_injury"]),
                        withheld)


def _stack(calls: np.ndarray, outcome: np.ndarray, row: float) -> tuple[np.ndarray, np.ndarray]:
    """Dot positions for observed contacts: a small stack per number of earlier calls.

    Contacts with the same number of earlier calls fill columns of
    :data:`STACK_ROWS` dots centred on that number, so none hides another and
    the positions are the same on every run.
    """
    xs, ys = [], []
    for k in np.unique(calls):
        n = int(np.sum(calls == k))
        columns = int(np.ceil(n / STACK_ROWS))
        for i in range(n):
            col, pos = divmod(i, STACK_ROWS)
            xs.append(k + (col - (columns - 1) / 2) * STACK_STEP)
            ys.append(row + (pos - (STACK_ROWS - 1) / 2) * STACK_RISE)
    return np.array(xs), np.array(ys)


@themed
def arrest_curve(results: Path, data: Path) -> Figure:
    """Fitted arrest probability by earlier calls, one panel per injury status.

    Each panel draws its own curve with its band and, thin and dashed, the
    other panel's curve for comparison, so no two bands overlap. Observed
    contacts are drawn in a strip below each panel (arrest and no arrest),
    outside the probability axis.
    """
    if arrest_withheld(results):
        fig, ax = new_figure(1.2)
        ax.axis("off")
        ax.text(0.5, 0.5, WITHHELD_TEXT, ha="center", va="center", fontsize=9, color=".25",
                transform=ax.transAxes, wrap=True)
        return fig
    curves = arrest_curves(results, data)
    restricted = small_cell_threshold() is not None
    if restricted:
        fig, axes = new_figure(3.0, ncols=2, sharey=True)
        strips = [None, None]
    else:
        fig, grid = new_figure(4.1, nrows=2, ncols=2, sharex=True, sharey="row",
                               gridspec_kw={"height_ratios": [4.0, 1.35]})
        axes, strips = grid[0], grid[1]
    top = int(curves.calls.max())
    for ax, strip, injury, letter in zip(axes, strips, (0, 1), "AB", strict=True):
        colour, other = INJURY_COLOURS[injury], INJURY_COLOURS[1 - injury]
        ax.fill_between(curves.calls, curves.low[injury], curves.high[injury], color=colour,
                        alpha=0.22, linewidth=0)
        ax.plot(curves.calls, curves.fitted[1 - injury], color=other, linewidth=1.1,
                linestyle=(0, (3, 1.5)))
        ax.plot(curves.calls, curves.fitted[injury], color=colour, linewidth=2.0)
        percent_axis(ax, "y", step=0.2, limits=(0.0, 1.0))
        n = int(np.sum(curves.injury == injury))
        count = "" if restricted else f" ({n} contacts)"
        ax.set_title(f"{letter}   {INJURY_LABELS[injury]}{count}", fontsize=8.8)
        ax.set_xlim(-0.45, top + 0.45)
        ax.set_xticks(np.arange(0, top + 1))
        if strip is None:
            continue
        mask = curves.injury == injury
        for outcome, row in STRIP_ROWS.items():
            keep = mask & (curves.arrest == outcome)
            x, y = _stack(curves.prior_calls[keep], curves.arrest[keep], row)
            # Filled dots: arrest; open dots: no arrest (the row says it too).
            strip.scatter(x, y, s=8, color=colour if outcome else "white", edgecolors=NEUTRAL,
                          linewidths=0.45, zorder=3)
        strip.axhline(sum(STRIP_ROWS.values()) / 2, color=".8", linewidth=0.8)
        strip.set_ylim(-0.5, STRIP_ROWS[1] + 0.5)
        strip.set_yticks(list(STRIP_ROWS.values()), ["arrest", "no arrest"], fontsize=7)
        strip.tick_params(axis="y", length=0)
        strip.grid(axis="y", visible=False)
        strip.spines["left"].set_visible(False)
    fig.supxlabel("Earlier police calls before the contact", fontsize=8.8)
    axes[0].set_ylabel("Probability of arrest (%)")
    if strips[0] is not None:
        strips[0].set_ylabel("Observed\ncontacts", fontsize=7.5)
    handles = [(Patch(color=INJURY_COLOURS[i], alpha=0.22, linewidth=0),
                Line2D([], [], color=INJURY_COLOURS[i], linewidth=2.0)) for i in (0, 1)]
    labels = [f"{INJURY_LABELS[i]}: fitted, {percent(curves.level)} band" for i in (0, 1)]
    fig.legend(handles, labels, loc="outside upper center", ncols=2, columnspacing=1.5,
               fontsize=7.5, title="Dashed: the other panel's fitted curve, for comparison",
               title_fontsize=7.5)
    return fig


def _covariate(name: str) -> str:
    """The contacts where a 0/1 covariate is 1, in running text."""
    variable = CONTACT_VARIABLES.get(name)
    return (variable.contacts_words if variable and variable.contacts_words
            else "with " + name.replace("_", " "))


def _term(name: str) -> str:
    """How the caption names a model term."""
    variable = CONTACT_VARIABLES.get(name)
    return variable.term_words if variable and variable.term_words else name.replace("_", " ")


def _averaged_text(c: ArrestCurves) -> str:
    """How the predictions treat the other covariates, in words (and counts, synthetic data)."""
    if not c.composition:
        return ""
    names = list(c.composition)
    if small_cell_threshold() is not None:
        # Restricted data: the shares are counts of contacts and are not quoted.
        parts = [f"contacts {_covariate(p)}" + (" weighted 0, because their share of contacts is "
                                                "suppressed" if p in c.withheld else "")
                 for p in names]
        mix = join_words(parts)
    else:
        parts = [f"{int(round(v * c.n_contacts))} of the {c.n_contacts} contacts were "
                 f"{_covariate(p)}" for p, v in c.composition.items()]
        mix = join_words(parts)
    several = (" (each covariate weighted by its own share)" if len(names) > 1 else "")
    return (f", averaged over the sample's composition{several}: each curve is the average "
            f"of the predictions for contacts {join_words([_covariate(p) for p in names])} and "
            f"for the others, weighted as in the sample ({mix})")


def arrest_curve_caption(results: Path, data: Path) -> str:
    if arrest_withheld(results):
        return ("Probability that the partner was arrested at a police contact, against the "
                "number of earlier police calls, by visible injury. " + WITHHELD_TEXT)
    c = arrest_curves(results, data)
    level = percent(c.level)
    adjusted = ["visible injury", "earlier calls", *(_term(p) for p in c.composition)]
    threshold = small_cell_threshold()
    model = (
        f"Probability that the partner was arrested at a police contact, against the number of "
        f"earlier police calls, for contacts without (A) and with (B) visible injury "
        f"({c.n_contacts} contacts, {c.n_survivors} survivors). Solid lines are predictions "
        f"from a logistic model of arrest on {join_words(adjusted)}, fitted by generalised "
        f"estimating equations with an exchangeable working correlation within "
        f"survivors{_averaged_text(c)}. Shaded bands are pointwise {level} confidence bands "
        f"(delta method with the small-sample-corrected sandwich covariance and a t critical "
        f"value on {c.df} degrees of freedom, formed on the log-odds scale). Each panel repeats "
        f"the other panel's curve as a thin dashed line, so the two can be compared without "
        f"their bands overlapping.")
    if threshold is not None:
        return (
            f"{model} Restricted data: the observed contacts are not drawn, and the curves stop "
            f"at {int(c.calls.max())} earlier calls, the most that the published counts of "
            f"contacts by earlier calls show at least {threshold} contacts reaching; towards "
            f"that end they rest on few contacts."
        )
    # The sparse right-hand tail: the fewest earlier calls reached by at most a tenth of contacts.
    tail = next(k for k in range(int(c.prior_calls.max()) + 2)
                if np.sum(c.prior_calls >= k) <= 0.1 * c.n_contacts)
    beyond = int(np.sum(c.prior_calls >= tail))
    return (
        f"{model} The strips below the panels show the observed contacts, one dot each, in a "
        f"row of filled dots for those that ended in arrest and a row of open dots for those "
        f"that did not, stacked at their number of earlier calls; only {beyond} "
        f"contact{'s' if beyond != 1 else ''} followed "
        f"{tail} or more earlier calls, so the right-hand end of the curves rests on little "
        f"data."
    )


def arrest_curve_alt(results: Path, data: Path) -> str:
    if arrest_withheld(results):
        return "A text panel saying that the arrest curves are not drawn: " + WITHHELD_TEXT
    c = arrest_curves(results, data)
    top = int(c.calls.max())
    at = {k: int(np.argmin(np.abs(c.calls - k))) for k in (0, top)}
    trend = "rise" if c.coef_calls > 0 else "fall"
    higher = (INJURY_LABELS[1] if c.coef_injury > 0 else INJURY_LABELS[0]).lower()
    observed = ""
    if small_cell_threshold() is None:
        parts = []
        for injury in (0, 1):
            mask = c.injury == injury
            arrested = int(c.arrest[mask].sum())
            parts.append(f"{arrested} of the {int(mask.sum())} contacts "
                         f"{'without' if injury == 0 else 'with'} visible injury ended in arrest")
        observed = (f" Below each panel a strip of dots shows the observed contacts in two rows, "
                    f"arrest and no arrest: {join_words(parts)}.")
    return (
        f"Two line charts side by side with shaded bands, A for contacts without visible injury "
        f"({colour_name(INJURY_COLOURS[0])}) and B for contacts with visible injury "
        f"({colour_name(INJURY_COLOURS[1])}). The horizontal "
        f"axes are the number of earlier police calls (0 to {top}); the vertical axis is the "
        f"probability of arrest from 0 to 100%. Both fitted curves {trend} as earlier calls "
        f"increase, and the {higher} curve lies above the other; each panel repeats the other "
        f"panel's curve as a thin dashed line. With no earlier calls the fitted probability is "
        f"{percent(c.fitted[0][at[0]])} without and {percent(c.fitted[1][at[0]])} with visible "
        f"injury; after {top} earlier calls it is {percent(c.fitted[0][at[top]])} and "
        f"{percent(c.fitted[1][at[top]])}. The bands widen towards many earlier calls, where "
        f"there are few contacts.{observed}"
    )
