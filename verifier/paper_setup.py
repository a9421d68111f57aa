"""A paper's evaluation setup, read from its own text.

What a claim leaves out (GPU, host link, model, cache size, batch size) is what the paper's
evaluation section states once for all its results: "We evaluate on one NVIDIA A100 over PCIe
4.0 x16 ... the expert cache holds 16 experts per layer ... batch size 8". `read_setup` reads
those facts from the passages of the evaluation (and implementation, results) sections, each
with the passage and span it came from, so a plan built on them can point at the sentence.
The first statement of a field wins, evaluation before implementation before results; a
table's cells are not read here (a setting column is a row's setting, not the paper's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from verifier.aliases import find_mentions
from verifier.numbers import find_settings
from verifier.sentences import split_sentences

# Section kinds read, in the order their statements are preferred.
SETUP_SECTIONS = ("evaluation", "implementation", "results")
# Sections where a paper says which system it presents ("we present ExpertFlow").
OWN_SYSTEM_SECTIONS = ("abstract", "introduction", "front")
_INTERCONNECT = re.compile(
    r"\bPCI[- ]?e(?:xpress)?\s*(?:Gen\s*)?(?P<gen>\d(?:\.\d)?)?(?:\s*[x×]\s?\d+)?|\bNVLink(?:\s*\d(?:\.\d)?)?|"
    r"\bInfiniBand\b|\bNVSwitch\b", re.I)
_SEQ_LEN = re.compile(
    r"(?P<out>\d[\d,]*)\s+(?:generated|output|new|decod\w+)\s+tokens|"
    r"(?P<inp>\d[\d,]*)[- ](?:token\s+)?(?:input|prompts?)|"
    r"(?P<kind>input|output|prompt|sequence|context)\s+(?:sequence\s+)?lengths?\s+(?:of\s+|is\s+|=\s*)?(?P<n>\d[\d,]*)",
    re.I)
_GPU_COUNT = re.compile(r"\b(?P<n>one|two|four|eight|single|\d+)\s*(?:×|x)?\s*(?:NVIDIA\s+)?(?:GeForce\s+)?$", re.I)
_COUNTS = {"one": 1, "single": 1, "two": 2, "four": 4, "eight": 8}
_NOT_OWN = re.compile(r"\b(?:over|than|compared|versus|vs|against|baselines?|study|studies|analysis|analy[sz]e|"
                      r"evaluation|survey|benchmark\w*|extend\w*|improv\w*|beat\w*|outperform\w*|surpass\w*|faster|better|"
                      r"that|which|of|like|unlike)\b|[.;]", re.I)
_PRESENTS = re.compile(r"\b(?:we|this\s+(?:paper|work))\s+(?:\w+\s+){0,2}?(?:propos|present|introduc|design|build)\w*",
                       re.I)


@dataclass(frozen=True)
class SetupSource:
    """A passage the setup may be read from."""

    passage_id: int | str
    section_kind: str | None
    text: str


def _entry(value: Any, src: SetupSource, span: tuple[int, int]) -> dict[str, Any]:
    s, e = span
    return {"value": value, "passage_id": src.passage_id, "start": s, "end": e, "quote": src.text[s:e]}


def _interconnect(match: re.Match) -> str:
    text = match.group(0)
    if text.lower().startswith("pci"):
        gen = match["gen"]
        return f"PCIe {gen if not gen or '.' in gen else gen + '.0'}".strip() if gen else "PCIe"
    return " ".join(text.split())


def _sentence_fields(sentence: str) -> dict[str, Any]:
    """The setup facts one sentence states."""
    out: dict[str, Any] = {}
    mentions = find_mentions(sentence)
    for m in mentions:
        if m.kind == "hardware" and "hardware" not in out:
            out["hardware"] = m.name
            count = _GPU_COUNT.search(sentence[max(0, m.start - 24):m.start])
            if count:
                n = count["n"].lower()
                out["gpu_count"] = _COUNTS.get(n) or int(n)
        elif m.kind in ("model", "dataset"):
            out.setdefault(m.kind + "s", [])
            if m.name not in out[m.kind + "s"]:
                out[m.kind + "s"].append(m.name)
    if (ic := _INTERCONNECT.search(sentence)) is not None:
        out["interconnect"] = _interconnect(ic)
    for s in find_settings(sentence):
        if s.key in ("cache_size", "batch_size") and s.key not in out and s.value >= 1:
            out[s.key] = int(s.value)
    for m in _SEQ_LEN.finditer(sentence):
        if m["out"]:
            out.setdefault("output_tokens", int(m["out"].replace(",", "")))
        elif m["inp"]:
            out.setdefault("input_tokens", int(m["inp"].replace(",", "")))
        else:
            key = "output_tokens" if m["kind"].lower() == "output" else "input_tokens"
            out.setdefault(key, int(m["n"].replace(",", "")))
    return out


def read_setup(passages: list[SetupSource]) -> dict[str, dict[str, Any]]:
    """Setup fields the paper states, each ``{"value", "passage_id", "start", "end", "quote"}``
    (span within its passage). Keys: hardware, gpu_count, interconnect, models, datasets,
    cache_size, batch_size, input_tokens, output_tokens, system. Empty when nothing is stated."""
    rank = {k: i for i, k in enumerate(SETUP_SECTIONS)}
    ordered = sorted((p for p in passages if p.section_kind in rank), key=lambda p: rank[p.section_kind])
    fields: dict[str, dict[str, Any]] = {}
    for src in ordered:
        for s, e in split_sentences(src.text):
            for key, value in _sentence_fields(src.text[s:e]).items():
                if key in ("models", "datasets") and key in fields:
                    fields[key]["value"] += [v for v in value if v not in fields[key]["value"]]
                elif key not in fields:
                    fields[key] = _entry(value, src, (s, e))
    own = own_system([p for p in passages if p.section_kind in OWN_SYSTEM_SECTIONS])
    if own is not None:
        fields["system"] = own
    return fields


def own_system(passages: list[SetupSource]) -> dict[str, Any] | None:
    """The system the paper presents ("we present ExpertFlow, ..."), when the alias tables
    know it: the paper's own system, for a result sentence that names none."""
    for src in passages:
        for m in _PRESENTS.finditer(src.text):
            window = src.text[m.end():m.end() + 80]
            named = [mn for mn in find_mentions(window) if mn.kind == "system"]
            # "we present a study of Cache-MoE", "we propose X, faster than Y": not its own
            if named and not _NOT_OWN.search(window[:named[0].start]):
                return _entry(named[0].name, src, (m.start(), m.end() + named[0].end))
    return None


def describe(fields: dict[str, dict[str, Any]]) -> str:
    """A short line of what the setup states: "H100 ×1, PCIe 5.0, Mixtral-8x7B, cache 16, batch 8"."""
    v = {k: f["value"] for k, f in fields.items()}
    parts = []
    if "hardware" in v:
        parts.append(v["hardware"] + (f" ×{v['gpu_count']}" if v.get("gpu_count", 1) != 1 else ""))
    parts += [v["interconnect"]] if "interconnect" in v else []
    parts += [", ".join(v["models"])] if v.get("models") else []
    parts += [f"cache {v['cache_size']}"] if "cache_size" in v else []
    parts += [f"batch {v['batch_size']}"] if "batch_size" in v else []
    parts += [f"{v['output_tokens']} output tokens"] if "output_tokens" in v else []
    parts += [", ".join(v["datasets"])] if v.get("datasets") else []
    return ", ".join(parts)
