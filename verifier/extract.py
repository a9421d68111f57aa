"""Claim extraction: sentences -> facts (a number with the names bound to it) -> claims.

A *fact* is one quantity of a sentence with the system, baseline, model, hardware,
dataset and metric that the sentence attaches to it. Binding rule, per field: a name in
the same clause as the number; else the nearest name not sitting in another number's
clause; else the only name of that kind in the sentence. "a, b and c ... on X, Y and Z
respectively" pairs the i-th number with the i-th name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from verifier.aliases import Mention, canonical_model, find_mentions
from verifier.numbers import RESULT_UNITS, Quantity, find_quantities, find_settings
from verifier.sentences import ensure_text, split_sentences
from verifier.tables import parse as parse_table
from verifier.tables import table_claims
from verifier.types import ExtractedClaim

FIELDS = ("system", "baseline", "model", "hardware", "dataset", "metric")
_CUE_WORDS = (r"over|than|vs\.?|versus|compared\s+(?:to|with)|relative\s+to|against|outperform(?:s|ed|ing)?|"
              r"beat(?:s|ing)?|unlike|surpass(?:es|ing)?|comparable\s+(?:performance\s+)?(?:with|to)")
_BASELINE_CUE = re.compile(
    rf"(?:{_CUE_WORDS}|baselines?)\s+(?:the\s+|a\s+|an\s+|both\s+)?(?:[\w-]+\s+)?$",
    re.IGNORECASE,
)
# "over numerous state-of-the-art systems, including vLLM, ...": the named examples are baselines.
_BASELINE_EXAMPLES = re.compile(
    rf"\b(?:{_CUE_WORDS})\s+[^.;()\d]{{0,60}}?(?:including|such\s+as|e\.g\.,?|like)\s+$", re.IGNORECASE)
_LIST_JOIN = re.compile(r"^\s*(?:,\s*(?:and\s+|or\s+)?|and\s+|or\s+)$", re.IGNORECASE)
# A metric named as what was kept, not what was measured: "while maintaining accuracy".
_CONDITION_BEFORE = re.compile(
    r"(?:maintain\w*|preserv\w*|retain\w*|keep\w*|without|no\s+(?:loss|drop|degradation)\s+(?:in|of))\s+"
    r"(?:the\s+|its\s+|model\s+|same\s+|level\s+of\s+)*$", re.IGNORECASE)
# ... or named as what was (barely) given up: "at only minor accuracy loss", "with negligible accuracy drop".
_CONDITION_AFTER = re.compile(
    r"^\s*(?:loss|drop|degradation|penalty|impact|cost|decrease)\b", re.IGNORECASE)
_CONDITION_COST_BEFORE = re.compile(
    r"\b(?:at|with)\s+(?:only\s+|a\s+|an\s+|no\s+|little\s+|any\s+)*(?:minor|small|slight|negligible|marginal|"
    r"minimal|modest|little|no)?\s*$", re.IGNORECASE)
# "4x NVIDIA A6000", "8x 3090 GPUs": a number of devices, not a ratio.
_DEVICE_AFTER = re.compile(r"\s*(?:nvidia|geforce|rtx|tesla|amd|intel)\b|\s*(?:\d+\s*)?(?:gpus?|cpus?|nodes?)\b",
                           re.IGNORECASE)
_PER_PARAMETER_AFTER = re.compile(r"\s*per\s+(?:parameter|weight)", re.IGNORECASE)
_ACTIVE_AFTER = re.compile(r"\s*(?:\(\w+\)\s*)?(?:active|activated)\b|\s*per\s+(?:input\s+)?token", re.IGNORECASE)
# A name the tables do not know, used as a system: "DAOP outperforms", "we present PreScope".
_NAME = r"(?:[A-Z][A-Za-z0-9]*|[a-z]+[A-Z][A-Za-z0-9]*)(?:-[A-Za-z0-9]+)*"
_COINED_SUBJECT = re.compile(
    rf"\b(?P<name>{_NAME})\s+(?:(?:can|also|further|consistently|successfully|significantly)\s+)*"
    r"(?:achiev|attain|reduc|improv|increas|outperform|deliver|provid|offer|preserv|speed|accelerat|enabl|"
    r"reach|yield|obtain|surpass|cut|lower|boost|decreas)\w*")
_COINED_INTRO = re.compile(r"\b(?:present|propose|introduce|call(?:ed)?|named?)\s+(?:a\s+|an\s+|the\s+)?"
                           rf"(?P<name>{_NAME})\b|\((?P<paren>{_NAME})\)")
_PRESENTS = re.compile(r"\b(?:present|propose|introduce)", re.IGNORECASE)
_APPOSITION = re.compile(r"\s*[,(:]")
_DEVICE_SPEC_BEFORE = re.compile(r"\b(?:gpus?|[A-Z]+\d+\w*)\s*\($")  # "T4 GPU (16GB)"
_SCALED_TO = re.compile(r"\s+to\s+(\d+(?:\.\d+)?)\s?B\s+param")  # "scale up DeepSeekMoE to 145B parameters"
_NOT_NAMES = {"GPU", "GPUs", "CPU", "CPUs", "LLM", "LLMs", "MoE", "MoEs", "SMoE", "MLP", "PCIe", "VRAM", "TPOT", "TTFT",
              "API", "NLP", "VLM", "VLMs", "EP", "KV", "HBM", "SOTA", "SSD", "DRAM", "FLOPs", "IO", "RAM", "AI", "ML",
              "CPU-GPU", "GPU-CPU", "I/O", "SMoEs", "LLaMA", "BERT", "ViT", "EHR", "MAP", "NDCG"}
_CLAUSE_DELIM = re.compile(r";|,(?!\d)|\b(?:while|whereas|but|and)\b|\(|\)", re.IGNORECASE)
_HIGHER = re.compile(r"\b(?:higher|increas\w*|improv\w*|faster|speed[- ]?ups?|more|rais\w*|boost\w*|gains?|"
                     r"outperform\w*|better|accelerat\w*)\b", re.IGNORECASE)
_LOWER = re.compile(r"\b(?:lower|reduc\w*|decreas\w*|less|fewer|cut\w*|sav\w*|drops?|shrink\w*|slower|"
                    r"down|smaller|declin\w*)\b", re.IGNORECASE)
_COMPARISON = re.compile(r"\b(?:outperform\w*|than|compared\s+(?:to|with)|over|versus|vs\.?|surpass\w*|"
                         r"beats?)\b", re.IGNORECASE)
_METHOD = re.compile(r"\b(?:propos\w*|introduc\w*|us(?:es|ing)|employ\w*|predict\w*|prefetch\w*|cach\w*|"
                     r"schedul\w*|design\w*|exploit\w*|leverag\w*|relies|offload\w*|applies|appl(?:y|ying)|"
                     r"keeps?|loads?|maintain\w*|combin\w*|quantiz\w*|select\w*|trac\w*|rout\w*|evict\w*|group\w*|fetch\w*|"
                     r"supports?|splits?|organi[sz]\w*)\b", re.IGNORECASE)
_SETUP = re.compile(r"\b(?:evaluat\w*|experiment\w*|run(?:s|ning)?|ran|test\w*|benchmark\w*|measur\w*|"
                    r"deploy\w*|on\s+(?:a|an|one|two|four|eight|\d+)\b|GPU|hardware|dataset|trained)\b",
                    re.IGNORECASE)
_SKIP_SECTIONS = re.compile(r"reference|bibliograph|acknowledg", re.IGNORECASE)
_RELATED = re.compile(r"related\s+work|prior\s+work|previous\s+work", re.IGNORECASE)
_UNIT_METRIC = {"tokens/s": "throughput", "ms": "latency", "s": "latency", "GB": "memory", "MB": "memory",
                "TB": "memory", "×": "speedup", "GB/s": "bandwidth"}
_ANAPHORA = re.compile(r"\s*(?:it|this|our\s+(?:system|method|design|approach)|the\s+(?:system|method))\b",
                       re.IGNORECASE)


@dataclass
class Fact:
    """One number of a sentence and the names bound to it (``fields`` keys are FIELDS)."""

    quantity: Quantity | None
    fields: dict[str, str] = field(default_factory=dict)
    setting: dict[str, float | str] = field(default_factory=dict)
    direction: str | None = None


def _roles(sentence: str, mentions: list[Mention]) -> list[tuple[str, Mention]]:
    """(field, mention) pairs. A system or model right after "over/than/vs/comparable with...",
    or named as an example of what was compared against ("over systems including vLLM and
    Ollama"), is the baseline; a list continues the role of its first item."""
    out: list[tuple[str, Mention]] = []
    for mn in mentions:
        kind = mn.kind
        if kind in ("system", "model"):
            before = sentence[max(0, mn.start - 40):mn.start]
            wide = sentence[max(0, mn.start - 90):mn.start]
            after = sentence[mn.end:mn.end + 12].lower()
            prev = out[-1] if out else None
            if (_BASELINE_CUE.search(before) or _BASELINE_EXAMPLES.search(wide)
                    or (kind == "system" and after.lstrip().startswith("baseline"))):
                kind = "baseline"
            elif prev and prev[0] == "baseline" and prev[1].kind == mn.kind and _LIST_JOIN.match(
                    sentence[prev[1].end:mn.start]):
                kind = "baseline"
        out.append((kind, mn))
    return out


def coined_systems(text: str) -> list[str]:
    """Names of systems the alias tables do not know, read from how ``text`` uses them
    ("we present SwiftExpert, an engine ...", "DAOP outperforms ...")."""
    return [m.name for m in _coined_systems(text, list(_mentions(text)))]


def is_coined_name(name: str) -> bool:
    """Whether ``name`` on its own reads as a coined system name: a name-shaped word with two
    capitals at least ("SwiftExpert", "MoE-Lightning"), not a term of the field (GPU, MoE, LLM…)."""
    return bool(re.fullmatch(_NAME, name)) and _coinable(name)


def _coinable(name: str, set_off: bool = False) -> bool:
    """One capital is an ordinary word opening a sentence, unless the name is ``set_off`` as what
    is presented ("we present Zephyrus, an engine ..."); field terms and two-letter acronyms never coin."""
    capitals = sum(ch.isupper() for ch in name)
    return ((capitals >= 2 or set_off) and name not in _NOT_NAMES
            and not (name.upper() == name and len(name) < 3))


def _coined_systems(sentence: str, known: list[Mention]) -> list[Mention]:
    """Systems the alias tables do not know, told by how the sentence uses the name."""
    taken = [(m.start, m.end) for m in known]
    found: list[Mention] = []
    for pat in (_COINED_SUBJECT, _COINED_INTRO):
        for m in pat.finditer(sentence):
            group = "paren" if m.groupdict().get("paren") else "name"
            name, a, b = m.group(group), m.start(group), m.end(group)
            if group == "paren" and not _PRESENTS.search(sentence, 0, a):
                continue  # only "we propose Long Name (ACRONYM)" coins a name in brackets
            appositive = pat is _COINED_INTRO and group == "name" and bool(_APPOSITION.match(sentence, b))
            if not _coinable(name, appositive):
                continue
            if any(a < e and s < b for s, e in taken):
                continue
            taken.append((a, b))
            found.append(Mention("system", name, a, b))
    return found


def _is_condition(sentence: str, mn: Mention) -> bool:
    if mn.kind != "metric":
        return False
    before = sentence[max(0, mn.start - 40):mn.start]
    if _CONDITION_BEFORE.search(before):
        return True
    return bool(_CONDITION_AFTER.match(sentence[mn.end:mn.end + 20]) and _CONDITION_COST_BEFORE.search(before))


def _is_result(sentence: str, q: Quantity, mentions: list[Mention]) -> bool:
    """Whether ``q`` is a measured or reported figure rather than a count or a device's spec."""
    after = sentence[q.end:q.end + 30]
    if q.unit == "×" and _DEVICE_AFTER.match(after):
        return False  # "4x NVIDIA A6000": four GPUs
    if q.unit in ("GB", "MB") and _DEVICE_SPEC_BEFORE.search(sentence[max(0, q.start - 12):q.start]):
        return False  # "T4 GPU (16GB)": the device's own memory
    if q.unit == "bit":
        return bool(_PER_PARAMETER_AFTER.match(after))
    if q.unit is None:
        # A statistic written after its metric: "similarity (0.84 ...)", "Cohen's d = 1.44".
        lead = sentence[max(0, q.start - 3):q.start]
        return q.decimals > 0 and ("(" in lead or "=" in lead) and any(
            m.kind == "metric" and 0 <= q.start - m.end <= 40 for m in mentions)
    return q.unit in RESULT_UNITS


def _clause_of(bounds: list[int], pos: int) -> int:
    """Index of the clause holding character ``pos`` given sorted delimiter positions."""
    lo, hi = 0, len(bounds)
    while lo < hi:
        mid = (lo + hi) // 2
        if bounds[mid] <= pos:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _direction(sentence: str, q: Quantity | None) -> str | None:
    anchor = q.start if q else 0
    best: tuple[int, str] | None = None
    for pat, name in ((_HIGHER, "higher"), (_LOWER, "lower")):
        for m in pat.finditer(sentence):
            dist = abs(m.start() - anchor)
            if best is None or dist < best[0]:
                best = (dist, name)
    return best[1] if best else None


def _scaled_family(sentence: str, mn: Mention) -> Mention:
    """"scale up DeepSeekMoE to 145B parameters" names the 145B model, not the released one."""
    m = _SCALED_TO.match(sentence, mn.end)
    surface = sentence[mn.start:mn.end]
    if mn.kind != "model" or not m or any(ch.isdigit() for ch in surface):
        return mn
    sized = canonical_model(f"{surface} {m.group(1)}B")
    return Mention("model", sized, mn.start, mn.end) if sized else mn


def _metric_for(sentence: str, q: Quantity, bound_metric: str | None) -> str | None:
    """Parameter counts name their metric by their unit; other units fall back to a default."""
    if q.unit == "B params":
        return "active parameters" if _ACTIVE_AFTER.match(sentence[q.end:q.end + 24]) else "parameters"
    return bound_metric or _UNIT_METRIC.get(q.unit or "")


def sentence_facts(sentence: str) -> list[Fact]:
    """Facts of one sentence; a sentence without result numbers gives one fact with no quantity."""
    mentions = [_scaled_family(sentence, m) for m in _mentions(sentence)]
    mentions = sorted(mentions + _coined_systems(sentence, mentions), key=lambda m: m.start)
    settings = find_settings(sentence)
    masked = [(m.start, m.end) for m in mentions if m.kind != "metric"] + [(s.start, s.end) for s in settings]
    quantities = [q for q in find_quantities(sentence, masked) if _is_result(sentence, q, mentions)]
    roles = [(k, mn) for k, mn in _roles(sentence, mentions) if not _is_condition(sentence, mn)]
    setting = {s.key: s.value for s in settings}
    if not quantities:
        fields: dict[str, str] = {}
        for kind, mn in roles:
            fields.setdefault(kind, mn.name)
        return [Fact(None, fields, setting, _direction(sentence, None))]
    bounds = sorted(m.start() for m in _CLAUSE_DELIM.finditer(sentence))
    q_clause = [_clause_of(bounds, q.start) for q in quantities]
    facts = [Fact(q, {}, dict(setting, **({"bound": q.bound} if q.bound else {})), _direction(sentence, q))
             for q in quantities]
    respectively = "respectively" in sentence.lower() and len(quantities) > 1
    for kind in FIELDS:
        cands = [mn for k, mn in roles if k == kind]
        if not cands:
            continue
        names = [mn.name for mn in cands]
        if respectively and len(dict.fromkeys(names)) == len(quantities) and kind != "metric":
            for fact, name in zip(facts, dict.fromkeys(names)):
                fact.fields[kind] = name
            continue
        for i, (fact, q) in enumerate(zip(facts, quantities)):
            same = [mn for mn in cands if _clause_of(bounds, mn.start) == q_clause[i]]
            free = [mn for mn in cands if _clause_of(bounds, mn.start) not in set(q_clause) - {q_clause[i]}]
            if kind == "baseline" and q.unit == "B params":
                continue  # a parameter count is not measured against anything
            if same:
                chosen = min(same, key=lambda mn: abs(mn.start - q.start))
            elif free and kind == "system":
                chosen = free[0]  # the sentence's subject, not a name in an aside ("part of the DeepSpeed library")
            elif free:
                chosen = min(free, key=lambda mn: abs(mn.start - q.start))
            elif kind == "metric" and i and facts[i - 1].quantity.unit == q.unit and "metric" in facts[i - 1].fields:
                fact.fields[kind] = facts[i - 1].fields[kind]  # "by 1.2-3x over A and up to 14.7x over B"
                continue
            elif len(set(names)) == 1 and kind != "metric":
                fact.fields[kind] = names[0]
                continue
            else:
                continue
            fact.fields[kind] = chosen.name
            if kind == "metric" and q.unit == "×" and sentence[chosen.start:chosen.end].lower().endswith("speed"):
                fact.fields[kind] = "speedup"  # "3x improvement in inference speed" is a speed-up
    for fact in facts:
        metric = _metric_for(sentence, fact.quantity, fact.fields.get("metric"))
        if metric:
            fact.fields["metric"] = metric
        if fact.fields.get("metric") == "speedup" and fact.quantity.unit == "×":
            fact.direction = "higher"
    return facts


def _kind(sentence: str, fact: Fact) -> str | None:
    if fact.quantity is not None:
        return "quantitative"
    f = fact.fields
    named = any(k in f for k in ("system", "baseline", "model", "hardware", "dataset"))
    if not named or len(sentence.split()) < 4:
        return None
    compares = "baseline" in f or _COMPARISON.search(sentence)
    if compares and ("system" in f or "baseline" in f) and _direction(sentence, None):
        return "comparison"
    if ("hardware" in f or "dataset" in f) and _SETUP.search(sentence):
        return "setup"
    if "system" in f and _METHOD.search(sentence):
        return "method"
    if _SETUP.search(sentence) or "hardware" in f or "dataset" in f:
        return "setup"
    if "system" in f and "model" in f:
        return "method"
    return None


def fact_to_claim(sentence: str, fact: Fact, kind: str, start: int) -> ExtractedClaim:
    q = fact.quantity
    return ExtractedClaim(
        text=sentence, kind=kind, system=fact.fields.get("system"), metric=fact.fields.get("metric"),
        value=q.value if q else None, value_high=q.value_high if q else None, unit=q.unit if q else None,
        direction=fact.direction if (q or kind == "comparison") else None,
        baseline=fact.fields.get("baseline"), model=fact.fields.get("model"),
        hardware=fact.fields.get("hardware"), dataset=fact.fields.get("dataset"),
        setting=fact.setting, start=start, end=start + len(sentence),
    )


_INHERITED = ("baseline", "model", "hardware")
_SETTING_BEFORE = re.compile(r"\b(?:on|for|with|in|using|of|across|including|than|over|like|e\.g\.,?|to|"
                             r"offloading|serving|running|deploying)\s+"
                             r"(?:the\s+|a\s+|an\s+)?$", re.IGNORECASE)


def _model_subject(sentence: str) -> bool:
    """Whether a model is what the sentence is about ("OLMoE-1B-7B has ...", "we scale up
    DeepSeekMoE to ..."), as opposed to the setting of a system's result ("on Mixtral-8x7B")."""
    return any(m.kind == "model" and not _SETTING_BEFORE.search(sentence[max(0, m.start - 16):m.start])
               for m in _mentions(sentence))


@lru_cache(maxsize=4096)
def _mentions(sentence: str) -> tuple[Mention, ...]:
    """find_mentions, memoised: a passage's sentences are read by more than one rule."""
    return tuple(find_mentions(sentence))


def passage_facts(text: str) -> list[tuple[tuple[int, int], list[Fact]]]:
    """Facts of every sentence of ``text``, with names carried over from earlier sentences.

    Within a paragraph, a fact that lacks a baseline, model or hardware, in a sentence that
    names none of that kind, takes the one the previous sentences established (when they
    named exactly one). A baseline is not carried to its own system, nor to another system than
    the one it was the baseline of ("TurboCache is 12.4x faster than ExpertFlow. ExpertFlow
    reduces memory by 12%." gives the second fact no baseline). A sentence opening with "It"/"This"/"Our system",
    or a result sentence naming no system, takes the system of the sentence before.
    """
    out = []
    context: dict[str, str | None] = {}
    baseline_of: str | None = None  # the system whose baseline context["baseline"] is
    last_system: str | None = None
    prev_end = 0
    for s, e in split_sentences(text):
        if "\n\n" in text[prev_end:s]:
            context, last_system, baseline_of = {}, None, None
        prev_end = e
        sentence = text[s:e]
        if len(sentence) > 2000:  # not prose (a dump, a table without breaks): skip, do not stall
            out.append(((s, e), []))
            continue
        facts = sentence_facts(sentence)
        named = {k for f in facts for k in f.fields}
        about_model = _model_subject(sentence)
        for fact in facts:
            # "It ..." or a result sentence naming no system ("The speed-up is 1.99× ...")
            # speaks of the system of the sentence before; one whose subject is a model does not.
            if "system" not in named and last_system and not about_model and (
                    _ANAPHORA.match(sentence) or fact.quantity):
                fact.fields["system"] = last_system
            for k in _INHERITED:
                if fact.quantity is not None and k not in named and context.get(k):
                    system = fact.fields.get("system")
                    if k == "baseline" and system and (system == context[k] or baseline_of not in (None, system)):
                        continue  # the system itself, or the baseline of another system
                    fact.fields.setdefault(k, context[k])
        for k in _INHERITED:
            values = {f.fields[k] for f in facts if k in f.fields}
            if values:
                context[k] = values.pop() if len(values) == 1 else None
                if k == "baseline":
                    owners = {f.fields.get("system") for f in facts if "baseline" in f.fields}
                    baseline_of = owners.pop() if len(owners) == 1 else None
        systems = [f.fields["system"] for f in facts if "system" in f.fields]
        last_system = systems[0] if systems else last_system
        out.append(((s, e), facts))
    return out


def extract_claims(text: str | bytes, *, source_section: str | None = None,
                   section_kind: str | None = None) -> list[ExtractedClaim]:
    """Claims of ``text`` in reading order; one per result number, one per claim sentence otherwise.

    Empty text gives []; so does a references/acknowledgements section. A table passage
    (``verifier.tables.render``) gives one claim per bound cell. In related work
    (``section_kind`` "related_work", or a section so named) a claim is about the system its
    sentence names (or the one "It ..." refers to), never the paper's own; one naming no system
    is dropped. Binary or oversized input raises BadInput. Spans index into ``text``.
    """
    text = ensure_text(text)
    if not text.strip() or (source_section and _SKIP_SECTIONS.search(source_section)):
        return []
    if parse_table(text) is not None:  # a table passage: its rows, never its prose reading
        return table_claims(text)
    related = section_kind == "related_work" or bool(source_section and _RELATED.search(source_section))
    claims: list[ExtractedClaim] = []
    for (s, e), facts in passage_facts(text):
        sentence = text[s:e]
        for fact in facts:
            kind = _kind(sentence, fact)
            if kind and (not related or _describes(sentence, fact.fields.get("system"))):
                claims.append(fact_to_claim(sentence, fact, kind, s))
    return claims


def _describes(sentence: str, system: str | None) -> bool:
    """In related work: whether ``system`` is the one the sentence speaks of: named in it, or
    "It/This/They ..." after a sentence naming it. "Our method ..." is the paper's own, unnamed."""
    if not system:
        return False
    if re.match(r"\s*(?:it|this|they|these|the\s+latter|the\s+former)\b", sentence, re.IGNORECASE):
        return True
    return any(f.fields.get("system") == system for f in sentence_facts(sentence))
