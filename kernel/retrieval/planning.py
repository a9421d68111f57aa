"""The deterministic planner: a question -> search queries and key terms.

No model involved, so a plan is reproducible and explainable in the report's methodology:
1. names (tokens with inner capitals or digits: ExpertFlow, MoE, LRU, Mixtral-8x7B, SE-MoE),
2. key phrases (runs of content words between stopwords and punctuation),
3. domain vocabulary of MoE inference: what an abbreviation stands for, what a concept is also
   called, and which systems a named system is usually compared with (its baselines).
Queries, most specific first: the key phrases; the names with the topic; the topic in the
field's vocabulary; the compared-with side (baselines, the other half of a comparison).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kernel.retrieval.index import terms

# Concept -> what else it is called in MoE-inference papers (matched on lower-cased words).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "moe": ("mixture of experts",),
    "mixture of experts": ("MoE",),
    "expert caching": ("expert offloading", "expert cache"),
    "expert cache": ("expert offloading",),
    "caching": ("expert offloading",),
    "offloading": ("expert offloading", "CPU GPU memory"),
    "prefetching": ("expert prefetching",),
    "predictive": ("expert prediction", "routing prediction"),
    "routing": ("gating network", "router"),
    "token scheduling": ("batching",),
    "serving": ("inference",),
    "throughput": ("tokens per second",),
    "latency": ("time per output token",),
    "sparse": ("sparsely activated",),
    "quantization": ("compression",),
}

# Systems and models of the field (lower-cased name -> (display name, usual baselines/peers)).
SYSTEMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "expertflow": ("ExpertFlow", ("Pre-gated MoE", "SE-MoE", "MoE-Infinity")),
    # The LRU expert cache of MoE inference is mixtral-offloading's (Eliseev & Mazur, 2023):
    # Mixtral-8x7B on consumer hardware, an LRU cache of experts plus speculative loading.
    "lru": ("LRU", ("Mixtral-8x7B offloading consumer hardware",)),
    "pre-gated moe": ("Pre-gated MoE", ("SE-MoE", "MoE offloading")),
    "se-moe": ("SE-MoE", ("DeepSpeed-MoE",)),
    "mixtral-offloading": ("Mixtral offloading", ("LRU expert cache", "speculative expert loading")),
    "moe-infinity": ("MoE-Infinity", ("expert prefetching", "Mixtral offloading")),
    "edgemoe": ("EdgeMoE", ("on-device MoE inference",)),
    "fiddler": ("Fiddler", ("CPU GPU orchestration MoE", "MoE offloading")),
    "promoe": ("ProMoE", ("proactive caching MoE",)),
    "hobbit": ("HOBBIT", ("mixed precision expert offloading",)),
    "adapmoe": ("AdapMoE", ("adaptive expert gating",)),
    "moe-lightning": ("MoE-Lightning", ("high-throughput MoE inference",)),
    "deepspeed-moe": ("DeepSpeed-MoE", ("MoE inference system",)),
    "mixtral": ("Mixtral", ("Mixtral of Experts",)),
    "switch transformer": ("Switch Transformer", ("sparse expert models",)),
    "deepseekmoe": ("DeepSeekMoE", ("expert specialization",)),
    "olmoe": ("OLMoE", ("open mixture of experts",)),
    "gshard": ("GShard", ("conditional computation",)),
}

# Words that say what the asker wants, not what the papers are about.
_GENERIC = frozenset("report reported reports paper papers claim claims show shows really".split())
# Display names of the systems above: a paper whose title names one is that system's paper.
SYSTEM_NAMES = frozenset(name for name, _ in SYSTEMS.values() if name != "LRU")


def system_names(key_terms: list[str]) -> list[str]:
    """The key terms that name a known system (used by the reranker's title-name feature)."""
    return [t for t in key_terms if t in SYSTEM_NAMES]


_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*")
_SPLIT_RE = re.compile(r"[^\w\-]+")


@dataclass
class Plan:
    queries: list[str]
    key_terms: list[str] = field(default_factory=list)


def _names(question: str) -> list[str]:
    """Tokens that look like names: an inner capital or a digit (ExpertFlow, MoE, 8x7B)."""
    out: list[str] = []
    for tok in _NAME_RE.findall(question.replace("'s ", " ")):
        inner = tok[1:]
        if any(c.isupper() for c in inner) or (any(c.isdigit() for c in tok) and len(tok) > 2):
            if tok not in out:
                out.append(tok)
    return out


def _phrases(question: str) -> list[str]:
    """Runs of content words, e.g. "predictive expert caching", "LRU expert caches"."""
    phrases: list[str] = []
    run: list[str] = []
    for tok in _SPLIT_RE.split(question.replace("'s ", " ")) + [""]:
        if tok and terms(tok) and tok.lower() not in _GENERIC:
            run.append(tok)
            continue
        if run:
            phrase = " ".join(run)
            if phrase not in phrases:
                phrases.append(phrase)
            run = []
    return phrases


def _vocabulary(text_lower: str) -> tuple[list[str], list[str], list[str]]:
    """(system display names, their baselines, synonyms) found in `text_lower`."""
    systems, baselines, synonyms = [], [], []
    for key, (name, peers) in SYSTEMS.items():
        if re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", text_lower):
            systems.append(name)
            baselines.extend(p for p in peers if p not in baselines)
    for key, alts in SYNONYMS.items():
        if re.search(rf"(?<![\w-]){re.escape(key)}s?(?![\w-])", text_lower):
            synonyms.extend(a for a in alts if a not in synonyms)
    return systems, baselines, synonyms


def unique_terms(items: list[str]) -> list[str]:
    """`items` without repeats, in order; two items repeat when their search terms are the same."""
    seen: set[str] = set()
    out = []
    for item in items:
        key = " ".join(terms(item))
        if key and key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _cap(words: list[str], limit: int = 8) -> str:
    """Join phrases, keeping at most `limit` words (arXiv ANDs the words of a query)."""
    out: list[str] = []
    for phrase in words:
        toks = phrase.split()
        if out and len(out) + len(toks) > limit:
            break
        out.extend(toks)
    return " ".join(out[:limit])


def plan_queries(question: str, n: int = 4) -> Plan:
    """`n` queries (1 <= n) and the key terms of `question`; the same input gives the same plan."""
    names = _names(question)
    phrases = [p for p in _phrases(question) if p.lower() not in _GENERIC]
    systems, baselines, synonyms = _vocabulary(question.lower())
    name_set = {x.lower() for x in names}
    # The topic: the question's phrases with the names taken out ("predictive expert caching").
    topic = unique_terms(
        [" ".join(w for w in p.split() if w.lower() not in name_set) for p in phrases]
    )
    candidates = [
        _cap(phrases, 10),
        _cap(unique_terms(systems + names) + topic[:1]),
        _cap(unique_terms(synonyms[:3] + topic[:1])),
        _cap(unique_terms(baselines)),
    ]
    candidates += phrases + [f"{s} {t}" for s in systems for t in topic]
    queries = unique_terms([q for q in candidates if q.strip()])[:n]
    if not queries:
        queries = [question.strip()]
    key_terms = unique_terms(systems + names + phrases + synonyms + baselines)
    return Plan(queries=queries, key_terms=key_terms)


def with_facets(plan: Plan, facets: list[tuple[str, str]]) -> Plan:
    """The plan made to cover the question's facets ((kind, name) pairs from the frame stage):
    every named facet becomes a key term, and when no query names a system, model or dataset
    facet, the last query is given over to them (the Answer needs papers on each)."""
    named = [name for kind, name in facets if kind in ("system", "baseline", "model", "dataset", "topic")]
    key_terms = unique_terms(plan.key_terms + [name for kind, name in facets if kind != "comparison"])
    queries = list(plan.queries)
    missing = [n for n in named if not any(n.lower() in q.lower() for q in queries)]
    if missing and queries:
        queries[-1] = _cap(missing + ["MoE inference"] if len(missing) < 3 else missing)
    return Plan(queries=unique_terms(queries), key_terms=key_terms)
