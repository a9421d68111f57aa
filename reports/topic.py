"""Which papers and claims are on the question's topic: a claim or a facet naming a term, papers
that give a different system the same name, and how a paper is named in the report."""

from __future__ import annotations

import re

from domain.run_data import ClaimData, FacetData, PaperData, RunData
from reports import evidence as ev

# Facet kinds that pin the question's topic: a paper none of whose claims or title touches one of
# them is off the question's topic and does not speak in the Answer.
ANCHOR_KINDS = ("system", "baseline", "model", "comparison", "dataset", "topic")
SPEED_METRICS = ("throughput", "speedup", "latency")


def squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def claim_mentions(c: ClaimData, term: str) -> bool:
    """Whether a claim's structured fields or its sentence name `term` (a canonical name)."""
    if term in SPEED_METRICS and c.metric in SPEED_METRICS:
        return True
    fields = [c.system, c.baseline, c.model, c.hardware, c.dataset, c.metric]
    return any(f and squash(f) == squash(term) for f in fields) or ev.mentions(c.text, term)


def addresses(f: FacetData, c: ClaimData) -> bool:
    """A comparison facet needs every one of its terms; any other facet one of them."""
    if not f.terms:
        return False
    hits = [claim_mentions(c, t) for t in f.terms]
    return all(hits) if f.kind == "comparison" else any(hits)


def homonyms(run: RunData) -> dict[str, tuple[str, list[str]]]:
    """System name -> (the paper that introduced the name, other papers whose title gives a
    different system the same name). Titles of the form "Name: ..." name a system; the first
    published (lowest arXiv id) is taken as the system the question means, the one the field's
    citations and the runtime's ExpertFlow (2410.17954) refer to."""
    named: dict[str, list[PaperData]] = {}
    for p in run.papers:
        head = p.title.split(":", 1)[0].strip() if ":" in p.title else ""
        if head and len(head.split()) <= 3:
            named.setdefault(squash(head), []).append(p)
    out = {}
    for key, papers in named.items():
        if len(papers) < 2:
            continue
        name = papers[0].title.split(":", 1)[0].strip()
        ids = sorted(p.id for p in papers)
        original = ids[0]
        out[name] = (original, [i for i in ids if i != original])
    return out


def homonym_papers(run: RunData) -> dict[str, str]:
    """Paper id -> the system name it shares with the (different) system the question means."""
    return {pid: name for name, (_, others) in homonyms(run).items() for pid in others}


def asked_homonyms(run: RunData) -> dict[str, str]:
    """:func:`homonym_papers` for the names the question itself uses (a facet's term): only then
    does the question mean one system by the name, so only then are the other papers' claims
    kept out of the Answer. Two same-named systems the question does not name are two systems,
    each told by its paper."""
    asked = {squash(t) for f in run.facets for t in f.terms}
    return {pid: name for pid, name in homonym_papers(run).items() if squash(name) in asked}


def on_topic_papers(run: RunData) -> set[str]:
    """Papers with a claim or a title on one of the question's anchor facets (all papers when the
    question has no anchor facet). A homonym paper is on topic only through other facets."""
    anchors = [f for f in run.facets if f.kind in ANCHOR_KINDS and f.terms]
    if not anchors:
        return {p.id for p in run.papers}
    twins = homonym_papers(run)
    out = set()
    for p in run.papers:
        terms = [t for f in anchors for t in f.terms if squash(t) != squash(twins.get(p.id, "\0"))]
        if any(ev.mentions(p.title, t) for t in terms) or any(
                c.paper_id == p.id and any(claim_mentions(c, t) for t in terms) for c in run.claims):
            out.add(p.id)
    return out


def paper_label(p: PaperData | None, pid: str) -> str:
    if p is not None and ":" in p.title and len(p.title.split(":", 1)[0].split()) <= 3:
        return f"{p.title.split(':', 1)[0].strip()} ({pid})"
    return pid
