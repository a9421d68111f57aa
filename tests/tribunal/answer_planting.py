"""Planted defects in the Answer, of kinds a researcher catches and a verdict-matching rubric does
not: a facet silently dropped, a failed claim presented as a finding, a homonym mix-up, a number
that traces to no row, an off-topic paper leading. Each plant edits a clean draft and returns
(planted draft, what the skeptic must name: ("facet", id) or ("claim", id))."""

from __future__ import annotations

import re

from domain.run_data import RunData
from reports import Draft, Sentence
from reports.answer import claim_status
from reports.refs import fmt
from tests.tribunal.answer_runs import OFF_TOPIC, TWIN


def _answered(d: Draft) -> list:
    return [a for a in d.answer if a.status == "answered"]


def drop_facet(d: Draft, run: RunData, nth: int) -> tuple[Draft, tuple[str, int]]:
    """Remove an answered facet from the Answer and from the abstract's list of facets."""
    bad = d.model_copy(deep=True)
    gone = _answered(bad)[nth % len(_answered(bad))]
    bad.answer = [a for a in bad.answer if a.facet_id != gone.facet_id]
    for s in bad.abstract:
        s.text = s.text.replace(f", {gone.facet}", "").replace(f"{gone.facet}, ", "").replace(f"({gone.facet})", "")
        s.text = re.sub(r"has \d+ facets", f"has {len(bad.answer)} facets", s.text)
    return bad, ("facet", gone.facet_id)


def failed_as_finding(d: Draft, run: RunData, nth: int) -> tuple[Draft, tuple[str, int]]:
    """Present a contradicted or not-reproduced claim as a finding the evidence bears out, and drop
    the abstract's sentence that names its failure."""
    bad = d.model_copy(deep=True)
    failed = [c for c in run.claims if claim_status(c, run) in ("contradicted", "not_reproduced")]
    c = failed[nth % len(failed)]
    line = Sentence(text=f"{c.paper_id} reports “{c.text}” (borne out by another retrieved paper).",
                    refs=[f"P{c.passage_id}", f"C{c.id}"], claim_ids=[c.id])
    replaced = False
    for a in bad.answer:
        for i, s in enumerate(a.sentences):
            if f"C{c.id}" in s.refs and not s.claim_ids:
                a.sentences[i] = line.model_copy()
                replaced = True
    if not replaced or nth % 2:
        target = bad.answer[nth % len(bad.answer)]
        target.sentences.insert(0, line.model_copy())
        target.status = "answered"
    bad.abstract = [s for s in bad.abstract if f"C{c.id}" not in s.refs or "'s claim of" not in s.text]
    return bad, ("claim", c.id)


def homonym_mixup(d: Draft, run: RunData, nth: int) -> tuple[Draft, tuple[str, int]]:
    """Count the other ExpertFlow's claim as ExpertFlow's, and drop the sentence telling them apart."""
    bad = d.model_copy(deep=True)
    twin = next(c for c in run.claims if c.paper_id == TWIN[0])
    facets = [a for a in bad.answer if "ExpertFlow" in a.facet]
    a = facets[nth % len(facets)]
    a.sentences = [s for s in a.sentences if "also called" not in s.text]
    line = Sentence(text=f"ExpertFlow ({twin.paper_id}) reports “{twin.text}” (only its authors state it).",
                    refs=[f"P{twin.passage_id}", f"C{twin.id}"], claim_ids=[twin.id])
    a.sentences.insert(0 if nth % 2 else len(a.sentences) - 1, line)
    for other in bad.answer:
        other.sentences = [s for s in other.sentences if "also called" not in s.text]
    return bad, ("claim", twin.id)


def untraced_number(d: Draft, run: RunData, nth: int) -> tuple[Draft, tuple[str, int]]:
    """Put a number in the Answer that no row carries: alter a measured figure, or add a figure
    citing a claim that does not state it, or one citing nothing."""
    bad = d.model_copy(deep=True)
    mode = nth % 3
    if mode == 0:
        for a in bad.answer:
            for s in a.sentences:
                e = next((r for r in bad.empirical if f"E{r.check_id}" in s.refs and r.measured), None)
                if e is not None and fmt(e.measured, e.unit) in s.text:
                    s.text = s.text.replace(fmt(e.measured, e.unit), fmt(round(e.measured * 1.4, 2), e.unit))
                    return bad, ("facet", a.facet_id)
    a = _answered(bad)[nth % len(_answered(bad))]
    cited = next(c for c in run.claims if c.paper_id not in (TWIN[0], OFF_TOPIC[0]))
    x = round(2.7 + 0.3 * nth, 1)
    refs = [f"C{cited.id}"] if mode == 1 else []
    a.sentences.insert(1, Sentence(text=f"Across the papers ExpertFlow is about {x}× faster than its baselines.",
                                   refs=refs))
    return bad, ("facet", a.facet_id)


def off_topic_leading(d: Draft, run: RunData, nth: int) -> tuple[Draft, tuple[str, int]]:
    """Lead the Answer (or the abstract) with a paper off the question's topic."""
    bad = d.model_copy(deep=True)
    c = next(c for c in run.claims if c.paper_id == OFF_TOPIC[0])
    line = Sentence(text=f"{c.paper_id} reports “{c.text}” (only its authors state it).",
                    refs=[f"P{c.passage_id}", f"C{c.id}"], claim_ids=[c.id])
    if nth % 2:
        bad.abstract.insert(0, line)
    else:
        bad.answer[0].sentences.insert(0, line)
    return bad, ("claim", c.id)


PLANTS = {
    "facet_dropped": drop_facet,
    "failed_claim_as_finding": failed_as_finding,
    "homonym_confusion": homonym_mixup,
    "untraced_number": untraced_number,
    "off_topic_paper": off_topic_leading,
}
