"""What a performance claim states, in the unit an experiment measures (``Claimed``).

The extractor gives one claim per number; a sentence such as "a hit rate of 85.91% versus 58.37%
for LRU" or "from 35.21 GB to 6.52 GB" states two numbers about one quantity. This module re-reads
the claim's own sentence so that each number is tied to the policy (or the before/after state) it
is about, and the other numbers travel along as ``Claimed.others`` for the plot.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from verifier.aliases import find_mentions
from verifier.empirical.types import Claimed
from verifier.numbers import Quantity, find_quantities, find_settings
from verifier.types import ExtractedClaim

SPEED_METRICS = {"throughput", "speedup", "latency"}
_MEM_SCALE = {"GB": 1.0, "GIB": 1.0737, "MB": 1e-3, "MIB": 1.0486e-3, "TB": 1e3}
_MEM_UNIT = r"(?:GB|GiB|MB|MiB|TB)"
# "from 35.21 GB to 6.52 GB": the number parser reads "35.21 GB to 6.52" as a (falling) range.
_FROM_TO = re.compile(rf"\bfrom\s+(?P<a>[\d,]+(?:\.\d+)?)\s?(?P<ua>{_MEM_UNIT})?\s+(?:down\s+)?to\s+"
                      rf"(?P<b>[\d,]+(?:\.\d+)?)\s?(?P<ub>{_MEM_UNIT})\b", re.IGNORECASE)
_SAVING = re.compile(r"\b(?:reduc\w*|sav\w*|cut\w*|lower\w*|less|decreas\w*|shrink\w*|down)\b", re.IGNORECASE)


_SLOWER = re.compile(r"\bslower\b", re.IGNORECASE)
_FASTER = re.compile(r"\b(?:faster|higher|more|speed-?up|quicker)\b", re.IGNORECASE)
_ABOUT = re.compile(r"\b(?:memory|footprint|stall\s+time|stall|latency|throughput|time|flops|parameters)\b",
                    re.IGNORECASE)
# "saves only 10%", "by just 10%", "only reduces memory by 10%": the claim calls the saving small.
_ONLY_NEAR = re.compile(r"\b(?:only|merely|just|barely|a\s+mere)\s+(?:by\s+)?(?:about\s+)?$", re.IGNORECASE)
_ONLY_VERB = re.compile(r"\b(?:only|merely|just|barely)\s+(?:reduc|sav|cut|lower|shrink|decreas)\w*", re.IGNORECASE)
# "LRU caches reach at most 20%": a ceiling, not a figure ("up to" is a best case and stays a figure).
_CEILING = re.compile(r"\b(?:at\s+most|no\s+more\s+than|less\s+than|under|below|only|merely|barely)\s+"
                      r"(?:about\s+|around\s+)?$", re.IGNORECASE)
_TO_SHARE = re.compile(r"(?<!\bup\s)\bto\s+(?:less\s+than\s+|under\s+|below\s+|only\s+|just\s+|about\s+)?$",
                       re.IGNORECASE)


def _number_position(text: str, value: float) -> int | None:
    """Start of the first written number equal to ``value`` in ``text``."""
    for m in re.finditer(r"\d+(?:\.\d+)?", text):
        if abs(float(m.group(0)) - value) < 1e-9:
            return m.start()
    return None


class Unreadable(ValueError):
    """The claim's number cannot be put in an experiment's unit; ``str()`` is the reason."""


def _sentence_quantities(text: str, unit: str) -> list[Quantity]:
    mentions = find_mentions(text)
    masked = [(m.start, m.end) for m in mentions if m.kind != "metric"]
    masked += [(s.start, s.end) for s in find_settings(text)]
    return [q for q in find_quantities(text, masked) if q.unit == unit]


def _systems_in_order(text: str) -> list[str]:
    names: list[str] = []
    for m in find_mentions(text):
        if m.kind == "system" and m.name not in names:
            names.append(m.name)
    return names


def _written(value: float, unit: str) -> str:
    return f"{value:g}{unit}" if unit in ("×", "%") else f"{value:g} {unit}"


def read_speedup(claim: ExtractedClaim, policy: str) -> Claimed:
    """Throughput ratio system ÷ baseline (×) from a ×, or a % gain / latency cut."""
    value, unit = claim.value, claim.unit
    assert value is not None
    if unit == "×":
        # "3× slower than LRU": the extractor keeps the number; the ratio is its inverse
        slower = _SLOWER.search(claim.text) and not _FASTER.search(claim.text)
        ratio = 1.0 / value if slower and value > 0 else value
    elif unit == "%" and claim.metric == "latency" and claim.direction == "lower":
        if value >= 100:
            raise Unreadable(f"a latency cut of {value:g}% is not a ratio (it would be infinite)")
        ratio = 1.0 / (1.0 - value / 100.0)
    elif unit == "%" and claim.direction == "higher":
        ratio = 1.0 + value / 100.0
    else:
        raise Unreadable(
            f"a {claim.metric} of {_written(value, unit or '')} is an absolute figure tied to the "
            "paper's hardware; the runtime compares ratios against a baseline (× or % faster)"
        )
    return Claimed(quantity="speedup", value=round(ratio, 4), unit="×", subject=policy,
                   as_written=_written(value, unit))


def read_hit_rate(claim: ExtractedClaim, policy: str,
                  policy_of: Callable[[str], str | None]) -> Claimed:
    """A hit rate (%) tied to its policy; the sentence's other hit rates go into ``others``.

    Numbers and system names are paired in reading order when the sentence has as many systems
    as percentages ("85.91% versus 58.37% for LRU": ExpertFlow 85.91, LRU 58.37).
    """
    value = claim.value
    assert value is not None
    if claim.metric == "miss rate":
        value = 100.0 - value
    numbers = _sentence_quantities(claim.text, "%")
    systems = [p for p in (policy_of(s) for s in _systems_in_order(claim.text)) if p]
    subject, others = policy, {}
    if len(numbers) >= 2 and len(systems) == len(numbers):
        pairs = list(zip(systems, [q.value for q in numbers]))
        mine = [p for p, v in pairs if abs(v - claim.value) < 1e-9]
        if mine:
            subject = mine[0]
            others = {p: v for p, v in pairs if p != subject}
    if claim.metric == "miss rate":
        others = {p: 100.0 - v for p, v in others.items()}
    at = _number_position(claim.text, claim.value)
    ceiling = (claim.metric != "miss rate" and at is not None
               and bool(_CEILING.search(claim.text[max(0, at - 30):at])))
    return Claimed(quantity="hit_rate", value=value, unit="%", subject=subject, others=others,
                   as_written=("at most " if ceiling else "") + _written(claim.value, "%"),
                   limit="at_most" if ceiling else None)


def read_memory(claim: ExtractedClaim, policy: str) -> Claimed:
    """Memory saved (%) from "by X%" or "from A GB to B GB"; else one configuration's GB."""
    value, unit = claim.value, claim.unit
    assert value is not None
    if unit == "%":
        at = _number_position(claim.text, value)
        about = [m for m in _ABOUT.finditer(claim.text[:at])] if at is not None else []
        if about and about[-1].group(0).lower() not in ("memory", "footprint"):
            raise Unreadable(f"the {value:g}% is about {about[-1].group(0).lower()}, not memory; "
                             "the runtime compares memory savings and throughput ratios")
        if claim.direction != "lower" and not _SAVING.search(claim.text):
            raise Unreadable(f"{value:g}% of memory is not stated as a saving; nothing to re-measure")
        # "reduces memory to 20%" keeps 20%, i.e. saves 80%; "by 20%" saves 20%.
        remaining = at is not None and _TO_SHARE.search(claim.text[max(0, at - 30):at])
        saving = 100.0 - value if remaining else value
        before = claim.text[:at] if at is not None else ""
        small = not remaining and bool(_ONLY_NEAR.search(before) or _ONLY_VERB.search(before))
        return Claimed(quantity="memory_saving", value=saving, unit="%", subject=policy,
                       as_written=("to " if remaining else "only " if small else "") + _written(value, "%"),
                       limit="at_most" if small else None)
    if unit in ("GB", "MB", "TB"):
        scale = _MEM_SCALE[unit]
        pair = _FROM_TO.search(claim.text)
        if pair:
            before = float(pair["a"].replace(",", "")) * _MEM_SCALE[(pair["ua"] or pair["ub"]).upper()]
            after = float(pair["b"].replace(",", "")) * _MEM_SCALE[pair["ub"].upper()]
            if before <= 0 or after >= before:
                raise Unreadable(f"memory from {before:g} GB to {after:g} GB is not a saving")
            saving = (1.0 - after / before) * 100.0
            return Claimed(quantity="memory_saving", value=round(saving, 2), unit="%", subject=policy,
                           others={"before_gb": before, "after_gb": after},
                           as_written=f"{before:g} GB → {after:g} GB")
        return Claimed(quantity="memory_gb", value=value * scale, unit="GB", subject=policy,
                       as_written=_written(value, unit))
    raise Unreadable(f"a memory figure in {unit or 'no unit'} cannot be compared; give GB or %")
