"""Attribution: does a claim's own passage state it, with the fields we gave it?

This checks our extraction, never the claim's truth: a passage always "agrees" with the
sentence it contains. What it can catch is a number bound to the wrong system, baseline or
model, a value the passage does not give, or a name the passage never mentions.

* ATTRIBUTED — every result number of the claim is stated in the passage for the same
  quantity (per-number alignment), and every name the claim carries occurs in the passage.
* MISATTRIBUTED — a number is missing or belongs to another quantity, a name is absent, or a
  rate (accuracy, hit rate, ...) is given a unit that is not a percentage.
* UNCHECKED — no own passage, or a claim with neither a number nor a name whose sentence the
  passage does not contain verbatim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from verifier.alignment import align
from verifier.compare import PassageFacts
from verifier.types import AttributionLabel, ExtractedClaim

_NAME_FIELDS = ("system", "baseline", "model", "hardware", "dataset")
# Rates are percentages; an "8.20× accuracy" is a misread binding ("… by up to 8.20× … while
# maintaining accuracy"), whatever the passage says.
_PERCENT_METRICS = {"accuracy", "prediction accuracy", "hit rate", "miss rate", "expert utilization",
                    "GPU utilization", "parameter share"}


@dataclass
class Attribution:
    label: AttributionLabel
    reasons: list[str] = field(default_factory=list)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def attribute(views: list[ExtractedClaim], text: str, own: PassageFacts | None) -> Attribution:
    """Attribution of a claim (its structured ``views``, one per number) to its own passage."""
    if own is None:
        return Attribution("UNCHECKED", ["no source passage to check the extraction against"])
    problems: list[str] = []
    confirmed: list[str] = []
    for v in views:
        if v.value is None:
            continue
        if v.metric in _PERCENT_METRICS and v.unit not in (None, "%"):
            problems.append(f"metric {v.metric} is a rate, but the figure {v.value:g}{v.unit} is not a percentage")
            continue
        a = align(v, own)
        if a.outcome == "agrees":
            confirmed += a.reasons
        else:
            problems += a.reasons or [f"its passage does not state {v.value:g}{v.unit or ''}"]
    names = own.names.get("system", set()) | {n for k in ("model", "hardware", "dataset")
                                              for n in own.names.get(k, set())}
    for v in views:
        for k in _NAME_FIELDS:
            want = getattr(v, k)
            if want and want not in names:
                problems.append(f"{k} {want} is not named in its passage")
    problems = list(dict.fromkeys(problems))
    if problems:
        return Attribution("MISATTRIBUTED", problems)
    if confirmed:
        return Attribution("ATTRIBUTED", list(dict.fromkeys(confirmed)))
    if any(getattr(v, k) for v in views for k in _NAME_FIELDS):
        return Attribution("ATTRIBUTED", ["every name it carries occurs in its passage"])
    if _squash(text) in _squash(own.text):
        return Attribution("ATTRIBUTED", ["its passage contains the sentence"])
    return Attribution("UNCHECKED", ["neither a number nor a name to check, and not a sentence of its passage"])
