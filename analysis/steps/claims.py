"""The claims registry, and its evaluation on one study or on a batch of studies.

:func:`load_registry` reads and checks ``claims.yaml``; :func:`evaluate_claims`
computes, for one study, every claim's estimate and interval at the contact
and the survivor level, the verdict of its primary level and the reason;
:func:`evaluate_batch` computes the same for every study of a batch at once
(the robustness and simulation studies), one row per study, claim and method;
:func:`outcomes_from_counts` recomputes a claim's verdicts from its published
counts alone (the disclosure plan's check of a withheld level's verdict).
What a claim's ``statistic`` computes, all three ways, is in
:mod:`analysis.steps.statistics`; the verdict rules are in
:mod:`analysis.steps.verdicts`. The tests check that the two paths agree.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.stats import exact, gee
from analysis.steps.statistics import (
    DIRECTIONS,
    LEVELS,
    STATISTICS,
    ManyStudies,
    RegistryError,
    require,
)
from analysis.steps.verdicts import REPRODUCED
from analysis.study.arrays import StudyArrays
from analysis.study.batch import StudyBatch
from analysis.study.vocabulary import VERDICTS

REGISTRY_PATH = Path(__file__).resolve().parent / "claims.yaml"

ABSTRACT_DIRECTIONS = ("stated", "none", "descriptive")
REQUIRED_KEYS = ("id", "finding", "statement", "source_words", "abstract_direction", "data",
                 "statistic", "direction", "estimand", "rule")
#: Columns of the table :func:`evaluate_batch` returns.
BATCH_COLUMNS = ("study", "claim", "method", "role", "level", "theta", "theta_low", "theta_high",
                 "se", "p_value", "estimable", "verdict")


# --- the registry ---------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _read_registry(path: Path) -> dict[str, Any]:
    from analysis.io import load_yaml

    with open(path, encoding="utf-8") as fh:
        return load_yaml(fh) or {}


def load_registry(path: Path = REGISTRY_PATH) -> list[dict[str, Any]]:
    """Read the registry's claims and check every entry (a fresh copy each call).

    Raises
    ------
    RegistryError
        An entry misses a key, names an unknown statistic, direction, outcome,
        model, contrast or level, or repeats an id.
    """
    entries = copy.deepcopy(_read_registry(Path(path)).get("claims", []))
    check_registry(entries)
    return entries


def registry_settings(path: Path = REGISTRY_PATH) -> dict[str, Any]:
    """The registry's analysis settings (the covariance of the clustered models)."""
    settings = dict(_read_registry(Path(path)).get("settings", {}))
    covariance = settings.get("gee_covariance")
    if covariance not in gee.COVARIANCES:
        raise RegistryError(f"registry settings: key 'gee_covariance' has value {covariance!r}; "
                            "allowed: " + ", ".join(gee.COVARIANCES))
    return settings


def check_registry(entries: list[dict[str, Any]]) -> None:
    """Validate registry entries (see :func:`load_registry`).

    The keys every claim needs are checked here, the keys of its statistic by
    the statistic (:meth:`analysis.steps.statistics.Statistic.check`).
    """
    seen: set[str] = set()
    if not entries:
        raise RegistryError("the claims registry has no claims")
    for entry in entries:
        cid = entry.get("id", "<missing id>")
        for key in REQUIRED_KEYS:
            if key not in entry:
                raise RegistryError(f"claim {cid}: key '{key}' is missing")
        if cid in seen:
            raise RegistryError(f"claim {cid}: id is used twice")
        seen.add(cid)
        require(cid, entry, "statistic", sorted(STATISTICS))
        require(cid, entry, "direction", DIRECTIONS)
        require(cid, entry, "abstract_direction", ABSTRACT_DIRECTIONS)
        statistic = STATISTICS[entry["statistic"]]
        require(cid, entry, "direction", statistic.directions)
        statistic.check(cid, entry)


# --- one study --------------------------------------------------------------------------------


def evaluate_claims(tables: Mapping[str, pd.DataFrame] | StudyArrays,
                    registry: list[dict[str, Any]], alpha: float = 0.05,
                    extra_covariates: Mapping[str, Sequence[str]] | None = None,
                    covariance: str | None = None) -> list[dict[str, Any]]:
    """Evaluate every claim of ``registry`` on one study.

    Returns
    -------
    list of dict
        Per claim: the registry's description (``id``, ``finding``,
        ``statement``, ``source_words``, ``abstract_direction``, ``direction``,
        ``reading``, ``estimand``, ``family``), ``levels`` (each level's
        estimate, interval, p-value, method and, for associations, its own
        verdict), the ``primary_level`` and its numbers at the top level
        (``kind``, ``estimate``, ``ci_low``, ``ci_high``, ``p_value``,
        ``method``), ``p_value_holm`` within its family, ``verdict`` (one of
        :data:`VERDICTS`), ``reproduced`` (true only for ``reproduced``),
        ``observed_direction``, ``reading_consistent`` (two-sided claims: does
        the primary estimate point the way of our reading?), ``estimable``
        and ``reason``.

    ``extra_covariates`` maps an outcome (``"arrest"``) to covariates added to
    every adjusted clustered model of that outcome; ``covariance`` is the
    clustered models' covariance (default: the registry's setting).
    """
    study = tables if isinstance(tables, StudyArrays) else StudyArrays.from_tables(tables)
    covariance = covariance or registry_settings()["gee_covariance"]
    cache: dict = {"extra": extra_covariates or {}, "covariance": covariance}
    results = []
    for entry in registry:
        outcome = STATISTICS[entry["statistic"]].one(study, entry, alpha, cache)
        primary = outcome["levels"][outcome["primary_level"]]
        result = outcome["verdict"]
        reading = entry.get("reading")
        results.append({
            "id": entry["id"],
            "finding": entry["finding"],
            "statement": entry["statement"],
            "source_words": entry["source_words"],
            "abstract_direction": entry["abstract_direction"],
            "direction": entry["direction"],
            "expected_direction": entry["direction"],
            "reading": reading,
            "estimand": entry["estimand"],
            "family": entry.get("family"),
            "primary_level": outcome["primary_level"],
            "method_id": STATISTICS[entry["statistic"]].primary(entry, covariance),
            "kind": primary["kind"],
            "method": primary["method"],
            "estimate": primary["estimate"],
            "ci_low": primary["ci_low"],
            "ci_high": primary["ci_high"],
            "p_value": primary["p_value"],
            "levels": outcome["levels"],
            "observed_direction": outcome["observed"],
            "reading_consistent": (None if reading is None
                                   else outcome["observed"] == reading),
            "verdict": result,
            "reproduced": result == REPRODUCED,
            "estimable": bool(primary["estimable"]),
            "reason": f"{entry['rule']}: {result} ({outcome['detail']})",
        })
    families: dict[str, list[int]] = {}
    for i, entry in enumerate(registry):
        if entry.get("family"):
            families.setdefault(entry["family"], []).append(i)
    for result in results:
        result["p_value_holm"] = result["p_value"] if not result["family"] else None
    for members in families.values():
        adjusted = exact.holm([results[i]["p_value"] for i in members])
        for i, p in zip(members, adjusted, strict=True):
            results[i]["p_value_holm"] = p
    for result in results:
        p = result["p_value"]
        result["significant"] = None if p is None else bool(p < alpha)
    return results


# --- from published counts -------------------------------------------------------------------


def outcomes_from_counts(entry: Mapping[str, Any], counts: Mapping[str, Mapping[str, int]],
                         alpha: float = 0.05) -> dict[str, Any]:
    """A claim's verdicts and directions computed from its published count fields alone.

    ``counts`` maps a level to its count fields (as in claims.json). Returns
    ``{"claim": (verdict, observed), "levels": {level: (verdict, direction)}}``
    with ``None`` for what counts alone do not decide: a model-based level
    (clustered models, cluster-robust risk differences), a claim whose
    verdict rests on one, and every level of a statistic that is not
    count-based. Each statistic's :meth:`~analysis.steps.statistics.Statistic.from_counts`
    is the function its one-study evaluation uses too, so the two cannot
    disagree. A missing count field raises :class:`KeyError`.
    """
    outcome = STATISTICS[entry["statistic"]].from_counts(entry, counts, alpha, tests=False)
    if outcome is None:
        return {"claim": (None, None), "levels": {level: (None, None) for level in counts}}
    levels = {name: (None, None) if level is None
              else (level.get("verdict"), level.get("observed_direction"))
              for name, level in outcome["levels"].items()}
    return {"claim": (outcome["verdict"], outcome["observed"]), "levels": levels}


def verdict_levels(entry: Mapping[str, Any]) -> tuple[str, ...]:
    """The levels whose numbers decide a claim's verdict (its primary level, or all)."""
    return STATISTICS[entry["statistic"]].verdict_levels(entry)


# --- many studies -----------------------------------------------------------------------------


def evaluate_batch(batch: StudyBatch, registry: Sequence[Mapping[str, Any]],
                   alpha: float = 0.05,
                   extra_covariates: Mapping[str, Sequence[str]] | None = None,
                   covariance: str = "mancl_derouen",
                   studies: np.ndarray | None = None, tests: bool = True) -> pd.DataFrame:
    """Every claim of ``registry`` for every study of ``batch``, one row per study, claim, method.

    Methods are the ways a claim is estimated (:data:`analysis.steps.statistics.METHODS`);
    the row of the claim's primary method carries ``role == "primary"`` and its
    verdict is the claim's verdict. ``theta`` is on the analysis scale (the log
    odds ratio of a clustered model, a share, or a risk difference).
    ``studies`` names the studies (replication numbers) in the ``study``
    column; by default 0..B-1. Columns: :data:`BATCH_COLUMNS`; ``verdict``
    holds the verdict's text. ``tests=False`` leaves out the exact tests'
    p-values (the true values need only the estimates, and exact tests over
    tens of thousands of survivors are slow).
    """
    bt = ManyStudies(batch)
    ids = np.arange(batch.B) if studies is None else np.asarray(studies)
    cache: dict = {"extra": extra_covariates or {}, "tests": tests}
    nan = np.full(ids.size, np.nan)
    frames = []
    for entry in registry:
        statistic = STATISTICS[entry["statistic"]]
        primary = statistic.primary(entry, covariance)
        for method, level, values, codes in statistic.many(bt, entry, alpha, cache):
            frames.append(pd.DataFrame({
                "study": ids, "claim": entry["id"], "method": method,
                "role": "primary" if method == primary else "secondary", "level": level,
                "theta": values["theta"], "theta_low": values["low"],
                "theta_high": values["high"], "se": values.get("se", nan),
                "p_value": values.get("p", nan), "estimable": values["estimable"],
                "verdict": np.array(VERDICTS, dtype=object)[codes]}))
    frame = pd.concat(frames, ignore_index=True)
    frame["estimable"] = frame["estimable"].astype(bool)
    return frame[list(BATCH_COLUMNS)]


__all__ = ["BATCH_COLUMNS", "LEVELS", "RegistryError", "check_registry", "evaluate_batch",
           "evaluate_claims", "load_registry", "outcomes_from_counts", "registry_settings",
           "verdict_levels"]
