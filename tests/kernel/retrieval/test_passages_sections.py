"""Sections and their kinds however headings are written; tables in pypdf, Markdown and LaTeX
text as passages of their own; an older database gains the section-kind column."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy import text as sql

from kernel.retrieval.passages import section_kind, sections, split_fulltext
from kernel.storage.db import create_schema
from verifier.tables import parse, table_claims

PYPDF = """Predictive Expert Caching
Ada Lovelace
Abstract
We present a cache.
I. INTRODUCTION
Experts are offloaded.
II. RELATED WORK
MoE-Infinity reduces decoding latency by 3.5x compared with DeepSpeed-Inference.
3 System Design
A predictor reads the routing path.
3.1 Expert Prediction
The predictor is a small network.
5. EVALUATION
We use one H100 GPU over PCIe 5.0.
5.1 Setup
The cache holds 16 experts per layer.
5.2 Results
TABLE III: Speed-up of ExpertFlow over Cache-MoE at two cache sizes.
Model Cache Speed-up
Mixtral-8×7B 2/8 1.99×
4/8 1.45×
The speed-up shrinks as the cache grows.
6 Conclusion
Prediction pays off.
References
[1] A. Author. A Survey of Mixture of Experts Models. 2024.
Appendix A: Additional results
More rows.
"""


def test_pypdf_headings_give_sections_with_kinds():
    got = [(s.name, s.kind) for s in sections(PYPDF)]
    assert got == [("Front", "front"), ("Abstract", "abstract"), ("Introduction", "introduction"),
                   ("Related Work", "related_work"), ("System Design", "method"),
                   ("Expert Prediction", "method"),  # a subsection that says nothing: its parent's
                   ("Evaluation", "evaluation"), ("Setup", "evaluation"), ("Results", "results"),
                   ("Conclusion", "conclusion"), ("Appendix", "appendix")]
    assert not any("Survey" in p.text for p in split_fulltext(PYPDF))  # references dropped


@pytest.mark.parametrize("heading, kind", [
    ("## 5 Evaluation", "evaluation"), ("\\section{Experimental Setup}", "evaluation"),
    ("\\subsection*{Related Work}", "related_work"), ("# Conclusion and Future Work", "conclusion"),
])
def test_markdown_and_latex_headings(heading, kind):
    (sec,) = [s for s in sections(f"{heading}\nSome text of the section.\n") if s.name != "Front"]
    assert sec.kind == kind
    assert section_kind(sec.name) == kind


def test_a_pypdf_table_is_one_passage_that_keeps_caption_header_and_rows():
    spans = split_fulltext(PYPDF)
    (table,) = [p for p in spans if p.kind == "table"]
    assert (table.section, table.section_kind) == ("Table III", "results")
    found = parse(table.text)
    assert found.caption.startswith("Speed-up of ExpertFlow over Cache-MoE")
    assert found.rows == [["Mixtral-8×7B", "2/8", "1.99×"], ["Mixtral-8×7B", "4/8", "1.45×"]]  # row label carried
    assert PYPDF[table.start:table.end].startswith("TABLE III") and PYPDF[table.start:table.end].endswith("1.45×")
    for p in spans:
        if p.kind == "fulltext":
            assert PYPDF[p.start:p.end] == p.text and "2/8" not in p.text
    assert [c.setting for c in table_claims(table.text)] == [{"cache_size": 2}, {"cache_size": 4}]


def test_numbered_lines_without_a_caption_are_prose():
    text = "4 Evaluation\nWe ran three settings:\nsmall 1 2\nlarge 3 4\nThe results follow.\n"
    assert not [p for p in split_fulltext(text) if p.kind == "table"]


MARKDOWN = """## 4 Evaluation
We run on one A40.

Table 2: Expert-cache hit rate and throughput on Mixtral-8x7B.

| Policy | Hit rate (%) | Throughput (tokens/s) |
|---|---:|---:|
| LRU | 61.2 | 4.3 |
| ExpertFlow | 88.5 | 9.0 |

The hit rate explains the throughput.
"""

LATEX = r"""\section{Evaluation}
We evaluate on an H200.
\begin{table}[t]
\caption{Decoding latency per token on Mixtral-8x7B at batch size 16.}
\begin{tabular}{lrr}
\toprule
\textbf{System} & \textbf{Latency (ms)} & Speed-up \\
\midrule
Cache-MoE & 120.5 & 1.00$\times$ \\
ExpertFlow & 60.1 & 2.00$\times$ \\
\bottomrule
\end{tabular}
\end{table}
The latency halves.
"""


def test_markdown_and_latex_tables_become_rows_with_fields():
    (md,) = [p for p in split_fulltext(MARKDOWN) if p.kind == "table"]
    assert md.section == "Table 2" and md.section_kind == "evaluation"
    hits = {(c.system, c.metric): (c.value, c.unit) for c in table_claims(md.text)}
    assert hits[("ExpertFlow", "hit rate")] == (88.5, "%") and hits[("ExpertFlow", "throughput")] == (9.0, "tokens/s")
    (tex,) = [p for p in split_fulltext(LATEX) if p.kind == "table"]
    assert "\\" not in tex.text and "Decoding latency per token" in tex.text
    claims = table_claims(tex.text)
    speed = [c for c in claims if c.metric == "speedup"]
    assert [(c.system, c.value, c.baseline) for c in speed] == [("ExpertFlow", 2.0, "Cache-MoE")]
    assert all(c.setting == {"batch_size": 16} and c.model == "Mixtral-8x7B" for c in claims)
    prose = " ".join(p.text for p in split_fulltext(LATEX) if p.kind == "fulltext")
    assert "The latency halves." in prose and "120.5" not in prose


def test_an_older_passage_table_gains_the_section_kind_column(tmp_path):
    path = tmp_path / "old.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    create_schema(engine)
    engine.dispose()
    with sqlite3.connect(path) as db:  # the table as an older release made it
        db.execute("ALTER TABLE passage DROP COLUMN section_kind")
        db.execute("DROP TABLE paper_setup")
    engine = create_engine(f"sqlite:///{path}")
    create_schema(engine)
    assert "section_kind" in {c["name"] for c in inspect(engine).get_columns("passage")}
    with engine.connect() as conn:
        assert conn.execute(sql("SELECT count(*) FROM paper_setup")).scalar() == 0


def test_wrapped_prose_lines_and_out_of_order_numbers_are_not_headings():
    text = ("1 Introduction\nIntro.\n2 Background on Routing\nRouting.\n3 Our Cache Design\nIt predicts.\n"
            "2 GPUs serve each model in\nthe cluster.\n4 The cache holds experts and\nmore.\n4 Evaluation\n"
            "We measure.\nA. Experimental Setup\nOne H100.\n9 Lines That Look Like Titles\nx\n5 Conclusion\nDone.\n")
    got = [(s.name, s.kind) for s in sections(text)]
    assert got == [("Introduction", "introduction"), ("Background on Routing", "background"),
                   ("Our Cache Design", "method"), ("Evaluation", "evaluation"),
                   ("Experimental Setup", "evaluation"), ("Conclusion", "conclusion")]


def test_a_latex_source_added_as_a_file_keeps_its_table(tmp_path):
    from kernel.retrieval.documents import read_document

    path = tmp_path / "paper.tex"
    path.write_text("\\documentclass{article}\n\\title{Caching Experts}\n\\begin{document}\n\\maketitle\n"
                    + LATEX + "\\end{document}\n")
    text = read_document(path).text
    (table,) = [p for p in split_fulltext(text) if p.kind == "table"]
    assert table.section_kind == "evaluation" and "Decoding latency per token" in table.text
    speed = [c for c in table_claims(table.text) if c.metric == "speedup"]
    assert [(c.system, c.value, c.unit, c.baseline) for c in speed] == [("ExpertFlow", 2.0, "×", "Cache-MoE")]


def test_an_ieee_caption_on_two_lines_above_the_table():
    text = ("V. EVALUATION\nWe use one A40.\nTABLE II\nSPEED-UP OF EXPERTFLOW OVER CACHE-MOE\n"
            "Model Cache Speed-up\nMixtral-8x7B 2/8 1.99×\nMixtral-8x7B 4/8 1.45×\nThe table shows.\n")
    (table,) = [p for p in split_fulltext(text) if p.kind == "table"]
    assert table.text.splitlines()[:2] == ["Table II: SPEED-UP OF EXPERTFLOW OVER CACHE-MOE",
                                           "Columns: Model; Cache; Speed-up."]
    assert [(c.system, c.baseline, c.value) for c in table_claims(table.text)] == [
        ("ExpertFlow", "Cache-MoE", 1.99), ("ExpertFlow", "Cache-MoE", 1.45)]


@pytest.mark.parametrize("header, n, cells", [
    ("Policy Throughput (tok/s) Hit rate (%)", 2, ["Policy", "Throughput (tok/s)", "Hit rate (%)"]),
    ("Model ExpertFlow (tok/s) Cache-MoE (tok/s)", 2, ["Model", "ExpertFlow (tok/s)", "Cache-MoE (tok/s)"]),
    ("Model Cache Speed-up over Cache-MoE", 2, ["Model", "Cache", "Speed-up over Cache-MoE"]),
    ("Policy Cache hit rate (%)", 1, ["Policy", "Cache hit rate (%)"]),
    ("Model Cache size Batch size Throughput (tokens/s)", 3,
     ["Model", "Cache size", "Batch size", "Throughput (tokens/s)"]),
    ("Workload Latency (ms) Memory (GB)", 2, ["Workload", "Latency (ms)", "Memory (GB)"]),
    ("Some words that say nothing here", 2, None),
])
def test_a_pypdf_header_line_is_cut_into_its_columns(header, n, cells):
    from kernel.retrieval.tables import _header_cells

    assert _header_cells(header, n) == cells
