"""Alias tables: every way papers write a system, model, hardware, dataset or metric,
mapped to one canonical name.

The canonical names are the vocabulary the rest of SOVEREIGN speaks (the empirical
checks map them to runtime policies and presets), so ``canonical_*`` are public.
Patterns are case-insensitive regexes; they are tried longest-match-first so that
"Mixtral-8x22B" is never read as "Mixtral-8x7B".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# "8x7B" is also written 8×7B, 8*7B, 8 x 7B.
_X = r"\s?[x×*]\s?"

SYSTEMS: dict[str, list[str]] = {
    "ExpertFlow": [r"expert\s?flow"],
    "Cache-MoE": [r"cache[- ]?moe", r"per[- ]layer\s+lru(?:\s+(?:expert\s+)?cach(?:e|ing))?",
                  r"lru(?:\s+(?:expert\s+)?cach(?:e|ing))?(?:\s+baseline)?"],
    "SE-MoE": [r"se[- ]moe"],
    "Pre-gated MoE": [r"pre[- ]?gated[- ]moe", r"pre[- ]?gat(?:ed|ing)"],
    "MoE-Infinity": [r"moe[- ]infinity"],
    "mixtral-offloading": [r"mixtral[- ]offloading", r"eliseev\s+(?:and|&)\s+mazur",
                           r"speculative\s+expert\s+(?:loading|prefetching)"],
    "DeepSpeed-MoE": [r"deepspeed[- ]moe"],
    "DeepSpeed-Inference": [r"deepspeed[- ]inference", r"zero[- ]inference"],
    # The library itself; "DeepSpeed-<Name>" is another system and is left to the caller.
    "DeepSpeed": [r"deepspeed(?!-\w)"],
    "GShard": [r"gshard(?![- ]\d)"],
    "Ollama": [r"ollama"],
    "BrainStorm": [r"brainstorm"],
    "MC-SMoE": [r"mc-smoe"],
    "DAOP": [r"daop"],
    "MELINOE": [r"melinoe"],
    "FastMoE": [r"fastmoe"],
    "Tutel": [r"tutel"],
    "EdgeMoE": [r"edge[- ]?moe"],
    "SiDA-MoE": [r"sida(?:[- ]moe)?"],
    "Fiddler": [r"fiddler"],
    "MoE-Lightning": [r"moe[- ]lightning"],
    "ProMoE": [r"promoe"],
    "HOBBIT": [r"hobbit"],
    "AdapMoE": [r"adapmoe"],
    "Lina": [r"lina"],
    "FlexGen": [r"flexgen"],
    "Accelerate": [r"(?:hugging\s?face\s+)?accelerate(?=\s+(?:offload|library|baseline))"],
    "vLLM": [r"vllm"],
    "llama.cpp": [r"llama\.cpp"],
    "on-demand loading": [r"on[- ]demand\s+(?:expert\s+)?(?:loading|fetching)"],
}

MODELS: dict[str, list[str]] = {
    "Mixtral-8x22B": [rf"mixtral[- ]?8{_X}22b"],
    "Mixtral-8x7B": [rf"mixtral[- ]?8{_X}7b(?:[- ]instruct)?", r"mixtral[- ]8(?![\dx×*])",
                     r"mixtral(?![- ]offloading)"],
    "Qwen1.5-MoE-A2.7B": [r"qwen\s?1\.5[- ]moe(?:[- ]a2\.7b)?", r"qwen[- ]moe(?:[- ]a2\.7b)?"],
    "Qwen3-30B-A3B": [r"qwen\s?3[- ](?:moe|30b[- ]a3b)"],
    # Sized family names ("DeepSeekMoE 2B", "GShard 2.9B", "LLaMA2 7B") resolve by _sized_name.
    "DeepSeekMoE-<size>": [r"deepseek[- ]?moe[- ]\d+(?:\.\d+)?b"],
    "GShard-<size>": [r"gshard[- ]\d+(?:\.\d+)?b"],
    "LLaMA2-<size>": [r"llama\s?-?2[- ]\d+b(?:[- ]chat)?"],
    "DeepSeek-<size>": [r"deepseek[- ]\d+b"],
    "DeepSeek-MoE-16B": [r"deepseek[- ]?moe(?:[- ]16b)?"],
    "DeepSeek-V2": [r"deepseek[- ]v2(?:[- ]lite)?"],
    "DeepSeek-V3": [r"deepseek[- ]v3"],
    "OLMoE-1B-7B": [r"olmoe(?:[- ]1b[- ]7b)?"],
    "Phi-3.5-MoE": [r"phi[- ]3\.5[- ]moe"],
    "NLLB-MoE": [r"nllb[- ]moe"],
    "DBRX": [r"dbrx"],
    "Grok-1": [r"grok[- ]1"],
    # Switch Transformers: Switch-32, switch-base-32, Switch-Base-128 ... resolved by _switch_name.
    "Switch-Base": [r"switch[- ](?:base[- ])?(?:8|16|32|64|128|256)\b", r"switch[- ]c(?:[- ]2048)?"],
    "Switch Transformer": [r"switch\s+transformers?"],
    "T5-XXL": [r"t5[- ]xxl"], "T5-Large": [r"t5[- ]large"], "T5-Base": [r"t5[- ]base"],
}

HARDWARE: dict[str, list[str]] = {
    "A40": [r"(?:nvidia\s+)?a40"],
    "A100": [r"(?:nvidia\s+)?a100(?:[- ](?:40|80)\s?gb)?"],
    "H100": [r"(?:nvidia\s+)?h100"],
    "H200": [r"(?:nvidia\s+)?h200"],
    "V100": [r"(?:nvidia\s+)?v100"],
    "T4": [r"(?:nvidia\s+|tesla\s+|colab\s+)?t4", r"free(?:-tier)?\s+(?:google\s+)?colab"],
    "L4": [r"(?:nvidia\s+)?l4(?!\d)"],
    "A6000": [r"(?:rtx\s+)?a6000"],
    "RTX 3060": [r"rtx\s?3060"],
    "RTX 3080": [r"rtx\s?3080(?:\s+mobile)?"],
    "RTX 3090": [r"rtx\s?3090"],
    "RTX 4090": [r"rtx\s?4090"],
    "Jetson Orin": [r"jetson(?:\s+agx)?\s+orin"],
    "TPU": [r"tpu(?:\s?v\d)?"],
}

DATASETS: dict[str, list[str]] = {
    "ShareGPT": [r"sharegpt"], "Alpaca": [r"alpaca"], "MMLU": [r"mmlu"], "GSM8K": [r"gsm8k"],
    "WikiText": [r"wikitext(?:-\d+)?"], "C4": [r"c4", r"colossal\s+clean\s+crawled\s+corpus"],
    "WMT": [r"wmt(?:\s?'?\d+)?"],
    "SQuAD": [r"squad"], "XSum": [r"xsum"], "CNN/DailyMail": [r"cnn\s?/\s?daily\s?mail"],
    "LMSYS-Chat-1M": [r"lmsys[- ]chat(?:-1m)?"], "SST-2": [r"sst-?2"], "BIG-bench": [r"big[- ]bench"],
}

METRICS: dict[str, list[str]] = {
    "hit rate": [r"(?:cache\s+|expert\s+)?hit\s+(?:rate|ratio)s?", r"cache\s+hits?"],
    "miss rate": [r"miss\s+(?:rate|ratio)s?"],
    "memory": [r"(?:gpu\s+|device\s+|peak\s+)?memory(?:\s+(?:usage|footprint|consumption))?", r"footprint"],
    "latency": [r"latency", r"time\s+to\s+first\s+token", r"ttft", r"time\s+per\s+(?:output\s+)?token"],
    "throughput": [r"throughput", r"tokens?\s*(?:/|per)\s*s(?:ec(?:ond)?)?", r"inference\s+speed",
                   r"generation\s+speed"],
    "speedup": [r"speed[- ]?ups?", r"faster", r"accelerat(?:es|ion)"],
    "prediction accuracy": [r"prediction\s+accuracy", r"(?:predictor|routing)\s+accuracy"],
    "accuracy": [r"accuracy"],
    "perplexity": [r"perplexity"],
    "expert utilization": [r"expert\s+utili[sz]ation(?:\s+rate)?"],
    "parameter share": [r"(?:share|fraction|proportion)\s+of\s+(?:the\s+)?(?:model\s+)?parameters",
                        r"of\s+(?:all\s+|the\s+|its\s+)?(?:model(?:'s)?\s+)?parameters"],
    "communication": [r"communication(?:\s+(?:volume|cost|time|overhead))?"],
    "model size": [r"model\s+sizes?"],
    "cost": [r"cheaper", r"(?:training|inference|serving|monetary)\s+costs?(?:\s+sav(?:ing|ings))?"],
    "computation": [r"flops", r"of\s+(?:the\s+)?computations?"],
    "compression": [r"compression(?:\s+ratio)?(?=\s+(?:of|ratio)|\s*[,)])"],
    "runtime overhead": [r"runtime\s+overheads?"],
    "activated experts": [r"number\s+of\s+(?:activated|active)\s+experts"],
    "stall time": [r"stall\s+time"],
    "GPU utilization": [r"gpu\s+utili[sz]ation"],
    "performance": [r"performance\s+(?:drop|degradation|loss|retention)", r"of\s+(?:the\s+|its\s+)?performance",
                    r"retention"],
    "similarity": [r"similarity"],
    "effect size": [r"cohen'?s\s+d", r"effect\s+sizes?"],
    "bits per parameter": [r"bits?\s+per\s+(?:parameter|weight)"],
    "bandwidth": [r"bandwidth"],
    "energy": [r"energy"],
}

# Metrics a number of the same size can be compared across (a 2x speed-up is a 2x throughput gain).
METRIC_FAMILY = {"speedup": "speed", "throughput": "speed", "latency": "speed"}

ENTITY_TABLES: dict[str, dict[str, list[str]]] = {
    "system": SYSTEMS, "model": MODELS, "hardware": HARDWARE, "dataset": DATASETS, "metric": METRICS,
}


@dataclass(frozen=True)
class Mention:
    """One entity mention: ``kind`` is a key of ENTITY_TABLES, ``name`` canonical."""

    kind: str
    name: str
    start: int
    end: int


def _sized_name(family: str, surface: str) -> str:
    """'DeepSeekMoE 2B' -> 'DeepSeekMoE-2B' (16B is the released DeepSeek-MoE-16B)."""
    size = re.search(r"(\d+(?:\.\d+)?)\s?b", surface, re.IGNORECASE).group(1)
    if family == "DeepSeekMoE" and size == "16":
        return "DeepSeek-MoE-16B"
    return f"{family}-{size}B"


def _switch_name(surface: str) -> str:
    digits = re.search(r"(\d+)", surface)
    if "c" in surface.lower().replace("switch", "").replace("base", "") and not digits:
        return "Switch-C-2048"
    return f"Switch-Base-{digits.group(1)}" if digits else "Switch Transformer"


@lru_cache(maxsize=1)
def _compiled() -> tuple[re.Pattern[str], list[tuple[str, str]]]:
    """One alternation of every pattern (table order: specific names first) and the
    (kind, canonical name) of each alternative's group."""
    names: list[tuple[str, str]] = []
    parts: list[str] = []
    for kind, table in ENTITY_TABLES.items():
        for name, patterns in table.items():
            for pat in patterns:
                parts.append(f"(?P<g{len(names)}>{pat})")
                names.append((kind, name))
    alternation = "|".join(parts)
    return re.compile(rf"(?<![\w-])(?:{alternation})(?![\w])", re.IGNORECASE), names


def _slash_list(text: str, pos: int) -> list[tuple[str, int, int]]:
    """Numbers continuing a name as "/64/128" right at ``pos``: (digits, start, end) each."""
    out = []
    while True:
        m = re.match(r"/(\d+)\b", text[pos:])
        if not m:
            return out
        out.append((m.group(1), pos, pos + m.end()))
        pos += m.end()


def find_mentions(text: str) -> list[Mention]:
    """All non-overlapping entity mentions in ``text``, ordered by position (longest wins)."""
    pattern, names = _compiled()
    found: list[Mention] = []
    for m in pattern.finditer(text):
        kind, name = names[int(m.lastgroup[1:])]
        if name == "Switch-Base":
            canon = _switch_name(m.group(0))
        elif name.endswith("-<size>"):
            canon = _sized_name(name[:-len("-<size>")], m.group(0))
        else:
            canon = name
        found.append(Mention(kind, canon, m.start(), m.end()))
    # "Switch-32/64/128" names three models.
    for mn in list(found):
        if mn.name.startswith("Switch-Base-"):
            for extra in _slash_list(text, mn.end):
                found.append(Mention("model", f"Switch-Base-{extra[0]}", extra[1], extra[2]))
    found.sort(key=lambda mn: (mn.start, -(mn.end - mn.start)))
    kept: list[Mention] = []
    for mn in found:
        if kept and mn.start < kept[-1].end:
            continue
        kept.append(mn)
    return kept


def _canonical(kind: str, name: str) -> str | None:
    """Canonical name of ``name`` for ``kind``, or None when it is not in the table."""
    if not name or not name.strip():
        return None
    name = name.strip()
    for mn in find_mentions(name):
        if mn.kind == kind and mn.end - mn.start >= len(name) - 2:
            return mn.name
    table = ENTITY_TABLES[kind]
    for canon in table:
        if canon.lower() == name.lower():
            return canon
    return None


def canonical_system(name: str) -> str | None:
    """'cache-moe', 'per-layer LRU cache' -> 'Cache-MoE'; unknown names -> None."""
    return _canonical("system", name)


def canonical_model(name: str) -> str | None:
    """'Mixtral-8×7B', 'Mixtral-8' -> 'Mixtral-8x7B'; 'switch-base-128' -> 'Switch-Base-128'."""
    return _canonical("model", name)


def canonical_hardware(name: str) -> str | None:
    return _canonical("hardware", name)


def canonical_dataset(name: str) -> str | None:
    return _canonical("dataset", name)


def canonical_metric(name: str) -> str | None:
    return _canonical("metric", name)


def metrics_compatible(a: str | None, b: str | None) -> bool:
    """True when a number about metric ``a`` may be compared with one about ``b``."""
    if a is None or b is None or a == b:
        return True
    return METRIC_FAMILY.get(a, a) == METRIC_FAMILY.get(b, b)
