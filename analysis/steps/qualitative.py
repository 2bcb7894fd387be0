"""Qualitative analyses: code-by-case matrix, themes, co-occurrence, intercoder agreement,
where the coders differed, code saturation, and the excerpts the paper quotes.

Coder A is the primary coder: her code-by-case matrix is the one the
manuscript reports. Coder B coded the same excerpts independently. Agreement
between the two is computed as qualitative researchers compute it, over coded
segments: for every excerpt and every code, did each coder apply the code to
the excerpt? Per code and pooled, it reports percent agreement, Cohen's kappa
and Gwet's AC1 with percentile bootstrap intervals over survivors
(:func:`agreement`), and Krippendorff's alpha over all decisions. Restricted
builds publish the same coefficients per survivor and code instead
(:func:`case_agreement`): their counts are cells of the disclosure plan,
counts of excerpts are not. The generator's own setting, the expected share
of case-code decisions on which the simulated coders differ, is recorded
beside what it produced (:func:`generator_check`): agreement here checks the
pipeline.

Synthetic builds also read the excerpts and add what needs the text: which
excerpts the coders coded differently (:func:`disagreement_table`), how often
they differed on brief and hedged answers (:func:`disagreement_by_style`), the
code saturation curve (:func:`saturation`) and, per theme, the excerpts the
manuscript quotes, chosen by a fixed rule (:func:`theme_excerpts`). Restricted
builds have no excerpts and publish none of these.

The agreement statistics themselves are in :mod:`analysis.stats.agreement`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis.stats.agreement import (
    binary_coefficients,
    cluster_bootstrap,
    kappa_band,
    krippendorff_alpha_nominal,
    pooled_coefficients,
)

#: Resamples of survivors for the agreement intervals, and their seed, where no
#: configuration gives them (the workflow passes config ``agreement``).
BOOTSTRAP_REPS = 2000
BOOTSTRAP_SEED = 20061
#: Random interview orders for the saturation band, and their fixed seed.
SATURATION_ORDERS = 1000
SATURATION_SEED = 2006
#: Excerpts quoted per theme (from its most and second most prevalent code).
EXCERPTS_PER_THEME = 2


def code_by_case(tables: Mapping[str, pd.DataFrame], coder: str = "A") -> pd.DataFrame:
    """Survivors (rows) by codes (columns, codebook order): 1 if the coder applied the code."""
    codes = tables["qual_codebook"]["code"].tolist()
    cases = tables["participants"]["participant_id"].tolist()
    apps = tables["code_applications"]
    apps = apps[apps["coder"] == coder]
    matrix = pd.crosstab(apps["participant_id"], apps["code"]).clip(upper=1)
    matrix = matrix.reindex(index=cases, columns=codes, fill_value=0).astype(np.int64)
    matrix.index.name = "participant_id"
    matrix.columns.name = None
    return matrix


def theme_prevalence(tables: Mapping[str, pd.DataFrame], matrix: pd.DataFrame) -> pd.DataFrame:
    """Per theme: survivors with at least one of its codes, and per code: survivors coded."""
    book = tables["qual_codebook"]
    rows = []
    for (theme, label), codes in book.groupby(["theme", "theme_label"], sort=False)["code"]:
        cases = int(matrix[codes.tolist()].any(axis=1).sum())
        rows.append({"level": "theme", "theme": theme, "theme_label": label, "code": "",
                     "label": label, "cases": cases, "share": cases / len(matrix)})
        for code in codes:
            k = int(matrix[code].sum())
            rows.append({"level": "code", "theme": theme, "theme_label": label, "code": code,
                         "label": book.set_index("code").loc[code, "label"], "cases": k,
                         "share": k / len(matrix)})
    return pd.DataFrame(rows)


def cooccurrence(matrix: pd.DataFrame) -> pd.DataFrame:
    """Codes by codes: number of survivors coded with both (diagonal: with the code)."""
    values = matrix.to_numpy()
    counts = values.T @ values
    return pd.DataFrame(counts, index=matrix.columns, columns=matrix.columns)


def confusable_matrix(codebook: pd.DataFrame) -> np.ndarray:
    """Codes x codes boolean matrix of the pairs the codebook names as confusable.

    Read from the ``confusable_with`` column of the ``qual_codebook`` table
    (semicolon-separated code ids), so restricted codebooks say their own.
    """
    codes = codebook["code"].tolist()
    index = {c: i for i, c in enumerate(codes)}
    pairs = np.zeros((len(codes), len(codes)), dtype=bool)
    column = codebook["confusable_with"] if "confusable_with" in codebook else [""] * len(codes)
    for code, others in zip(codes, column, strict=True):
        for other in str(others).split(";"):
            other = other.strip()
            if other in index:
                pairs[index[code], index[other]] = pairs[index[other], index[code]] = True
    return pairs


def excerpt_decisions(tables: Mapping[str, pd.DataFrame]
                      ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Each coder's decisions per coded excerpt and code, read from the code applications.

    The unit of agreement is the coded segment: every excerpt that at least one
    coder coded (its id in ``code_applications``), and for each code of the
    codebook, whether each coder applied it to that excerpt. Only the code
    applications are read, so restricted builds, which have no excerpts table,
    get the same measure. Both coders must have coded the same segments (shared
    excerpt ids), as here; codings made on freely chosen selections would first
    need aligning, which this package does not do.

    Returns
    -------
    units, coder_a, coder_b
        ``units``: excerpt_id and participant_id, one row per excerpt, ordered by
        participant and excerpt id; ``coder_a`` and ``coder_b``: excerpts x codes
        (codebook order), 1 where the coder applied the code to the excerpt.

    Raises
    ------
    ValueError
        When a code application has no excerpt id, or one excerpt id appears
        under two participants.
    """
    codes = tables["qual_codebook"]["code"].tolist()
    apps = tables["code_applications"]
    missing = apps["excerpt_id"].isna() | (apps["excerpt_id"].astype(str).str.strip() == "")
    if missing.any():
        raise ValueError(
            f"table 'code_applications' column 'excerpt_id': {int(missing.sum())} row(s) have "
            "no excerpt id; agreement is computed per coded excerpt, so every code "
            "application must name the excerpt it was applied to")
    units = (apps[["excerpt_id", "participant_id"]].drop_duplicates()
             .sort_values(["participant_id", "excerpt_id"], kind="mergesort")
             .reset_index(drop=True))
    if units["excerpt_id"].duplicated().any():
        twice = units.loc[units["excerpt_id"].duplicated(), "excerpt_id"].iloc[0]
        raise ValueError(f"table 'code_applications' column 'excerpt_id': excerpt {twice!r} "
                         "is listed under two participants; an excerpt belongs to one interview")
    row = pd.Index(units["excerpt_id"])
    column = pd.Index(codes)
    out = []
    for coder in ("A", "B"):
        mine = apps[apps["coder"] == coder]
        matrix = np.zeros((len(units), len(codes)), dtype=np.int8)
        matrix[row.get_indexer(mine["excerpt_id"]), column.get_indexer(mine["code"])] = 1
        out.append(matrix)
    return units, out[0], out[1]


def decision_counts(coder_a: np.ndarray, coder_b: np.ndarray) -> np.ndarray:
    """Per unit and code, which of the four cells of the 2 x 2 table the decision is in.

    Returns units x codes x 4 indicators in the order of
    :data:`analysis.stats.agreement.CELLS` (both, A only, B only, neither).
    """
    a, b = coder_a == 1, coder_b == 1
    return np.stack([a & b, a & ~b, ~a & b, ~a & ~b], axis=-1).astype(np.int64)


def agreement(tables: Mapping[str, pd.DataFrame], alpha: float = 0.05,
              reps: int = BOOTSTRAP_REPS, seed: int = BOOTSTRAP_SEED
              ) -> tuple[pd.DataFrame, dict]:
    """Intercoder agreement per code and pooled, over excerpt x code decisions.

    For each coded excerpt (:func:`excerpt_decisions`) and each code, did each
    coder apply the code? Per code, the four counts of that 2 x 2 table give
    percent agreement, Cohen's kappa (statsmodels) and Gwet's AC1, a
    coefficient whose chance correction does not collapse when a code is rare
    or nearly universal. Pooled over codes: the pooled kappa of de Vries et al.
    (2008) and the AC1 built the same way
    (:func:`analysis.stats.agreement.pooled_coefficients`), and Krippendorff's
    alpha over all decisions. Every interval is a percentile bootstrap over
    survivors (``reps`` resamples, ``seed``;
    :func:`analysis.stats.agreement.cluster_bootstrap`), so it lies in [-1, 1].

    Returns
    -------
    per_code, overall
        ``per_code``: code; excerpts (units); excerpts coded by A and by B;
        the four counts ``both``, ``a_only``, ``b_only``, ``neither``;
        survivors coded by A and by B (``cases_a``, ``cases_b``); percent
        agreement; kappa and AC1 with their intervals; kappa's Landis-Koch band;
        the reason where kappa or an interval is undefined. ``overall``: the
        unit, counts of excerpts, codes, decisions and disagreeing decisions,
        percent agreement, pooled kappa and AC1 with intervals, alpha, the
        spread of per-code values, and the bootstrap's settings.
    """
    units, a, b = excerpt_decisions(tables)
    codes = tables["qual_codebook"]["code"].tolist()
    cells = decision_counts(a, b)
    totals = cells.sum(axis=0)                                   # codes x 4
    survivors = pd.Index(tables["participants"]["participant_id"])
    owner = survivors.get_indexer(units["participant_id"])
    if (owner < 0).any():
        stray = units.loc[owner < 0, "participant_id"].iloc[0]
        raise ValueError(f"table 'code_applications' column 'participant_id': {stray!r} is "
                         "not a participant of table 'participants'")
    by_survivor = np.zeros((len(survivors), len(codes), 4))
    np.add.at(by_survivor, owner, cells)
    point = binary_coefficients(totals)
    pooled = pooled_coefficients(totals)
    boot = cluster_bootstrap(by_survivor, reps, seed, alpha)
    cases_a = code_by_case(tables, "A")
    cases_b = code_by_case(tables, "B")
    rows = []
    for j, code in enumerate(codes):
        both, a_only, b_only, neither = (int(v) for v in totals[j])
        rows.append({
            "code": code, "excerpts": int(len(units)),
            "excerpts_a": both + a_only, "excerpts_b": both + b_only,
            "both": both, "a_only": a_only, "b_only": b_only, "neither": neither,
            "cases_a": int(cases_a[code].sum()), "cases_b": int(cases_b[code].sum()),
            **_code_coefficients(totals[j], point, boot, j,
                                 "neither coder applied the code to any excerpt")})
    per_code = pd.DataFrame(rows)
    xa, xb = a.ravel(), b.ravel()
    overall = {
        "unit": "excerpt x code",
        "excerpts": int(len(units)),
        "codes": len(codes),
        "cases": int(len(survivors)),
        "decisions": int(xa.size),
        "disagreements": int(np.sum(xa != xb)),
        "percent_agreement": float(np.mean(xa == xb)),
        "pooled_agreement": float(pooled.agreement),
        "pooled_kappa": float(pooled.kappa),
        "pooled_kappa_low": float(boot.pooled_kappa[0]),
        "pooled_kappa_high": float(boot.pooled_kappa[1]),
        "pooled_band": kappa_band(float(pooled.kappa)),
        "pooled_ac1": float(pooled.ac1),
        "pooled_ac1_low": float(boot.pooled_ac1[0]),
        "pooled_ac1_high": float(boot.pooled_ac1[1]),
        "krippendorff_alpha": krippendorff_alpha_nominal(xa, xb),
        "interval_level": 1 - alpha,
        "bootstrap_unit": "survivor",
        "bootstrap_reps": reps,
        "bootstrap_seed": seed,
        **_spread(per_code),
    }
    return per_code, overall


def _code_coefficients(counts: np.ndarray, point: Any, boot: Any, j: int,
                       undefined: str) -> dict[str, Any]:
    """One code's agreement, kappa and AC1 with their intervals, band and reason.

    ``counts`` is the code's (both, a_only, b_only, neither); ``point`` and
    ``boot`` the coefficients and bootstrap intervals of all codes; ``j`` the
    code's index; ``undefined`` says when kappa is undefined for this unit.
    """
    both, a_only, b_only, neither = (int(v) for v in counts)
    kappa = float(point.kappa[j]) if np.isfinite(point.kappa[j]) else None
    interval = not (a_only + b_only == 0 or kappa is None)
    reason = ""
    if kappa is None:
        reason = f"kappa undefined: {undefined}"
    elif not interval:
        reason = "no interval: the coders never differed on this code, so every resample agrees"
    return {
        "agreement": float(point.agreement[j]),
        "kappa": kappa,
        "kappa_low": float(boot.kappa[j, 0]) if interval else None,
        "kappa_high": float(boot.kappa[j, 1]) if interval else None,
        "ac1": float(point.ac1[j]),
        "ac1_low": float(boot.ac1[j, 0]) if a_only + b_only else None,
        "ac1_high": float(boot.ac1[j, 1]) if a_only + b_only else None,
        "band": kappa_band(kappa), "reason": reason}


def _spread(per_code: pd.DataFrame) -> dict[str, Any]:
    """The spread of per-code kappa and AC1, and the codes with undefined kappa or interval."""
    defined = per_code["kappa"].dropna()
    intervals = per_code.dropna(subset=["kappa_low"])
    width = intervals["kappa_high"] - intervals["kappa_low"]
    return {
        "median_kappa": float(defined.median()) if len(defined) else None,
        "min_kappa": float(defined.min()) if len(defined) else None,
        "max_kappa": float(defined.max()) if len(defined) else None,
        "median_ac1": float(per_code["ac1"].median()),
        "min_ac1": float(per_code["ac1"].min()),
        "max_ac1": float(per_code["ac1"].max()),
        "codes_kappa_undefined": int(per_code["kappa"].isna().sum()),
        "codes_interval_undefined": int(per_code["kappa_low"].isna().sum()),
        "narrowest_interval_code": (str(intervals.loc[width.idxmin(), "code"])
                                    if len(intervals) else None),
        "widest_interval_code": (str(intervals.loc[width.idxmax(), "code"])
                                 if len(intervals) else None),
    }


def case_agreement(tables: Mapping[str, pd.DataFrame], alpha: float = 0.05,
                   reps: int = BOOTSTRAP_REPS, seed: int = BOOTSTRAP_SEED
                   ) -> tuple[pd.DataFrame, dict]:
    """Intercoder agreement per code and pooled, over survivor x code decisions.

    The measure restricted builds publish. For each survivor and each code:
    did each coder apply the code to her (to any of her excerpts)? Per code,
    the four counts of that 2 x 2 table (survivors both coders gave the code,
    only A, only B, neither) are cells of the disclosure plan
    (:func:`analysis.disclosure.plan.study_cells`), and every per-code
    coefficient is a function of them alone: percent agreement, kappa and
    AC1 as in :func:`agreement`, and their percentile bootstrap intervals,
    which resample survivors from the code's table with its survivors put in
    the order of its cells (both, A only, B only, neither). Each survivor is
    one unit of a code's table, so that is the survivor bootstrap, and the
    interval depends on the four counts and the seed, not on which survivor
    holds which cell. Pooled over codes: percent agreement and Krippendorff's
    alpha (functions of the pooled table, itself cells of the plan), the
    pooled kappa and AC1 of de Vries et al. (functions of every code's
    table), and their bootstrap intervals over survivors with all their
    codes, which depend on which codes each survivor holds, a pattern no
    table of the plan covers (restricted builds withhold them:
    :func:`analysis.disclosure.publish.publish_qualitative`).

    Returns
    -------
    per_code, overall
        ``per_code``: code; the four counts ``both``, ``a_only``, ``b_only``,
        ``neither`` (survivors); survivors coded by A and by B; percent
        agreement; kappa and AC1 with their intervals; kappa's band; the
        reason where kappa or an interval is undefined. ``overall``: as
        :func:`agreement` returns it, for the unit ``survivor x code``
        (no counts of excerpts).
    """
    codes = tables["qual_codebook"]["code"].tolist()
    a = code_by_case(tables, "A").to_numpy()
    b = code_by_case(tables, "B").to_numpy()
    cells = decision_counts(a, b)                                # survivors x codes x 4
    totals = cells.sum(axis=0)                                   # codes x 4
    point = binary_coefficients(totals)
    pooled = pooled_coefficients(totals)
    canonical = np.stack([np.repeat(np.eye(4, dtype=np.int64), totals[j], axis=0)
                          for j in range(len(codes))], axis=1)   # survivors x codes x 4
    per_table = cluster_bootstrap(canonical, reps, seed, alpha)
    joint = cluster_bootstrap(cells, reps, seed, alpha)
    rows = []
    for j, code in enumerate(codes):
        both, a_only, b_only, neither = (int(v) for v in totals[j])
        rows.append({
            "code": code, "both": both, "a_only": a_only, "b_only": b_only,
            "neither": neither, "cases_a": both + a_only, "cases_b": both + b_only,
            **_code_coefficients(totals[j], point, per_table, j,
                                 "both coders made the same decision for every survivor")})
    per_code = pd.DataFrame(rows)
    xa, xb = a.ravel(), b.ravel()
    overall = {
        "unit": "survivor x code",
        "codes": len(codes),
        "cases": int(a.shape[0]),
        "decisions": int(xa.size),
        "disagreements": int(np.sum(xa != xb)),
        "percent_agreement": float(np.mean(xa == xb)),
        "pooled_agreement": float(pooled.agreement),
        "pooled_kappa": float(pooled.kappa),
        "pooled_kappa_low": float(joint.pooled_kappa[0]),
        "pooled_kappa_high": float(joint.pooled_kappa[1]),
        "pooled_band": kappa_band(float(pooled.kappa)),
        "pooled_ac1": float(pooled.ac1),
        "pooled_ac1_low": float(joint.pooled_ac1[0]),
        "pooled_ac1_high": float(joint.pooled_ac1[1]),
        "krippendorff_alpha": krippendorff_alpha_nominal(xa, xb),
        "interval_level": 1 - alpha,
        "bootstrap_unit": "survivor",
        "bootstrap_reps": reps,
        "bootstrap_seed": seed,
        **_spread(per_code),
    }
    return per_code, overall


def generator_check(tables: Mapping[str, pd.DataFrame], rate: float) -> dict[str, Any]:
    """How the simulated coder B departed, at the level the generator works on.

    The generator draws coder B's departures per case-code decision (did she
    apply the code to this survivor?) at the configured expected ``rate``.
    This records that rate beside the share of case-code decisions on which the
    coders in fact differ, and where those departures fell
    (:func:`confusion_share`): a check that the pipeline builds what it was
    asked to, not a measure of anyone's coding.
    """
    a = code_by_case(tables, "A").to_numpy()
    b = code_by_case(tables, "B").to_numpy()
    differ = int(np.sum(a != b))
    return {
        "disagreement_rate": rate,
        "case_code_decisions": int(a.size),
        "case_code_disagreements": differ,
        "case_code_disagreement_share": differ / a.size if a.size else None,
        **confusion_share(a, b, confusable_matrix(tables["qual_codebook"])),
    }


def confusion_share(coder_a: np.ndarray, coder_b: np.ndarray, pairs: np.ndarray
                    ) -> dict[str, Any]:
    """Where the disagreements fell: on confusable pairs in play, or elsewhere.

    A case-code cell is *on a confusable pair in play* when the code has a
    confusable partner (``pairs``) that coder A applied to the same case: the
    case's interview then holds an excerpt that could be read as either code.
    Returns the share of the cells on which the coders differ that are such
    cells (``confusable_share``), and the share expected if coder B's
    departures fell uniformly on all cells, which is the share of such cells
    among all cells (``confusable_share_uniform``).
    """
    in_play = (coder_a.astype(np.int64) @ pairs.T.astype(np.int64)) > 0
    differ = coder_a != coder_b
    total = int(differ.sum())
    return {
        "confusable_disagreements": int(differ[in_play].sum()),
        "confusable_share": float(differ[in_play].sum() / total) if total else None,
        "confusable_share_uniform": float(in_play.mean()),
    }


def _excerpt_codings(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per excerpt: its code (coder A's), style, ambiguity, and B's codes on it."""
    excerpts = tables["excerpts"]
    apps = tables["code_applications"]
    b_codes = apps[apps["coder"] == "B"].groupby("excerpt_id", sort=False)["code"].agg(tuple)
    frame = excerpts[["excerpt_id", "participant_id", "code", "style", "ambiguity"]].copy()
    frame["b_codes"] = [b_codes.get(e, ()) for e in frame["excerpt_id"]]
    return frame


def disagreement_table(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Excerpts the coders coded differently, by coder A's code and coder B's.

    For every excerpt (written for coder A's code ``code_a``), coder B either
    applied another code ``code_b`` beside A's (``also``) or instead of it
    (``instead``), or applied nothing (``missed``, ``code_b`` empty). One
    row per (code_a, code_b, kind) with the number of excerpts and whether
    the codebook names the two codes as confusable; most frequent first,
    then in codebook order.
    """
    codes = tables["qual_codebook"]["code"].tolist()
    order = {c: i for i, c in enumerate(codes)}
    pairs = confusable_matrix(tables["qual_codebook"])
    counts: dict[tuple[str, str, str], int] = {}
    for row in _excerpt_codings(tables).itertuples(index=False):
        kept = row.code in row.b_codes
        others = [c for c in row.b_codes if c != row.code]
        if not kept and not others:
            key = (row.code, "", "missed")
            counts[key] = counts.get(key, 0) + 1
        for other in others:
            key = (row.code, other, "also" if kept else "instead")
            counts[key] = counts.get(key, 0) + 1
    rows = [{"code_a": a, "code_b": b, "kind": kind, "excerpts": k,
             "confusable": bool(b and pairs[order[a], order[b]])}
            for (a, b, kind), k in counts.items()]
    frame = pd.DataFrame(rows, columns=["code_a", "code_b", "kind", "excerpts", "confusable"])
    if frame.empty:
        return frame
    frame["_a"] = frame["code_a"].map(order)
    frame["_b"] = frame["code_b"].map(lambda c: order.get(c, -1))
    frame = frame.sort_values(["excerpts", "_a", "_b", "kind"], ascending=[False, True, True, True],
                              kind="mergesort")
    return frame.drop(columns=["_a", "_b"]).reset_index(drop=True)


def disagreement_by_style(tables: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """Share of excerpts coded differently by the two coders, by how the answer was given.

    An excerpt is coded differently when coder B's codes on it are not exactly
    coder A's one code. Returns, per answer style (``full``, ``brief``,
    ``hedged``), the number of excerpts and the share coded differently, and
    the same for brief and hedged answers together.
    """
    frame = _excerpt_codings(tables)
    differ = np.array([b != (a,) for a, b in zip(frame["code"], frame["b_codes"], strict=True)])
    out: dict[str, Any] = {}
    for style in ("full", "brief", "hedged"):
        mask = (frame["style"] == style).to_numpy()
        out[style] = {"excerpts": int(mask.sum()),
                      "differ_share": float(differ[mask].mean()) if mask.any() else None}
    short = (frame["style"] != "full").to_numpy()
    out["brief_or_hedged"] = {"excerpts": int(short.sum()),
                              "differ_share": float(differ[short].mean()) if short.any() else None}
    return out


def saturation(matrix: pd.DataFrame, orders: int = SATURATION_ORDERS,
               seed: int = SATURATION_SEED, alpha: float = 0.05
               ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Code saturation: new codes per additional interview (Guest, Bunce & Johnson, 2006).

    Parameters
    ----------
    matrix
        Coder A's cases x codes matrix (0/1), cases in interview order.
    orders, seed
        Number of random interview orders and the seed of their generator.
    alpha
        The band over random orders spans the alpha/2 to 1 - alpha/2 quantiles.

    Returns
    -------
    curve, summary
        ``curve``: one row per number of interviews k = 1..n: codes first seen
        in interview k and codes seen so far, in interview order; over the
        random orders, the mean number of new codes at k and the mean and
        band of codes seen so far. ``summary``: codes in the codebook and
        codes ever applied; in interview order, the interview after which no
        new code appeared; over random orders, its median and band.
    """
    values = matrix.to_numpy() == 1
    n, m = values.shape

    def first_seen(rows: np.ndarray) -> np.ndarray:
        """Per code, the 1-based position of the first interview with it (n + 1: never)."""
        ordered = values[rows]
        seen = ordered.any(axis=0)
        return np.where(seen, ordered.argmax(axis=0) + 1, n + 1)

    def cumulative(first: np.ndarray) -> np.ndarray:
        """Per interview k = 1..n, the number of codes first seen at or before it."""
        return np.bincount(first, minlength=n + 2)[1:n + 1].cumsum()

    in_order = cumulative(first_seen(np.arange(n)))
    rng = np.random.default_rng(seed)
    curves = np.empty((orders, n))
    last_new = np.empty(orders)
    for r in range(orders):
        first = first_seen(rng.permutation(n))
        curves[r] = cumulative(first)
        observed = first[first <= n]
        last_new[r] = observed.max() if observed.size else 0
    low, high = np.quantile(curves, [alpha / 2, 1 - alpha / 2], axis=0)
    new_random = np.diff(np.column_stack([np.zeros(orders), curves]), axis=1).mean(axis=0)
    curve = pd.DataFrame({
        "interviews": np.arange(1, n + 1),
        "participant_id": matrix.index.to_numpy(),
        "new_codes": np.diff(np.concatenate([[0], in_order])).astype(np.int64),
        "codes_seen": in_order.astype(np.int64),
        "mean_new_codes_random": new_random,
        "mean_codes_seen_random": curves.mean(axis=0),
        "codes_seen_low": low,
        "codes_seen_high": high,
    })
    observed = int(values.any(axis=0).sum())
    reached = np.flatnonzero(in_order == observed)
    band = np.quantile(last_new, [alpha / 2, 1 - alpha / 2])
    summary = {
        "codes": m,
        "codes_observed": observed,
        "interviews": n,
        "interviews_to_all_in_order": int(reached[0] + 1) if reached.size else None,
        "random_orders": orders,
        "random_seed": seed,
        "interviews_to_all_median": float(np.median(last_new)),
        "interviews_to_all_low": float(band[0]),
        "interviews_to_all_high": float(band[1]),
        "band_level": 1 - alpha,
    }
    return curve, summary


def theme_excerpts(tables: Mapping[str, pd.DataFrame], matrix: pd.DataFrame,
                   per_theme: int = EXCERPTS_PER_THEME) -> pd.DataFrame:
    """The synthetic excerpts the manuscript quotes for each theme, chosen by a fixed rule.

    Rule: take the theme's codes in order of prevalence (survivors coder A
    coded, most first; ties in codebook order) and, for each of the first
    ``per_theme`` codes, the excerpts of that code that both coders coded
    with it; quote the one whose length (characters) is closest to the median
    length of those excerpts (ties: the lower excerpt id). A code with no such
    excerpt is skipped. Nobody chooses an excerpt by hand.
    """
    book = tables["qual_codebook"]
    excerpts = tables["excerpts"]
    apps = tables["code_applications"]
    agreed_b = set(zip(apps.loc[apps["coder"] == "B", "excerpt_id"],
                       apps.loc[apps["coder"] == "B", "code"], strict=True))
    prevalence = matrix.sum(axis=0)
    rows = []
    for theme, members in book.groupby("theme", sort=False)["code"]:
        ranked = sorted(members, key=lambda c: (-int(prevalence[c]),
                                                book["code"].tolist().index(c)))
        rank = 0
        for code in ranked:
            if rank == per_theme:
                break
            own = excerpts[excerpts["code"] == code]
            agreed = own[[(e, code) in agreed_b for e in own["excerpt_id"]]]
            if agreed.empty:
                continue
            lengths = agreed["text"].str.len()
            median = float(lengths.median())
            distance = (lengths - median).abs()
            choice = agreed.assign(_d=distance.to_numpy()).sort_values(
                ["_d", "excerpt_id"], kind="mergesort").iloc[0]
            rank += 1
            rows.append({"theme": theme, "rank": rank, "code": code,
                         "cases": int(prevalence[code]), "agreed_excerpts": len(agreed),
                         "median_chars": median, "excerpt_id": choice["excerpt_id"],
                         "participant_id": choice["participant_id"],
                         "chars": int(len(choice["text"])), "text": choice["text"]})
    return pd.DataFrame(rows, columns=["theme", "rank", "code", "cases", "agreed_excerpts",
                                       "median_chars", "excerpt_id", "participant_id", "chars",
                                       "text"])


#: The units agreement can be computed over, and the function that computes it.
AGREEMENT_UNITS = {"excerpt": agreement, "survivor": case_agreement}


def run_qualitative(tables: Mapping[str, pd.DataFrame], qualitative: Mapping[str, float],
                    alpha: float = 0.05, bootstrap: Mapping[str, int] | None = None,
                    unit: str = "excerpt") -> dict[str, object]:
    """Every output of the qualitative step, from coder A's matrix and both coders' codings.

    ``qualitative`` is the configuration's ``qualitative`` section and
    ``bootstrap`` its ``agreement`` section (``bootstrap_replicates``,
    ``bootstrap_seed``; the module's defaults when None). ``unit`` is the
    unit of agreement (:data:`AGREEMENT_UNITS`): ``excerpt``
    (:func:`agreement`, synthetic builds) or ``survivor``
    (:func:`case_agreement`, what restricted builds publish). With an ``excerpts``
    table (synthetic builds) the agreement summary also records the
    generator check (:func:`generator_check`) and disagreement by answer style,
    and the outputs hold the disagreement table, the saturation curve and the
    quoted excerpts. Restricted builds have neither a configured coder to check
    nor excerpts to read.
    """
    if unit not in AGREEMENT_UNITS:
        raise ValueError(f"unit of agreement {unit!r}; allowed: " + ", ".join(AGREEMENT_UNITS))
    bootstrap = bootstrap or {}
    matrix = code_by_case(tables, "A")
    per_code, overall = AGREEMENT_UNITS[unit](
        tables, alpha, int(bootstrap.get("bootstrap_replicates", BOOTSTRAP_REPS)),
        int(bootstrap.get("bootstrap_seed", BOOTSTRAP_SEED)))
    out: dict[str, object] = {
        "code_by_case": matrix, "themes": theme_prevalence(tables, matrix),
        "cooccurrence": cooccurrence(matrix), "agreement": per_code,
        "agreement_overall": overall}
    if "excerpts" in tables:
        overall.update(generator_check(tables, qualitative["coder_disagreement_rate"]))
        overall["by_style"] = disagreement_by_style(tables)
        curve, summary = saturation(matrix, alpha=alpha)
        out.update(disagreements=disagreement_table(tables), saturation=curve,
                   saturation_summary=summary, theme_excerpts=theme_excerpts(tables, matrix))
    return out
