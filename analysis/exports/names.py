"""The files the exports step writes (read by the workflow at parse time)."""

from __future__ import annotations

from collections.abc import Sequence

from analysis.study.vocabulary import QUANT_TABLES

CODEBOOK_FILE = "codebook.qdc"
PROJECT_FILE = "study.qdpx"
#: SPSS and Stata copies of every quantitative table.
STATS_FORMATS = ("sav", "dta")


def output_names(tables: Sequence[str] = QUANT_TABLES) -> list[str]:
    """File names the exports step writes, in the order it returns them."""
    return [CODEBOOK_FILE, PROJECT_FILE,
            *(f"{table}.{ext}" for table in tables for ext in STATS_FORMATS)]
