"""frame: the question → its facets, each with what would answer it (DESIGN.md, "frame").

Facets are the systems and baselines compared, the metrics, models, hardware, datasets or
benchmarks, and conditions ("varying batch sizes") the question names, read by rules: the
verifier's alias tables give canonical names, and the runtime's policy, preset and hardware
tables say which facets an experiment can answer. A facet that neither a paper's claim nor a
runtime experiment can answer keeps the reason ("POPE is a model-quality benchmark; the runtime
measures serving speed"). When the question compares two systems the runtime implements, a
comparison facet carries the experiment to run for it ("measured for this question").

State read: run_id, question. Writes the run's Facet rows (replacing earlier ones).
"""

from __future__ import annotations

import re
from typing import Any

from langgraph.runtime import Runtime
from sqlmodel import Session

from kernel.flow.context import StageContext
from kernel.flow.state import RunState
from kernel.storage import crud
from kernel.storage.db import transact
from kernel.storage.models import Facet

LITERATURE, EXPERIMENT = "literature", "experiment"
RUNTIME_METRICS = ("throughput", "speedup", "latency", "hit rate", "miss rate", "memory")
QUALITY = "a model-quality {what}; the runtime measures serving speed, caching and memory, not what the model answers"
# Names the alias tables do not carry: model-quality benchmarks and metrics (vision-language and
# recommendation work asks about them) and the static expert cache (a runtime policy, rarely a
# paper's own name).
BENCHMARKS = {"POPE": r"pope", "MME": r"mme", "MMBench": r"mmbench", "VQAv2": r"vqa\s?v?2", "TextVQA": r"textvqa",
              "ScienceQA": r"scienceqa", "GQA": r"gqa", "MMLU": r"mmlu", "GSM8K": r"gsm8k", "HellaSwag": r"hellaswag"}
QUALITY_METRICS = {"hallucination": r"hallucinat\w*", "accuracy": r"accuracy", "perplexity": r"perplexity",
                   "NDCG": r"ndcg", "AUC": r"\bauc\b", "recall@k": r"recall@\s?\d+"}
# Application domains a question may be about; the terms are what a paper's title or claim says.
TOPICS = {
    "recommender systems": (r"recommend\w*", ["recommend"]),
    "multimodal inputs": (r"multi-?modal", ["multimodal"]),
    "vision-language models": (r"vision[- ]language|\bvlms?\b", ["vision-language", "VLM"]),
    "healthcare": (r"health\s?care|clinical|medical", ["health", "clinical", "medical"]),
    "machine translation": (r"\btranslation\b", ["translation"]),
    "speech": (r"\bspeech\b|\baudio\b", ["speech", "audio"]),
}
STATIC_CACHE = re.compile(r"\bstatic\s+(?:expert\s+)?(?:cach(?:e|es|ing)|placement)\b", re.I)
CONDITIONS = {
    "varying batch sizes": (re.compile(r"\bbatch(?:\s|-)?sizes?\b|\bbatch(?:es|ing)\b", re.I), ["batch size"], True),
    "sequence length": (re.compile(r"\b(?:sequence|prompt|context|input)\s+lengths?\b", re.I),
                        ["sequence length"], False),
    "memory budget": (re.compile(r"\b(?:memory|cache)\s+(?:budget|size|capacity)s?\b", re.I), ["cache size"], False),
}
BATCH_SWEEP = (4, 16, 64)  # sequences per batch when the question asks about varying batch sizes
DEFAULT_BATCH = 16
MAX_COMPARISONS = 3  # comparison facets (each an experiment at both scales) per question
MODEL_LIKE = re.compile(r"\d|moe|-vl|llm|gpt|llama|qwen|mixtral|deepseek", re.I)
# Tokens that look like a name (inner capitals or digits) the alias tables do not know.
NAME_TOKEN = re.compile(r"\b[A-Za-z][A-Za-z0-9.]*(?:-[A-Za-z0-9.]+)+\b|\b[A-Z][a-z]*[A-Z][A-Za-z0-9]*\b")


def _runtime_tables() -> tuple[dict[str, str], dict[str, tuple[str, str]], dict[str, str]]:
    from verifier.empirical.spec import HARDWARE_PROFILES, MODEL_PRESETS, SYSTEM_POLICIES

    return SYSTEM_POLICIES, MODEL_PRESETS, HARDWARE_PROFILES


def _facet(kind: str, text: str, terms: list[str], by: list[str], reason: str = "",
           experiment: dict | None = None) -> dict[str, Any]:
    return {"kind": kind, "text": text, "terms": terms, "answerable_by": by, "reason": reason,
            "experiment": experiment or {}}


def frame_question(question: str) -> list[dict[str, Any]]:
    """The facets of `question`, in the order a reader meets them (`domain.facets.FacetFields` as dicts)."""
    from verifier.aliases import find_mentions

    policies, presets, profiles = _runtime_tables()
    mentions = find_mentions(question)
    spans = [(m.start, m.end) for m in mentions]
    out: list[dict[str, Any]] = []
    systems: list[str] = []
    models: list[str] = []
    hardware: list[str] = []
    for m in mentions:
        if m.kind == "system" and m.name not in systems:
            systems.append(m.name)
        elif m.kind == "model" and m.name not in models:
            models.append(m.name)
        elif m.kind == "hardware" and m.name not in hardware:
            hardware.append(m.name)
    for s in STATIC_CACHE.finditer(question):
        spans.append(s.span())
        if "static cache" not in systems:
            systems.append("static cache")
    for i, name in enumerate(systems):
        kind = "system" if i == 0 else "baseline"
        if name in policies:
            out.append(_facet(kind, name, [name], [LITERATURE, EXPERIMENT]))
        else:
            out.append(_facet(kind, name, [name], [LITERATURE],
                              f"{name} has no implementation in the runtime; "
                              "what papers state about it is all there is"))
    for name, (pat, terms) in TOPICS.items():
        for m in re.finditer(pat, question, re.I):
            spans.append(m.span())
        if re.search(pat, question, re.I):
            out.append(_facet("topic", name, terms, [LITERATURE],
                              f"{name} is an application domain; the runtime measures serving speed, so only papers "
                              "can answer it"))
    vocabulary = {n.lower() for n in list(BENCHMARKS) + list(QUALITY_METRICS)}
    unknown = [t.group(0) for t in NAME_TOKEN.finditer(question)
               if not any(a <= t.start() < b for a, b in spans) and not _known_word(t.group(0))
               and t.group(0).lower() not in vocabulary]
    for name in [u for u in unknown if not MODEL_LIKE.search(u)]:
        out.append(_facet("topic", name, [name], [LITERATURE],
                          f"{name} is not a system, model or setting the runtime knows; only papers can answer it"))
    for name in models + [u for u in unknown if MODEL_LIKE.search(u)]:
        if name in presets:
            out.append(_facet("model", name, [name], [LITERATURE, EXPERIMENT]))
        else:
            out.append(_facet("model", name, [name], [LITERATURE],
                              f"{name} has no runtime preset (presets: {', '.join(presets)}); "
                              "only papers can answer it"))
    seen_metrics: list[str] = []
    for m in mentions:
        if m.kind == "metric" and m.name not in seen_metrics:
            seen_metrics.append(m.name)
    for name in seen_metrics:
        if name in RUNTIME_METRICS:
            out.append(_facet("metric", name, [name], [LITERATURE, EXPERIMENT]))
        elif name in QUALITY_METRICS:
            out.append(_facet("metric", name, [name], [LITERATURE], QUALITY.format(what="metric")))
        else:  # energy, cost, ...: a serving figure the runtime does not measure
            out.append(_facet("metric", name, [name], [LITERATURE],
                              f"the runtime does not measure {name}; it measures "
                              f"{', '.join(RUNTIME_METRICS)}"))
    for name, pat in QUALITY_METRICS.items():
        if name not in seen_metrics and re.search(pat, question, re.I):
            out.append(_facet("metric", name, [name], [LITERATURE], QUALITY.format(what="metric")))
    for name in hardware:
        if name in profiles:
            out.append(_facet("hardware", name, [name], [LITERATURE, EXPERIMENT]))
        else:
            out.append(_facet("hardware", name, [name], [LITERATURE],
                              f"the runtime has no {name} profile (profiles: {', '.join(profiles)})"))
    for m in mentions:
        if m.kind == "dataset" and not any(f["text"] == m.name for f in out):
            out.append(_facet("dataset", m.name, [m.name], [LITERATURE],
                              "the runtime's timings do not depend on this dataset's content; "
                              "only papers report on it"))
    for name, pat in BENCHMARKS.items():
        if re.search(rf"\b{pat}\b", question, re.I) and not any(f["text"] == name for f in out):
            out.append(_facet("dataset", name, [name], [LITERATURE],
                              f"{name} is a model-quality benchmark; the runtime measures serving speed"))
    sweep = False
    for name, (pat, terms, runnable) in CONDITIONS.items():
        if pat.search(question):
            sweep = sweep or name == "varying batch sizes"
            out.append(_facet("condition", name, terms, [LITERATURE, EXPERIMENT] if runnable else [LITERATURE],
                              "" if runnable else f"the question's {name} is not a setting the runtime's "
                                                  "question experiments vary"))
    # The comparison the question asks for leads: it is the direct answer when the runtime can run it.
    return comparisons(systems, models, hardware, sweep) + out


def _known_word(token: str) -> bool:
    """Hyphenated or capitalised tokens that are vocabulary, not names."""
    low = token.lower()
    return low in {"mixture-of-experts", "moe", "state-of-the-art", "on-demand", "how", "what", "which", "does",
                   "is", "are", "can"} or low.startswith(("sparsely-", "large-", "multi-", "high-", "low-", "memory-"))


def comparisons(systems: list[str], models: list[str], hardware: list[str], sweep: bool) -> list[dict[str, Any]]:
    """A comparison facet per runnable pair (first system against each baseline) and model, with
    the experiment that answers it: the full-size preset (simulated) and its small variant (cpu)."""
    policies, presets, profiles = _runtime_tables()
    runnable = [s for s in systems if s in policies]
    if len(runnable) < 2:
        return []
    from expertflow_runtime.presets import from_name

    subject, out = runnable[0], []
    sweep_once = sweep  # the batch sweep runs for the first comparison only: the cost stays bounded
    targets = [m for m in models if m in presets] or (["Mixtral-8x7B"] if not models else [])
    profile = next((profiles[h] for h in hardware if h in profiles), "a40-pcie4")
    for base in runnable[1:]:
        for model in targets:
            preset, small = presets[model]
            experts = from_name(preset).num_experts
            exp = {"system": subject, "policy": policies[subject], "baseline": base, "baseline_policy": policies[base],
                   "model": model, "preset": preset, "small_preset": small, "cache_size": max(1, experts // 4),
                   "batch_sizes": list(BATCH_SWEEP) if sweep_once else [DEFAULT_BATCH], "hardware": profile,
                   "assumed": ([] if models else [f"model not named: {model}"])
                   + [f"cache size not named: a quarter of the {experts} experts per layer"]
                   + ([] if hardware else [f"hardware not named: {profile}"])}
            out.append(_facet("comparison", f"{subject} vs {base} on {model}", [subject, base],
                              [LITERATURE, EXPERIMENT], experiment=exp))
            sweep_once = False
    return out[:MAX_COMPARISONS]


def frame(state: RunState, runtime: Runtime[StageContext]) -> dict[str, Any]:
    ctx = runtime.context
    run_id = state["run_id"]
    facets = frame_question(state["question"])

    def write(s: Session) -> None:
        crud.replace_facets(s, run_id=run_id, facets=[Facet(run_id=run_id, ordinal=i, **f)
                                                      for i, f in enumerate(facets)])

    transact(ctx.engine, write)
    ctx.progress("frame", f"{len(facets)} facets: " + "; ".join(f"{f['kind']} {f['text']}" for f in facets))
    return {}
