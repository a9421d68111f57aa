"""Structured comparison of a claim with a passage: numbers, units, names, metric, negation.

Each finding becomes a signal (a float the combiner weighs) and, when it decides
something, a short reason a reader can check ("value 2.04× vs 2.01× in evidence").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from verifier.aliases import metrics_compatible
from verifier.extract import FIELDS, Fact, passage_facts
from verifier.numbers import RESULT_UNITS, values_agree
from verifier.types import ExtractedClaim

_NEGATION = re.compile(r"\b(?:not|no|never|none|neither|nor|cannot|without|fail(?:s|ed)?|lacks?|unable)\b|n't\b",
                       re.IGNORECASE)
_NAME_FIELDS = ("system", "baseline", "model", "hardware", "dataset")


@dataclass
class PassageFacts:
    """A passage cut into sentences with the facts of each; built once per passage."""

    text: str
    sentences: list[tuple[int, int]]
    facts: list[tuple[int, Fact]]  # (sentence index, fact)
    names: dict[str, set[str]]  # field -> every canonical name in the passage (system+baseline pooled)

    @classmethod
    def build(cls, text: str) -> "PassageFacts":
        per_sentence = passage_facts(text) or [((0, len(text)), [])]
        sentences = [span for span, _ in per_sentence]
        facts: list[tuple[int, Fact]] = []
        names: dict[str, set[str]] = {k: set() for k in FIELDS}
        for i, (_, sentence_facts_) in enumerate(per_sentence):
            for fact in sentence_facts_:
                facts.append((i, fact))
                for k, v in fact.fields.items():
                    names["system" if k == "baseline" else k].add(v)
        names["baseline"] = names["system"]
        return cls(text, sentences, facts, names)

    def sentence(self, i: int) -> str:
        s, e = self.sentences[i]
        return self.text[s:e]


@dataclass
class Comparison:
    signals: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    sentence_index: int | None = None  # sentence that decided the numeric comparison


def _fmt(value: float, unit: str | None) -> str:
    num = f"{value:g}"
    return f"{num}{unit}" if unit in ("×", "%") else f"{num} {unit}" if unit else num


def _decimals(value: float) -> int:
    s = f"{value:g}"
    return len(s.split(".")[1]) if "." in s else 0


def _field_check(claim: ExtractedClaim, fact: Fact, pf: PassageFacts) -> tuple[list[str], int]:
    """Conflicting-field reasons and the number of agreeing fields between claim and fact.

    A field the fact leaves open falls back to the passage: the claim's name must occur in
    it, or the passage must name nothing of that kind.
    """
    conflicts: list[str] = []
    agree = 0
    for k in _NAME_FIELDS:
        want = getattr(claim, k)
        if not want:
            continue
        have = fact.fields.get(k)
        if have is None and k == "baseline" and fact.fields.get("system") == want:
            have = want
        if have is not None:
            if have == want:
                agree += 1
            elif want in pf.names.get(k, set()) and k in ("system", "baseline") and fact.fields.get(
                    "baseline" if k == "system" else "system") == want:
                conflicts.append(f"{k} {want} in claim is the {'baseline' if k == 'system' else 'system'} in evidence")
            else:
                conflicts.append(f"{k} {want} in claim, {have} in evidence")
        elif want in pf.names.get(k, set()):
            agree += 1
        elif pf.names.get(k):
            conflicts.append(f"{k} {want} in claim, {', '.join(sorted(pf.names[k]))} in evidence")
    for key, val in claim.setting.items():
        other = fact.setting.get(key)
        if other is not None and isinstance(val, float) and other != val:
            conflicts.append(f"{key.replace('_', ' ')} {val:g} in claim, {other:g} in evidence")
    if claim.metric and fact.fields.get("metric"):
        if metrics_compatible(claim.metric, fact.fields["metric"]):
            agree += 1
        else:
            conflicts.append(f"metric {claim.metric} in claim, {fact.fields['metric']} in evidence")
    return conflicts, agree


def compare(claim: ExtractedClaim, pf: PassageFacts) -> Comparison:
    """Compare one structured claim with one passage; never raises on odd text."""
    out = Comparison()
    sig = {"numeric_match": 0.0, "numeric_conflict": 0.0, "unit_conflict": 0.0, "entity_match": 0.0,
           "entity_conflict": 0.0, "direction_conflict": 0.0,
           "claim_has_value": float(claim.value is not None and claim.unit in RESULT_UNITS),
           "passage_has_value": float(any(f.quantity is not None for _, f in pf.facts))}
    out.signals = sig
    valued = [(i, f) for i, f in pf.facts if f.quantity is not None]
    if claim.value is not None and claim.unit in RESULT_UNITS and valued:
        d = _decimals(claim.value)
        same = [(i, f) for i, f in valued
                if values_agree(claim.value, d, f.quantity.value, f.quantity.decimals)
                and (claim.value_high is None or f.quantity.value_high is None
                     or values_agree(claim.value_high, _decimals(claim.value_high),
                                     f.quantity.value_high, f.quantity.decimals))]
        same_unit = [(i, f) for i, f in same if f.quantity.unit == claim.unit]
        if same_unit:
            scored = [(_field_check(claim, f, pf), i, f) for i, f in same_unit]
            (conflicts, agree), i, f = min(scored, key=lambda t: (len(t[0][0]), -t[0][1]))
            out.sentence_index = i
            sig["entity_match"] = min(agree, 3) / 3
            sig["entity_conflict"] = min(len(conflicts), 2) / 2
            if conflicts:
                out.reasons += [f"{c} (for {_fmt(claim.value, claim.unit)})" for c in conflicts]
            else:
                sig["numeric_match"] = 1.0
                out.reasons.append(f"value {_fmt(claim.value, claim.unit)} found in evidence")
            if claim.direction and f.direction and claim.direction != f.direction:
                sig["direction_conflict"] = 1.0
                out.reasons.append(f"direction {claim.direction} in claim, {f.direction} in evidence")
            return out
        if same:
            i, f = same[0]
            sig["unit_conflict"] = 1.0
            out.sentence_index = i
            out.reasons.append(f"unit {claim.unit} in claim, {f.quantity.unit} in evidence "
                               f"for {f.quantity.value:g}")
            return out
        comparable = [(i, f) for i, f in valued if f.quantity.unit == claim.unit
                      and metrics_compatible(claim.metric, f.fields.get("metric"))]
        if comparable:
            scored = [(_field_check(claim, f, pf), i, f) for i, f in comparable]
            (conflicts, agree), i, f = min(scored, key=lambda t: (len(t[0][0]), -t[0][1]))
            out.sentence_index = i
            sig["numeric_conflict"] = 1.0 if not conflicts else 0.5
            sig["entity_match"] = min(agree, 3) / 3
            out.reasons.append(f"value {_fmt(claim.value, claim.unit)} vs "
                               f"{_fmt(f.quantity.value, f.quantity.unit)} in evidence")
            return out
    # No number to compare: names against the whole passage.
    conflicts, agree = _field_check(claim, Fact(None), pf)
    sig["entity_match"] = min(agree, 3) / 3
    sig["entity_conflict"] = min(len(conflicts), 2) / 2
    out.reasons += conflicts
    return out


def negation_mismatch(claim_text: str, evidence_text: str) -> float:
    """1.0 when exactly one of the two texts is negated."""
    return float(bool(_NEGATION.search(claim_text)) != bool(_NEGATION.search(evidence_text)))
