"""The qualitative section's values and tables (issue 20): every number is the step's own,
excerpts come from the rule, and a restricted build's values say what is not published."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from analysis import cli
from analysis.io import read_csv, read_json
from analysis.paper import fmt
from analysis.paper.tables import agreement_table, disagreements_table, excerpts_table
from analysis.paper.values import Bundle
from analysis.paper.values.qualitative import NOT_PUBLISHED, qualitative_values

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("qualitative")
    assert cli.main(["qualitative", "--configfile", str(ROOT / "config" / "config.yaml"),
                     "--data", str(ROOT / "data" / "synthetic"), "--outdir", str(out)]) == 0
    return out


def _bundle(out: Path, restricted: bool = False) -> Bundle:
    return Bundle(claims=[], tables={}, models=pd.DataFrame(), survivor_tests=pd.DataFrame(),
                  power={}, agreement=read_csv(out / "agreement.csv"),
                  agreement_overall=read_json(out / "agreement.json"),
                  themes=read_csv(out / "themes.csv"),
                  disagreements=None if restricted else read_csv(out / "disagreements.csv"),
                  saturation=None if restricted else read_json(out / "saturation.json"),
                  theme_excerpts=None if restricted else read_csv(out / "theme_excerpts.csv"),
                  robustness=pd.DataFrame(), scenarios=[], performance=pd.DataFrame(),
                  sample_size=pd.DataFrame(), covariance=pd.DataFrame(), truth=pd.DataFrame(),
                  settings={}, hashes={}, committed_match=None)


def _values(bundle: Bundle, source: str = "synthetic") -> dict:
    return qualitative_values(bundle.agreement, bundle.agreement_overall, bundle.themes,
                              bundle.disagreements, bundle.saturation, source)


def test_values_are_the_steps_numbers(outputs):
    bundle = _bundle(outputs)
    values = _values(bundle)
    overall = bundle.agreement_overall
    assert values["pooled_ci"] == fmt.interval(overall["pooled_kappa_low"],
                                               overall["pooled_kappa_high"])
    d = values["disagreement"]
    assert d["confusable_pct"] == fmt.percent(overall["confusable_share"])
    assert d["confusable_uniform_pct"] == fmt.percent(overall["confusable_share_uniform"])
    assert int(d["n_disagreements"]) == overall["case_code_disagreements"]
    assert d["configured_rate"] == fmt.percent(overall["disagreement_rate"])
    assert f"departed on {d['n_disagreements']} ({d['case_share']})" in d["sentence"]
    assert values["pooled_ac1_ci"] == fmt.interval(overall["pooled_ac1_low"],
                                                   overall["pooled_ac1_high"])
    assert values["n_decisions"] == fmt.count(overall["excerpts"] * overall["codes"])
    lowest = bundle.agreement.sort_values("kappa", kind="mergesort").iloc[0]
    assert (f"of the {lowest['both'] + lowest['a_only'] + lowest['b_only']} excerpts either "
            f"coder gave") in values["lowest_sentence"]
    assert int(d["n_missed"]) + int(d["n_confused"]) == bundle.disagreements["excerpts"].sum()
    s = values["saturation"]
    assert s["interviews_to_all"] == str(bundle.saturation["interviews_to_all_in_order"])
    assert f"interview {s['interviews_to_all']};" in s["sentence"]
    themes = bundle.themes[bundle.themes["level"] == "theme"]
    for row in themes.itertuples(index=False):
        assert values["themes"][row.theme]["cases"] == str(row.cases)
    assert values["intro"].startswith("Everything in this section is synthetic")


def test_excerpts_table_quotes_the_rule_s_choice_and_labels_it_synthetic(outputs):
    bundle = _bundle(outputs)
    table = excerpts_table(bundle, read_csv(ROOT / "data" / "synthetic" / "qual_codebook.csv"))
    chosen = bundle.theme_excerpts
    assert len(table.splitlines()) == 2 + len(chosen)
    for row in chosen.itertuples(index=False):
        assert f"\u201c{' '.join(row.text.split())}\u201d ({row.excerpt_id}, synthetic)" in table
        assert re.fullmatch(r"SYN-\d{2,}-E\d{2}", row.excerpt_id)
    assert "Synthetic excerpt" in table.splitlines()[0]
    # every quotation carries the tag, and no participant-style id is left
    quotes = [line for line in table.splitlines()[2:] if "\u201c" in line]
    assert quotes and all(", synthetic)" in line for line in quotes)
    assert not re.search(r"\(P\d+-E\d+", table)


def test_agreement_table_shows_the_counts_behind_each_coefficient(outputs):
    bundle = _bundle(outputs)
    table = agreement_table(bundle, read_csv(ROOT / "data" / "synthetic" / "qual_codebook.csv"))
    lines = table.splitlines()
    assert "Gwet's AC1" in lines[0] and "A / B / both" in lines[0]
    body = lines[2:]
    assert len(body) == len(bundle.agreement) + 1
    for line, row in zip(body, bundle.agreement.itertuples(index=False), strict=False):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[1] == f"{row.excerpts_a} / {row.excerpts_b} / {row.both}"
        assert cells[2].startswith(fmt.number(row.kappa))
        assert cells[3].startswith(fmt.number(row.ac1))
        if not pd.isna(row.kappa_low):
            assert fmt.interval(row.kappa_low, row.kappa_high) in cells[2]
    pooled = [c.strip() for c in body[-1].strip("|").split("|")]
    assert pooled[1] == " / ".join(str(int(bundle.agreement[k].sum()))
                                   for k in ("excerpts_a", "excerpts_b", "both"))
    ov = bundle.agreement_overall
    assert pooled[2] == (f"{fmt.number(ov['pooled_kappa'])} "
                         f"{fmt.interval(ov['pooled_kappa_low'], ov['pooled_kappa_high'])}")


def test_disagreement_table_rows_follow_the_codebook(outputs):
    bundle = _bundle(outputs)
    book = read_csv(ROOT / "data" / "synthetic" / "qual_codebook.csv")
    table = disagreements_table(bundle, book)
    rows = [line.split(" | ")[0].strip("| ") for line in table.splitlines()[2:]]
    labels = book.set_index("code")["label"]
    expected = [labels[c] for c in book["code"] if c in set(bundle.disagreements["code_a"])]
    assert rows == expected
    total = sum(int(n) for n in re.findall(r"\((\d+)\)", table))
    missed = bundle.disagreements.loc[bundle.disagreements["kind"] == "missed", "excerpts"].sum()
    assert total + missed == bundle.disagreements["excerpts"].sum()


def test_restricted_values_publish_no_excerpt_curve_or_disagreement(outputs):
    bundle = _bundle(outputs, restricted=True)
    values = _values(bundle, "restricted")
    assert values["intro"].startswith("This build analysed restricted data")
    assert values["saturation"]["interviews_to_all"] == NOT_PUBLISHED
    assert values["disagreement"]["confusable_pct"] == NOT_PUBLISHED
    assert "Not shown" in excerpts_table(bundle)
    assert "Not published" in disagreements_table(bundle)


def test_every_key_the_section_uses_exists(outputs):
    section = (ROOT / "manuscript" / "sections" / "qualitative.md").read_text(encoding="utf-8")
    for source, restricted in (("synthetic", False), ("restricted", True)):
        values = {"qualitative": _values(_bundle(outputs, restricted), source)}
        for key in re.findall(r"\{\{< meta (qualitative\.[\w.]+) >\}\}", section):
            node = values
            for part in key.split("."):
                node = node[part]
            assert isinstance(node, str) and node, (source, key)
