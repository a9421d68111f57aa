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

from verifier.aliases import Mention, find_mentions
from verifier.errors import BadInputError
from verifier.numbers import RESULT_UNITS, Quantity, find_quantities, find_settings
from verifier.sentences import split_sentences
from verifier.types import ExtractedClaim

FIELDS = ("system", "baseline", "model", "hardware", "dataset", "metric")
_BASELINE_CUE = re.compile(
    r"(?:over|than|vs\.?|versus|compared\s+(?:to|with)|relative\s+to|against|outperform(?:s|ed|ing)?|"
    r"beat(?:s|ing)?|unlike|baselines?|surpass(?:es|ing)?)\s+(?:the\s+|a\s+|an\s+|both\s+)?"
    r"(?:[\w-]+\s+)?$",
    re.IGNORECASE,
)
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
_UNIT_METRIC = {"tokens/s": "throughput", "ms": "latency", "s": "latency", "GB": "memory", "MB": "memory",
                "TB": "memory", "×": "speedup", "GB/s": "bandwidth"}
MAX_TEXT_CHARS = 20_000_000
_ANAPHORA = re.compile(r"\s*(?:it|this|our\s+(?:system|method|design|approach)|the\s+(?:system|method))\b",
                       re.IGNORECASE)


@dataclass
class Fact:
    """One number of a sentence and the names bound to it (``fields`` keys are FIELDS)."""

    quantity: Quantity | None
    fields: dict[str, str] = field(default_factory=dict)
    setting: dict[str, float | str] = field(default_factory=dict)
    direction: str | None = None


def ensure_text(text: str | bytes) -> str:
    """Return ``text`` as str or raise BadInputError for binary or oversized input."""
    if isinstance(text, bytes):
        if b"\x00" in text[:65536]:
            raise BadInputError(f"input looks binary ({text[:65536].count(0)} NUL bytes in the first 64 KiB); "
                                "give plain UTF-8 text")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadInputError(f"input is not UTF-8 text (bad byte at offset {exc.start}); give a UTF-8 text file") from None
    nul = text.count("\x00")
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if nul or controls > 0.05 * max(1, min(len(text), 65536)):
        raise BadInputError(f"input looks binary ({nul} NUL bytes, {controls} control characters); give plain UTF-8 text")
    if len(text) > MAX_TEXT_CHARS:
        raise BadInputError(f"text has {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,} — split it into parts")
    return text


def _roles(sentence: str, mentions: list[Mention]) -> list[tuple[str, Mention]]:
    """(field, mention) pairs: a system preceded by "over/than/vs..." is the baseline."""
    out = []
    for mn in mentions:
        kind = mn.kind
        if kind == "system":
            before = sentence[max(0, mn.start - 40):mn.start]
            after = sentence[mn.end:mn.end + 12].lower()
            if _BASELINE_CUE.search(before) or after.lstrip().startswith("baseline"):
                kind = "baseline"
        out.append((kind, mn))
    return out


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


def sentence_facts(sentence: str) -> list[Fact]:
    """Facts of one sentence; a sentence without result numbers gives one fact with no quantity."""
    mentions = find_mentions(sentence)
    settings = find_settings(sentence)
    masked = [(m.start, m.end) for m in mentions if m.kind != "metric"] + [(s.start, s.end) for s in settings]
    quantities = [q for q in find_quantities(sentence, masked) if q.unit in RESULT_UNITS]
    roles = _roles(sentence, mentions)
    setting = {s.key: s.value for s in settings}
    if not quantities:
        fields: dict[str, str] = {}
        for kind, mn in roles:
            fields.setdefault(kind, mn.name)
        return [Fact(None, fields, setting, _direction(sentence, None))]
    bounds = sorted(m.start() for m in _CLAUSE_DELIM.finditer(sentence))
    q_clause = [_clause_of(bounds, q.start) for q in quantities]
    facts = [Fact(q, {}, dict(setting), _direction(sentence, q)) for q in quantities]
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
            pool = same or free
            if pool:
                fact.fields[kind] = min(pool, key=lambda mn: abs(mn.start - q.start)).name
            elif len(set(names)) == 1:
                fact.fields[kind] = names[0]
    for fact in facts:
        if "metric" not in fact.fields and fact.quantity.unit in _UNIT_METRIC:
            fact.fields["metric"] = _UNIT_METRIC[fact.quantity.unit]
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
    if ("baseline" in f or _COMPARISON.search(sentence)) and ("system" in f or "baseline" in f) and _direction(sentence, None):
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


def passage_facts(text: str) -> list[tuple[tuple[int, int], list[Fact]]]:
    """Facts of every sentence of ``text``, with names carried over from earlier sentences.

    Within a paragraph, a fact that lacks a baseline, model or hardware, in a sentence that
    names none of that kind, takes the one the previous sentences established (when they
    named exactly one). A sentence opening with "It"/"This"/"Our system", or a result
    sentence naming no system, takes the system of the sentence before.
    """
    out = []
    context: dict[str, str | None] = {}
    last_system: str | None = None
    prev_end = 0
    for s, e in split_sentences(text):
        if "\n\n" in text[prev_end:s]:
            context, last_system = {}, None
        prev_end = e
        sentence = text[s:e]
        if len(sentence) > 2000:  # not prose (a dump, a table without breaks): skip, do not stall
            out.append(((s, e), []))
            continue
        facts = sentence_facts(sentence)
        named = {k for f in facts for k in f.fields}
        for fact in facts:
            # "It ..." or a result sentence naming no system ("The speed-up is 1.99× ...")
            # speaks of the system of the sentence before.
            if "system" not in named and last_system and (_ANAPHORA.match(sentence) or fact.quantity):
                fact.fields["system"] = last_system
            for k in _INHERITED:
                if fact.quantity is not None and k not in named and context.get(k):
                    fact.fields.setdefault(k, context[k])
        for k in _INHERITED:
            values = {f.fields[k] for f in facts if k in f.fields}
            if values:
                context[k] = values.pop() if len(values) == 1 else None
        systems = [f.fields["system"] for f in facts if "system" in f.fields]
        last_system = systems[0] if systems else last_system
        out.append(((s, e), facts))
    return out


def extract_claims(text: str | bytes, *, source_section: str | None = None) -> list[ExtractedClaim]:
    """Claims of ``text`` in reading order; one per result number, one per claim sentence otherwise.

    Empty text gives []; so does a references/acknowledgements section. Binary or oversized
    input raises BadInputError. Spans index into ``text``.
    """
    text = ensure_text(text)
    if not text.strip() or (source_section and _SKIP_SECTIONS.search(source_section)):
        return []
    claims: list[ExtractedClaim] = []
    for (s, e), facts in passage_facts(text):
        sentence = text[s:e]
        for fact in facts:
            kind = _kind(sentence, fact)
            if kind:
                claims.append(fact_to_claim(sentence, fact, kind, s))
    return claims
