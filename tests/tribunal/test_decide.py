"""decide: thresholds from settings, and a contradicted claim in the abstract always escalates."""

from __future__ import annotations

import pytest

import reports
from domain.reviews import ReviewFields
from reports.drafting import claim_sentences
from reports.sample_runs import sample_run
from tribunal import DecideSettings, PanelResult, decide, review_draft


def _panel(score: float, findings: list[dict] | None = None) -> PanelResult:
    reviews = [ReviewFields(round=1, role=r, score=score, findings=findings or []) for r in
               ("skeptic", "validator", "synthesizer")]
    return PanelResult(round=1, score=score, reviews=reviews, summary="")


@pytest.fixture
def clean():
    """A revised draft with nothing contradicted in its abstract."""
    run = sample_run(2)
    d = reports.draft(run)
    first = review_draft(d, run, 1)
    return run, reports.revise(d, run, [f for r in first.reviews for f in r.findings])


@pytest.mark.parametrize("score,expected", [(9.0, "READY"), (8.0, "READY"), (7.9, "ESCALATE_TO_OWNER"),
                                            (3.0, "ESCALATE_TO_OWNER"), (2.9, "REJECT")])
def test_default_thresholds(clean, score, expected):
    run, d = clean
    out = decide(run, d, _panel(score))
    assert out.outcome == expected and out.reasons


def test_thresholds_come_from_settings(clean):
    run, d = clean
    strict = DecideSettings(ready_score=9.5, reject_score=5.0)
    assert decide(run, d, _panel(9.0), strict).outcome == "ESCALATE_TO_OWNER"
    assert decide(run, d, _panel(4.9), strict).outcome == "REJECT"


def test_a_contradicted_claim_in_the_abstract_escalates_whatever_the_score():
    run = sample_run(0, bad_headlines=True)
    d = reports.draft(run)
    bad = next(c for c in run.claims if c.text_check.verdict == "CONTRADICTED")
    contradicted = bad.id
    d.abstract += claim_sentences(bad, run)[:1]  # a drafter (an LLM, say) that quotes it
    assert contradicted in d.stated_claim_ids(("abstract",))
    for score in (10.0, 1.0):
        out = decide(run, d, _panel(score))
        assert out.outcome == "ESCALATE_TO_OWNER" and f"C{contradicted}" in out.reasons[0]


def test_an_open_critical_finding_escalates_a_high_score(clean):
    run, d = clean
    finding = {"kind": "number_mismatch", "severity": "critical", "claim_id": run.claims[0].id, "message": "m"}
    out = decide(run, d, _panel(9.5, [finding]))
    assert out.outcome == "ESCALATE_TO_OWNER" and f"C{run.claims[0].id}" in out.reasons[0]
