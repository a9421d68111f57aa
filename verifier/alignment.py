"""Per-number alignment: which number of a passage plays the same role as a claim's number.

A sentence often carries several numbers ("an average speedup of 2.20x (up to 3.21x) and 2.07x
(up to 5.02x) in the prefill and decode stages"); a claim states one of them. Its number is
compared only with the evidence numbers whose fact names the *same quantity*: the same unit, a
compatible metric, and no conflicting system, baseline, model, hardware, dataset or setting. A
name the evidence leaves open counts as agreeing ("where given"), except the baseline of a
relative figure (×, %): a speed-up over an unnamed baseline is not a speed-up over Cache-MoE.

Numbers agree at the precision both were written to (`values_agree`); a range brackets a single
value; "up to N" is a bound, so a figure under it is consistent with it (neither corroborated
nor contradicted) and a figure over it contradicts it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from verifier.aliases import metrics_compatible
from verifier.compare import PassageFacts
from verifier.extract import Fact
from verifier.numbers import RESULT_UNITS, find_quantities, values_agree
from verifier.types import ExtractedClaim

Bound = Literal["upper", "lower"] | None
Outcome = Literal["agrees", "disagrees", "consistent", "ambiguous", "other_setting", "no_number"]

_UPPER = re.compile(r"(?:up\s+to|as\s+(?:much|high|many|large)\s+as|at\s+most|a\s+maximum\s+of|maximum(?:\s+of)?)\s*$",
                    re.IGNORECASE)
_LOWER = re.compile(r"(?:more\s+than|over|at\s+least|above|exceed\w*|beyond|a\s+minimum\s+of)\s*$", re.IGNORECASE)
RELATIVE_UNITS = ("×", "%")  # a gain over something: needs its baseline
_NAME_FIELDS = ("system", "baseline", "model", "hardware", "dataset")


def bound_before(text: str, start: int) -> Bound:
    """Whether the number at ``start`` of ``text`` is written as a bound ("up to", "over")."""
    before = text[max(0, start - 24):start]
    if _UPPER.search(before):
        return "upper"
    if _LOWER.search(before):
        return "lower"
    return None


def claim_bound(claim: ExtractedClaim) -> Bound:
    """The bound the claim's own text puts on its number, found by the number's position."""
    if claim.value is None:
        return None
    for q in find_quantities(claim.text):
        if q.unit == claim.unit and values_agree(q.value, q.decimals, claim.value, _decimals(claim.value)):
            return bound_before(claim.text, q.start)
    return None


def _decimals(value: float) -> int:
    s = f"{value:g}"
    return len(s.split(".")[1]) if "." in s and "e" not in s else 0


def fmt_value(value: float, high: float | None, unit: str | None, bound: Bound = None) -> str:
    num = f"{value:g}" + (f"–{high:g}" if high is not None else "")
    num = f"{num}{unit}" if unit in ("×", "%") else f"{num} {unit}" if unit else num
    return {"upper": "up to ", "lower": "over "}.get(bound or "", "") + num


def relation(claim: ExtractedClaim, c_bound: Bound, q, q_bound: Bound) -> str:
    """How the claim's number stands to one evidence quantity ``q`` of the same unit:
    "equal", "brackets" (a range holds the other value), "within_bound" (consistent with an
    "up to"/"over" bound), "beyond_bound" (breaks it) or "differs"."""
    v, vh, d = claim.value, claim.value_high, _decimals(claim.value)
    e, eh, ed = q.value, q.value_high, q.decimals
    if values_agree(v, d, e, ed) and (vh is None or eh is None or values_agree(vh, _decimals(vh), eh, ed)):
        return "equal"  # 10× and "up to 10×" state the same figure; a bound only widens what it allows
    if eh is not None and vh is None and e <= v <= eh:
        return "brackets"
    if vh is not None and eh is None and v <= e <= vh:
        return "brackets"
    if c_bound == q_bound and c_bound is not None:
        return "differs"  # two maxima (or minima) of one quantity must be the same figure
    if q_bound == "upper" and c_bound is None:
        return "within_bound" if v <= e else "beyond_bound"
    if q_bound == "lower" and c_bound is None:
        return "within_bound" if v >= e else "beyond_bound"
    if c_bound == "upper" and q_bound is None:
        return "within_bound" if (eh or e) <= v else "beyond_bound"
    if c_bound == "lower" and q_bound is None:
        return "within_bound" if e >= v else "beyond_bound"
    return "differs"


def name_conflicts(claim: ExtractedClaim, fact: Fact, pf: PassageFacts) -> tuple[list[str], list[str]]:
    """Names that make ``fact`` a different quantity from the claim's (both empty: the same one).

    The second list holds what only narrows the evidence (a baseline it names and the claim
    does not): the same figure still agrees, another figure does not contradict.
    """
    out: list[str] = []
    narrower: list[str] = []
    for k in _NAME_FIELDS:
        want, have = getattr(claim, k), fact.fields.get(k)
        if not want:
            if k == "baseline" and have and claim.unit in RELATIVE_UNITS:
                narrower.append(f"baseline {have} in evidence, none named in claim")
            continue
        if have is not None:
            if have != want:
                other = "baseline" if k == "system" else "system" if k == "baseline" else None
                if other and fact.fields.get(other) == want:
                    out.append(f"{k} {want} in claim is the {other} in evidence")
                else:
                    out.append(f"{k} {want} in claim, {have} in evidence")
            continue
        named = pf.names.get(k, set())
        if k == "baseline" and claim.unit in RELATIVE_UNITS and want not in named:
            out.append(f"baseline {want} in claim, none named in evidence")
        elif named and want not in named:
            out.append(f"{k} {want} in claim, {', '.join(sorted(named))} in evidence")
    for key, val in claim.setting.items():
        if key == "bound":
            continue  # "up to" is a bound on the figure, weighed by `relation`, not a setting
        other = fact.setting.get(key)
        if other is not None and other != val:
            out.append(f"{key.replace('_', ' ')} {val} in claim, {other} in evidence")
    return out, narrower


@dataclass
class Alignment:
    """The claim's number against one passage.

    ``outcome``: "agrees" (a fact of the same quantity states it), "disagrees" (the passage
    gives one other figure for the same quantity), "consistent" (only a bound it respects),
    "ambiguous" (several other figures for what may be the same quantity, none matching),
    "other_setting" (the figure is given for another system/baseline/model/...), "no_number".
    """

    outcome: Outcome
    sentence_index: int | None = None
    reasons: list[str] = field(default_factory=list)


def align(claim: ExtractedClaim, pf: PassageFacts) -> Alignment:
    """Align the claim's result number with the numbers of one passage; never raises on odd text."""
    if claim.value is None or claim.unit not in RESULT_UNITS:
        return Alignment("no_number")
    c_bound = claim_bound(claim)
    mine = fmt_value(claim.value, claim.value_high, claim.unit, c_bound)
    same, other = [], []
    for i, fact in pf.facts:
        q = fact.quantity
        if q is None or q.unit != claim.unit:
            continue
        if claim.metric and fact.fields.get("metric") and not metrics_compatible(claim.metric, fact.fields["metric"]):
            continue
        s0 = pf.sentences[i][0]
        q_bound = bound_before(pf.text, s0 + q.start)
        rel = relation(claim, c_bound, q, q_bound)
        # Direction words ("reducing … and improving") bind too loosely to decide here; a
        # negated or reversed statement is left to the model and the negation signal.
        conflicts, narrower = name_conflicts(claim, fact, pf)
        if conflicts or (narrower and rel not in ("equal", "brackets")):
            other.append((i, q, q_bound, rel, conflicts + narrower))
        else:
            same.append((i, q, q_bound, rel, []))
    agreeing = [e for e in same if e[3] in ("equal", "brackets")]
    if agreeing:
        i, q, qb, rel, _ = agreeing[0]
        how = "bracketed by" if rel == "brackets" else "stated as"
        return Alignment("agrees", i, [f"{mine} {how} {fmt_value(q.value, q.value_high, q.unit, qb)} "
                                       "for the same quantity in evidence"])
    breaking = [e for e in same if e[3] in ("differs", "beyond_bound")]
    if breaking:
        figures = sorted({fmt_value(q.value, q.value_high, q.unit, qb) for _, q, qb, _, _ in breaking})
        if len(figures) == 1:
            i = breaking[0][0]
            return Alignment("disagrees", i, [f"value {mine} vs {figures[0]} for the same quantity in evidence"])
        return Alignment("ambiguous", breaking[0][0], [
            f"evidence gives {', '.join(figures)} for what may be this quantity and the roles are not told "
            f"apart; none is {mine}"])
    if same:
        i, q, qb, _, _ = same[0]
        return Alignment("consistent", i, [f"{mine} is within the evidence's bound "
                                           f"{fmt_value(q.value, q.value_high, q.unit, qb)}; "
                                           "a bound does not state the figure"])
    if other:
        i, q, qb, rel, conflicts = min(other, key=lambda e: (e[3] not in ("equal", "brackets"), len(e[4])))
        said = fmt_value(q.value, q.value_high, q.unit, qb)
        return Alignment("other_setting", i, [f"{said} in evidence is another quantity: {'; '.join(conflicts)}"])
    return Alignment("no_number", reasons=[f"evidence states no {claim.unit} figure of a compatible metric"])
