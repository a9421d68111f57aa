"""Orderings without a number: "on-demand loading is the slowest policy", "LRU is faster than
on-demand loading". They are tested by running the named policies (or, for "the fastest/slowest"
with one name, every offloading policy the runtime has) and comparing their tokens/s.

The extractor keeps only sentences with a number as quantitative claims, so a superlative is
read here from the sentence itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from verifier.aliases import find_mentions
from verifier.empirical.types import Claimed

# The runtime's policies an unqualified "the fastest/slowest policy" is measured against: the
# systems papers name, and the reference caches where the runtime has them. Belady is left out:
# it reads the exact future, a bound rather than a policy anyone can deploy.
NAMED_POLICIES = ("all-resident", "on-demand", "static", "lru", "se-moe", "pregated", "expertflow")
REFERENCE_POLICIES = ("lru-global", "lfu", "lfru")


def all_policies() -> list[str]:
    from expertflow_runtime.policies import policy_names

    known = set(policy_names())
    return [p for p in NAMED_POLICIES + REFERENCE_POLICIES if p in known]

_SUPERLATIVE = re.compile(r"\b(?:the\s+)?(?P<word>slowest|fastest|quickest)\b", re.IGNORECASE)
_COMPARATIVE = re.compile(r"\b(?P<word>slower|faster|quicker)\s+than\b", re.IGNORECASE)
_SPEED_WORDS = re.compile(r"\b(?:faster|slower|quicker|fastest|slowest|quickest)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d")


def _systems(text: str, policy_of: Callable[[str], str | None]) -> list[tuple[int, str]]:
    """(position, policy) of each system the sentence names, in order, once each; names the
    alias table does not know are tried word by word ('on-demand', 'LRU')."""
    found: dict[str, int] = {}
    for m in find_mentions(text):
        p = policy_of(m.name) if m.kind == "system" else None
        if p and p not in found:
            found[p] = m.start
    for m in re.finditer(r"[A-Za-z][\w-]*(?:\s+(?:loading|cache|caching))?", text):
        p = policy_of(m.group(0))
        if p and p not in found:
            found[p] = m.start()
    return sorted((pos, p) for p, pos in found.items())


def read_ordering(text: str, policy_of: Callable[[str], str | None]) -> tuple[Claimed, list[str]] | None:
    """(the claimed ordering, the other policies to run) when ``text`` states which policy is
    faster or fastest without a number; None otherwise."""
    if _NUMBER.search(_SPEED_WORDS.sub("", text)) and _COMPARATIVE.search(text):
        return None  # "3× faster than": a speed-up with a number, read elsewhere
    named = _systems(text, policy_of)
    if not named:
        return None
    sup = _SUPERLATIVE.search(text)
    if sup:
        rank = "slowest" if sup["word"].lower() == "slowest" else "fastest"
        before = [p for pos, p in named if pos < sup.start()]
        subject = before[-1] if before else named[0][1]
        others = [p for _, p in named if p != subject] or [p for p in all_policies() if p != subject]
        return Claimed(quantity="ordering", value=None, unit="", subject=subject, rank=rank,
                       as_written=sup.group(0)), others
    comp = _COMPARATIVE.search(text)
    if comp:
        before = [p for pos, p in named if pos < comp.start()]
        after = [p for pos, p in named if pos > comp.start()]
        if not before or not after or before[-1] == after[0]:
            return None
        rank = "slowest" if comp["word"].lower() == "slower" else "fastest"
        return Claimed(quantity="ordering", value=None, unit="", subject=before[-1], rank=rank,
                       as_written=comp.group(0)), [after[0]]
    return None
