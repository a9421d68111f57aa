"""Which passages count as independent of a claim, and which system a passage speaks of.

A claim's own paper is its authors' word, never evidence for it; nor is another paper by the
same authors (when author lists are known). Two papers may present different systems under one
name (arXiv 2410.17954 and 2510.26730 both present an "ExpertFlow"): when both the claim's paper
and the evidence's paper present a system of that name, the evidence describes its own system,
not the claim's, and is not evidence either way.
"""

from __future__ import annotations

import re
import unicodedata

from verifier.aliases import find_mentions
from verifier.compare import PassageFacts
from verifier.extract import coined_systems, is_coined_name
from verifier.types import PassageRef

# "we propose ExpertFlow", "this paper presents a runtime, ExpertFlow, ..." — the paper's own system.
_PRESENTS = re.compile(r"\b(?:we|this\s+(?:paper|work|article))\s+(?:\w+\s+){0,2}?"
                       r"(?:propos|present|introduc|design|develop|build|buil|describ)\w*\b", re.IGNORECASE)
_PRESENT_SPAN = 120  # characters after the verb in which the presented system is named


def _person(name: str) -> str:
    """An author name folded for comparison: no accents, case or punctuation."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(re.findall(r"[a-z]+", plain.lower()))


def shares_authors(a: PassageRef, b: PassageRef) -> bool:
    """True when both author lists are known and name a common person."""
    if not a.authors or not b.authors:
        return False
    return bool({_person(x) for x in a.authors} & {_person(x) for x in b.authors} - {""})


def independent_of(own: PassageRef | None, other: PassageRef) -> bool:
    """Whether ``other`` can be evidence about a claim whose source is ``own``."""
    if own is None:
        return True
    return other.paper_id != own.paper_id and not shares_authors(own, other)


def presented_systems(passage: PassageRef) -> set[str]:
    """Systems the passage's paper presents as its own: named at the head of its title
    ("ExpertFlow: ...") or right after "we propose/present/introduce" in its text. Known names
    come canonical; a name the alias tables do not know counts when the text coins it ("we
    present SwiftExpert, ...") or it alone heads the title ("SwiftExpert: Fast ...")."""
    out: set[str] = set()
    title = passage.title or ""
    head = title.split(":", 1)[0] if ":" in title else title[:40]
    out |= {m.name for m in find_mentions(head) if m.kind == "system"}
    if ":" in title and is_coined_name(head.strip()):
        out.add(head.strip())
    for m in _PRESENTS.finditer(passage.text):
        span = passage.text[m.end():m.end() + _PRESENT_SPAN]
        out |= {mn.name for mn in find_mentions(span) if mn.kind == "system"}
        out |= set(coined_systems(passage.text[m.start():m.end() + _PRESENT_SPAN]))
    return out


def homonym(system: str | None, own: PassageRef | None, other: PassageRef) -> bool:
    """True when ``other``'s paper presents its own system named ``system`` and so does the
    claim's paper: two systems under one name, so ``other`` is not about the claim's system."""
    if not system or own is None or other.paper_id == own.paper_id:
        return False
    return system in presented_systems(own) and system in presented_systems(other)


def sentence_subjects(pf: PassageFacts) -> list[str | None]:
    """The system each sentence of a passage speaks of: the one it names, else the last one
    named earlier in its paragraph ("First, a predictor ..." after "ExpertFlow combines ...")."""
    named: dict[int, str] = {}
    for i, fact in pf.facts:
        if fact.fields.get("system") and i not in named:
            named[i] = fact.fields["system"]
    out: list[str | None] = []
    current: str | None = None
    prev_end = 0
    for i, (s, e) in enumerate(pf.sentences):
        if "\n\n" in pf.text[prev_end:s]:
            current = None
        prev_end = e
        current = named.get(i, current)
        out.append(current)
    return out
