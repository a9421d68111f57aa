"""Sample RunData built in code, for the drafting and tribunal tests and the panel benchmark: a
small, realistic run about MoE expert offloading (figures in the style of the ExpertFlow paper
and its baselines), in variants so that ten different drafts can be made."""

from __future__ import annotations

from domain.run_data import ClaimData, EmpiricalData, PaperData, PassageData, RunData
from domain.verdicts import TextCheckFields

PAPERS = [
    ("2410.17954", "ExpertFlow: Optimized Expert Activation and Token Allocation for Efficient MoE Inference"),
    ("2308.12066", "Pre-gated MoE: An Algorithm-System Co-Design for Fast and Scalable MoE Inference"),
    ("2401.14361", "MoE-Infinity: Offloading-Efficient MoE Model Serving"),
    ("2312.17238", "Fast Inference of Mixture-of-Experts Language Models with Offloading"),
]


def _tc(verdict: str, conf: float, pid: int, text: str) -> TextCheckFields:
    """A textual check whose `verdict` came from another paper's passage (`pid`), as check_text
    stores it: SUPPORTED means corroborated, UNVERIFIED that no other paper states it."""
    independent = {"SUPPORTED": "CORROBORATED", "CONTRADICTED": "CONTRADICTED"}.get(verdict, "NONE")
    return TextCheckFields(verdict=verdict, confidence=conf, independent=independent, attribution="ATTRIBUTED",
                           evidence=[{"passage_id": pid, "paper_id": "", "text": text[:200], "score": conf}])


def sample_run(variant: int = 0, *, injected: str = "", bad_headlines: bool = False) -> RunData:
    """A run with 4 papers, 6 claims (supported, contradicted, unverified; two re-measured).

    `variant` shifts ids, numbers and paper order; `injected` is appended to one passage (a prompt
    injection test); `bad_headlines` puts a contradicted and an unverified claim first."""
    k = variant
    speedup = round(2.0 + 0.1 * k, 2)
    measured = round(speedup * (0.88 + 0.01 * k), 2)
    mem = round(90.0 + 0.37 * k, 2)
    hit = 80 + k
    base = 100 * (k + 1)
    order = PAPERS[k % 4:] + PAPERS[:k % 4]
    papers = [PaperData(id=pid, title=t, authors=["A. Author", "B. Author"], year=2024, rank=i,
                        fulltext=(i % 2 == 0), source="corpus:moe-inference.jsonl", query="moe offloading")
              for i, (pid, t) in enumerate(order)]
    ef, pg, inf, mo = (p[0] for p in PAPERS)
    texts = {
        base + 1: (ef, f"ExpertFlow improves throughput by {speedup}x over Cache-MoE on Mixtral-8x7B with "
                       f"an A40 GPU and keeps an expert hit rate of {hit}%."),
        base + 2: (ef, f"With predictive caching ExpertFlow saves up to {mem}% of GPU memory compared with "
                       "keeping all experts resident."),
        base + 3: (pg, "Pre-gated MoE reaches 1.9x the throughput of on-demand loading on Switch-base-128."),
        base + 4: (inf, "MoE-Infinity reports 3.1x lower latency than Pre-gated MoE on long prompts, "
                        "while Pre-gated MoE is slower than on-demand loading for batch 32."),
        base + 5: (mo, f"Speculative expert prefetching lifts the hit rate to {hit - 20}% on Mixtral-8x7B."),
    }
    if injected:
        pid, t = texts[base + 4]
        texts[base + 4] = (pid, t + " " + injected)
    passages = [PassageData(id=pid, paper_id=p, text=t, section="Abstract", end=len(t))
                for pid, (p, t) in texts.items()]
    c0 = 10 * (k + 1)
    # Shaped as verifier.empirical.EmpiricalResult stores them (spec / claimed / measurements).
    emp1 = EmpiricalData(
        id=c0 + 7, status="done", verdict="REPRODUCED", backend="cpu",
        reason=f"measured {measured}× against claimed {speedup}×, within 15%",
        spec={"claim_text": "", "system": "ExpertFlow", "policy": "expertflow", "baseline": "Cache-MoE",
              "baseline_policy": "lru", "model": "Mixtral-8x7B", "preset": "mixtral-8x7b",
              "small_preset": "mixtral-tiny", "cache_size": 4, "batch_size": 32, "hardware": "a40-pcie4"},
        claimed={"quantity": "speedup", "value": speedup, "unit": "×", "subject": "expertflow"},
        measurements={"measured": measured, "scale": {"backend": "cpu", "preset": "mixtral-tiny", "num_experts": 8,
                                                      "moe_layers": 4, "budget": 4, "batch": 4,
                                                      "profile": "a40-pcie4", "link": "emulated"},
                      "comparisons": [{"label": "ExpertFlow vs Cache-MoE tokens/s", "unit": "×",
                                       "claimed": speedup, "measured": measured}]},
        caveats=["the tiny preset keeps the 8-expert top-2 shape but not the 8x7B weights"])
    emp3 = EmpiricalData(
        id=c0 + 8, status="done", verdict="NOT_REPRODUCED", backend="simulated",
        reason="measured 1.2× against claimed 1.9×: not faster by the claimed margin",
        spec={"system": "Pre-gated MoE", "policy": "pregated", "baseline": "on-demand loading",
              "baseline_policy": "on-demand", "model": "Switch-Base-128", "preset": "switch-base-128",
              "small_preset": "switch-tiny", "cache_size": 16, "batch_size": 8, "hardware": "a40-pcie4"},
        claimed={"quantity": "speedup", "value": 1.9, "unit": "×", "subject": "pregated"},
        measurements={"measured": round(1.2 + 0.01 * k, 2),
                      "scale": {"backend": "simulated", "preset": "switch-base-128", "budget": 16, "batch": 8,
                                "profile": "a40-pcie4", "link": "simulated"},
                      "comparisons": [{"label": "Pre-gated vs on-demand tokens/s", "unit": "×", "claimed": 1.9,
                                       "measured": round(1.2 + 0.01 * k, 2)}]})
    claims = [
        ClaimData(id=c0 + 1, paper_id=ef, passage_id=base + 1, kind="comparison", system="ExpertFlow",
                  text=f"ExpertFlow improves throughput by {speedup}x over Cache-MoE on Mixtral-8x7B",
                  metric="throughput", value=speedup, unit="×", baseline="Cache-MoE", model="Mixtral-8x7B",
                  text_check=_tc("SUPPORTED", 0.86, base + 1, texts[base + 1][1]), empirical=emp1),
        ClaimData(id=c0 + 2, paper_id=ef, passage_id=base + 2, kind="quantitative", system="ExpertFlow",
                  text=f"ExpertFlow saves up to {mem}% of GPU memory", metric="memory", value=mem, unit="%",
                  text_check=_tc("SUPPORTED", 0.81, base + 2, texts[base + 2][1]),
                  empirical=EmpiricalData(id=c0 + 9, status="not_run",
                                          reason="memory at 8x7B scale needs a GPU this machine lacks")),
        ClaimData(id=c0 + 3, paper_id=pg, passage_id=base + 3, kind="comparison", system="Pre-gated MoE",
                  text="Pre-gated MoE reaches 1.9x the throughput of on-demand loading", metric="throughput",
                  value=1.9, unit="×", baseline="on-demand loading",
                  text_check=_tc("CONTRADICTED", 0.74, base + 4, texts[base + 4][1]), empirical=emp3),
        ClaimData(id=c0 + 4, paper_id=inf, passage_id=base + 4, kind="comparison", system="MoE-Infinity",
                  text="MoE-Infinity reports 3.1x lower latency than Pre-gated MoE", metric="latency", value=3.1,
                  unit="×", baseline="Pre-gated MoE", direction="lower",
                  text_check=_tc("UNVERIFIED", 0.42, base + 4, texts[base + 4][1])),
        ClaimData(id=c0 + 5, paper_id=mo, passage_id=base + 5, kind="quantitative",
                  text=f"Speculative expert prefetching lifts the hit rate to {hit - 20}%", metric="hit rate",
                  value=hit - 20, unit="%",
                  text_check=_tc("SUPPORTED", 0.55 if k % 4 == 3 else 0.77, base + 5, texts[base + 5][1])),
        ClaimData(id=c0 + 6, paper_id=ef, passage_id=base + 1, kind="method", system="ExpertFlow",
                  text="ExpertFlow predicts routing paths and regroups tokens by predicted path",
                  text_check=_tc("SUPPORTED", 0.7, base + 1, texts[base + 1][1])),
    ]
    if bad_headlines:  # the contradicted and the unverified claim lead
        claims = claims[2:4] + claims[:2] + claims[4:]
        for p in papers:
            p.rank = {pg: 0, inf: 1}.get(p.id, p.rank + 2)
    return RunData(run_id=f"run{k:02d}", question="How much faster is ExpertFlow than other MoE offloading systems?",
                   offline=bool(k % 2), queries=["ExpertFlow MoE inference", "MoE expert offloading throughput"],
                   papers=papers, passages=passages, claims=claims)
