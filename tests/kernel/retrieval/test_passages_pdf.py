"""A paper of our own, written as a PDF with fpdf2 and read back the pypdf way, through the read
and extract stages: sections with kinds, the results table as a passage whose rows are claims,
the evaluation setup stored with its passage, and the empirical plan built on that setup."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlmodel import Session, select

from kernel.empirical.checks import plan_checks
from kernel.flow.context import StageContext
from kernel.flow.nodes.extract import extract
from kernel.flow.nodes.read import fulltext_store, read
from kernel.retrieval.fulltext import pdf_text
from kernel.storage.models import Claim, EmpiricalCheck, Paper, PaperSetupRow, Passage, Run, RunPaper

from .paper_pdfs import _para, fpdf

PID = "2501.01234"
SECTIONS = [
    ("Abstract", "We present ExpertFlow-R, a reproduction of predictive expert caching for offloaded "
                 "Mixture-of-Experts inference."),
    ("1 Introduction", "Experts that do not fit in GPU memory are fetched from the host on demand."),
    ("2 Related Work", "MoE-Infinity traces expert activations per request. It reduces decoding latency "
                       "by 3.5x compared with DeepSpeed-Inference. Prior offloading systems cut GPU "
                       "memory by 80%."),
    ("3 Design", "A predictor reads the routing path and prefetches the experts of the next layers."),
    ("4 Evaluation", "We compare ExpertFlow with Cache-MoE on one runtime."),
    ("4.1 Setup", "We evaluate on one NVIDIA H100 GPU attached to the host over PCIe 5.0 x16. The expert "
                  "cache holds 16 experts per layer, and requests are served at batch size 8 with 128 "
                  "generated tokens each."),
    ("4.2 Results", "Table 2 lists the speed-up at two cache sizes."),
]
CAPTION = "Table 2: Speed-up of ExpertFlow over Cache-MoE at two expert-cache sizes."
ROWS = [("Model", "Cache", "Speed-up"), ("Mixtral-8x7B", "2/8", "1.99×"), ("Mixtral-8x7B", "4/8", "1.45×")]


def _paper_text(tmp_path) -> str:
    pdf = fpdf()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    _para(pdf, 7, "ExpertFlow-R: Predictive Expert Caching, Reproduced")
    for heading, body in SECTIONS:
        pdf.set_font("Helvetica", "B", 11)
        _para(pdf, 6, heading)
        pdf.set_font("Helvetica", size=10)
        _para(pdf, 5, body)
    _para(pdf, 5, CAPTION)
    with pdf.table() as table:
        for cells in ROWS:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    for heading, body in (("5 Conclusion", "Prediction pays off when the cache is small."),
                          ("References", "[1] A. Author. Fast Inference of MoE Models with Offloading.")):
        pdf.set_font("Helvetica", "B", 11)
        _para(pdf, 6, heading)
        pdf.set_font("Helvetica", size=10)
        _para(pdf, 5, body)
    path = tmp_path / "paper.pdf"
    pdf.output(str(path))
    return pdf_text(path.read_bytes())


# Under ExpertFlow's id too: with the paper's text read, its hand-written setup is not used.
@pytest.mark.parametrize("paper_id", [PID, "2410.17954"])
def test_a_pdf_paper_is_read_by_section_table_and_setup(settings, engine, tmp_path, paper_id):
    text = _paper_text(tmp_path)
    ctx = StageContext(settings)
    fulltext_store(ctx).store(paper_id, text)
    with Session(engine) as s:
        run = Run(question="Does predictive expert caching beat LRU caching?")
        s.add(Paper(id=paper_id, title="ExpertFlow-R", abstract=SECTIONS[0][1]))
        s.add(run)
        s.commit()
        run_id = run.id
        s.add(RunPaper(run_id=run_id, paper_id=paper_id, rank=1))
        s.commit()
    rt = SimpleNamespace(context=ctx)
    state = {"run_id": run_id, "question": "q", "offline": True}
    read(state, rt)
    with Session(engine) as s:
        passages = s.exec(select(Passage).where(Passage.paper_id == paper_id, Passage.kind != "abstract")).all()
        setup = s.get(PaperSetupRow, paper_id)
    kinds = {p.section: p.section_kind for p in passages}
    assert kinds["Related Work"] == "related_work" and kinds["Setup"] == "evaluation"
    assert kinds["Results"] == "results" and kinds["Design"] == "method"
    (table,) = [p for p in passages if p.kind == "table"]
    assert table.section == "Table 2" and table.section_kind == "results"
    assert table.text.splitlines()[0] == CAPTION
    assert "Model = Mixtral-8x7B; Cache = 2/8; Speed-up = 1.99×" in table.text
    assert text[table.start:table.end].count("Mixtral-8x7B") == 2  # the span is the table in the text
    assert not any("2/8" in p.text for p in passages if p.kind == "fulltext")  # prose skips the table
    assert not any("Fast Inference" in p.text for p in passages)  # references dropped

    value = {k: f["value"] for k, f in setup.fields.items()}
    assert (value["hardware"], value["interconnect"], value["cache_size"], value["batch_size"]) == \
        ("H100", "PCIe 5.0", 16, 8)
    source = next(p for p in passages if p.id == setup.passage_id)
    assert source.section == "Setup" and "batch size 8" in source.text
    cache = setup.fields["cache_size"]
    assert source.text[cache["start"]:cache["end"]] == cache["quote"]

    extract(state, rt)
    with Session(engine) as s:
        claims = s.exec(select(Claim).where(Claim.run_id == run_id)).all()
    rows = [c for c in claims if c.passage_id == table.id]
    assert [(c.system, c.metric, c.value, c.unit, c.baseline, c.model, c.setting) for c in rows] == [
        ("ExpertFlow", "speedup", 1.99, "×", "Cache-MoE", "Mixtral-8x7B", {"cache_size": 2}),
        ("ExpertFlow", "speedup", 1.45, "×", "Cache-MoE", "Mixtral-8x7B", {"cache_size": 4}),
    ]
    related = {c.value: c.system for c in claims if c.value is not None and kinds.get(
        next(p.section for p in passages if p.id == c.passage_id)) == "related_work"}
    assert related == {3.5: "MoE-Infinity"}  # not the paper's system; the unnamed 80% is dropped

    plan_checks(settings, engine, run_id)
    with Session(engine) as s:
        checks = {r.claim_id: r for r in s.exec(select(EmpiricalCheck)).all()}
    spec = checks[rows[0].id].spec
    assert (spec["hardware"], spec["batch_size"], spec["cache_size"]) == ("h100-pcie5", 8, 2)
    said = " | ".join(spec["assumed"])
    assert f"setup from the paper's text (passage P{setup.passage_id}" in said
    assert "hand-written" not in said
