"""Runs with a framed question, for the Answer and the planted-defect suite: the sample run of
tests/reports plus the question's facets, a paper about a different system that is also called
ExpertFlow (arXiv 2510.26730), a paper off the question's topic, and an experiment measured for
the question. Ten variants differ in question, facets, numbers and paper order."""

from __future__ import annotations

from domain.run_data import ClaimData, EmpiricalData, FacetData, PaperData, PassageData, RunData
from domain.verdicts import TextCheckFields
from reports.sample_runs import sample_run

TWIN = ("2510.26730", "ExpertFlow: Adaptive Expert Scheduling and Memory Coordination for Efficient MoE Inference")
OFF_TOPIC = ("2412.11557", "Enhancing Healthcare Recommendation Systems with a Multimodal LLMs-based MOE Architecture")
QUESTIONS = (
    "How does ExpertFlow compare to Cache-MoE in throughput on Mixtral-8x7B and on POPE?",
    "Is ExpertFlow faster than Pre-gated MoE on Mixtral-8x22B at varying batch sizes?",
)


def _facets(k: int) -> list[FacetData]:
    base = 1000 + 10 * k
    baseline = "Cache-MoE" if k % 2 == 0 else "Pre-gated MoE"
    model = "Mixtral-8x7B" if k % 2 == 0 else "Mixtral-8x22B"
    out = [
        FacetData(id=base + 1, kind="system", text="ExpertFlow", terms=["ExpertFlow"],
                  answerable_by=["literature", "experiment"]),
        FacetData(id=base + 2, kind="baseline", text=baseline, terms=[baseline],
                  answerable_by=["literature", "experiment"]),
        FacetData(id=base + 3, kind="metric", text="throughput", terms=["throughput"],
                  answerable_by=["literature", "experiment"]),
        FacetData(id=base + 4, kind="model", text=model, terms=[model], answerable_by=["literature", "experiment"]),
        FacetData(id=base + 5, kind="comparison", text=f"ExpertFlow vs static cache on {model}",
                  terms=["ExpertFlow", "static cache"], answerable_by=["literature", "experiment"]),
    ]
    if k % 2 == 0:
        out.append(FacetData(id=base + 6, kind="dataset", text="POPE", terms=["POPE"], answerable_by=[],
                             reason="POPE is a model-quality benchmark; the runtime measures serving speed"))
    else:
        out.append(FacetData(id=base + 6, kind="condition", text="varying batch sizes", terms=["batch size"],
                             answerable_by=["literature", "experiment"]))
    return out


def answer_run(k: int = 0) -> RunData:
    """sample_run(k) framed: facets, a homonym paper, an off-topic paper, a question experiment."""
    run = sample_run(k, bad_headlines=k % 3 == 2)
    run.question = QUESTIONS[k % 2]
    run.facets = _facets(k)
    n = len(run.papers)
    run.papers += [PaperData(id=pid, title=t, authors=["C. Author"], year=2025, rank=n + i, source="corpus:x",
                             query="expertflow") for i, (pid, t) in enumerate((TWIN, OFF_TOPIC))]
    pbase = 900 + 10 * k
    stall = 30 + k
    acc = round(4.2 + 0.1 * k, 1)
    twin_text = f"ExpertFlow cuts expert stall time by {stall}% with adaptive expert scheduling."
    off_text = f"The MoE recommender improves recommendation accuracy by {acc}% on clinical records."
    run.passages += [PassageData(id=pbase + 1, paper_id=TWIN[0], text=twin_text, end=len(twin_text)),
                     PassageData(id=pbase + 2, paper_id=OFF_TOPIC[0], text=off_text, end=len(off_text))]
    cbase = 500 + 10 * k
    run.claims += [
        ClaimData(id=cbase + 1, paper_id=TWIN[0], passage_id=pbase + 1, kind="quantitative", system="ExpertFlow",
                  text=twin_text.rstrip("."), metric="latency", value=stall, unit="%",
                  text_check=TextCheckFields(verdict="SUPPORTED", confidence=0.8,
                                             evidence=[{"passage_id": pbase + 1, "text": twin_text}])),
        ClaimData(id=cbase + 2, paper_id=OFF_TOPIC[0], passage_id=pbase + 2, kind="quantitative",
                  text=off_text.rstrip("."), metric="accuracy", value=acc, unit="%",
                  text_check=TextCheckFields(verdict="SUPPORTED", confidence=0.9,
                                             evidence=[{"passage_id": pbase + 2, "text": off_text}])),
    ]
    if k % 3 == 1:  # a claim its text check supports but our runtime did not reproduce
        pg = next(c for c in run.claims if c.system == "Pre-gated MoE")
        pg.text_check = TextCheckFields(verdict="SUPPORTED", confidence=0.7,
                                        evidence=[{"passage_id": pg.passage_id, "text": pg.text}])
    ratio = round(1.3 + 0.05 * k, 2)
    model, preset = ("Mixtral-8x7B", "mixtral-8x7b") if k % 2 == 0 else ("Mixtral-8x22B", "mixtral-8x22b")
    run.question_checks = [EmpiricalData(
        id=700 + k, facet_id=run.facets[4].id, status="done", verdict=None, backend="simulated",
        spec={"system": "ExpertFlow", "policy": "expertflow", "baseline": "static cache", "baseline_policy": "static",
              "model": model, "preset": preset, "cache_size": 2, "batch_size": 16, "hardware": "a40-pcie4"},
        measurements={"measured": ratio,
                      "scale": {"backend": "simulated", "preset": preset, "budget": 2, "batch": 16,
                                "profile": "a40-pcie4"},
                      "comparisons": [{"label": "ExpertFlow ÷ static cache throughput", "unit": "×",
                                       "claimed": None, "measured": ratio}]},
        caveats=["simulated: no tensors ran"])]
    return run
