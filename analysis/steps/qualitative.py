"""Qualitative analyses: code-by-case matrix, themes, co-occurrence, intercoder agreement.

Coder A is the primary coder: her code-by-case matrix is the one the
manuscript reports. Coder B coded independently; agreement between the two is
computed per code (Cohen's kappa, statsmodels) and overall (pooled kappa and
Krippendorff's alpha for nominal data, the ``krippendorff`` package).

The agreement statistics themselves are in :mod:`analysis.stats.agreement`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.stats.agreement import (
    cohen_kappa,
    expected_kappa,
    kappa_band,
    krippendorff_alpha_nominal,
)


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


def agreement(tables: Mapping[str, pd.DataFrame]) -> tuple[pd.DataFrame, dict]:
    """Intercoder agreement per code and overall.

    Returns
    -------
    per_code, overall
        ``per_code``: code, cases coded by A and B, percent agreement, Cohen's
        kappa with its band, or the reason it is undefined. ``overall``:
        pooled kappa over all case-code cells, Krippendorff's alpha (nominal),
        percent agreement, number of cells.
    """
    a = code_by_case(tables, "A")
    b = code_by_case(tables, "B")
    rows = []
    for code in a.columns:
        x, y = a[code].to_numpy(), b[code].to_numpy()
        table = np.array([[np.sum((x == 1) & (y == 1)), np.sum((x == 1) & (y == 0))],
                          [np.sum((x == 0) & (y == 1)), np.sum((x == 0) & (y == 0))]])
        agree = float(np.mean(x == y))
        if (x == x[0]).all() and (y == x[0]).all():
            kappa, reason = None, "undefined: both coders made the same decision for every case"
        else:
            kappa = cohen_kappa(table)
            reason = ""
        rows.append({"code": code, "cases_a": int(x.sum()), "cases_b": int(y.sum()),
                     "agreement": agree, "kappa": kappa, "band": kappa_band(kappa),
                     "reason": reason})
    per_code = pd.DataFrame(rows)
    xa, xb = a.to_numpy().ravel(), b.to_numpy().ravel()
    pooled = np.array([[np.sum((xa == 1) & (xb == 1)), np.sum((xa == 1) & (xb == 0))],
                       [np.sum((xa == 0) & (xb == 1)), np.sum((xa == 0) & (xb == 0))]])
    pooled_kappa = cohen_kappa(pooled)
    alpha = krippendorff_alpha_nominal(xa, xb)
    defined = per_code["kappa"].dropna()
    overall = {
        "pooled_kappa": pooled_kappa,
        "pooled_band": kappa_band(pooled_kappa),
        "krippendorff_alpha": alpha,
        "percent_agreement": float(np.mean(xa == xb)),
        "cells": int(xa.size),
        "codes": int(a.shape[1]),
        "cases": int(a.shape[0]),
        "median_kappa": float(defined.median()) if len(defined) else None,
        "min_kappa": float(defined.min()) if len(defined) else None,
        "max_kappa": float(defined.max()) if len(defined) else None,
        "codes_kappa_undefined": int(per_code["kappa"].isna().sum()),
    }
    return per_code, overall


def run_qualitative(tables: Mapping[str, pd.DataFrame], qualitative: Mapping[str, float]
                    ) -> dict[str, object]:
    """Every output of the qualitative step, from coder A's matrix and both coders' codings.

    ``qualitative`` is the configuration's ``qualitative`` section: the
    agreement summary records the configured disagreement rate, the kappa it
    was chosen to give, and the kappa expected at that rate and coder A's
    prevalence (:func:`analysis.stats.agreement.expected_kappa`).
    """
    matrix = code_by_case(tables, "A")
    per_code, overall = agreement(tables)
    rate = qualitative["coder_disagreement_rate"]
    overall["disagreement_rate"] = rate
    overall["target_kappa"] = qualitative["target_kappa"]
    overall["expected_kappa"] = expected_kappa(float(matrix.to_numpy().mean()), rate)
    return {"code_by_case": matrix, "themes": theme_prevalence(tables, matrix),
            "cooccurrence": cooccurrence(matrix), "agreement": per_code,
            "agreement_overall": overall}
