"""The panel against defects it was not written around: for each kind, ten planted drafts (ten
runs: different questions, facets, numbers, paper order; the plant varies its place and form),
each scored against its clean twin. A kind passes when the planted draft scores lower AND the
skeptic names the defect (its kind, on the planted facet or claim) in at least 9 of 10."""

from __future__ import annotations

import pytest

import reports
from reports import Draft
from tests.tribunal.answer_planting import PLANTS
from tests.tribunal.answer_runs import answer_run
from tribunal import decide, review_draft

# Finding kinds that name each defect (an altered number may be caught as either number kind).
NAMES = {
    "facet_dropped": {"facet_dropped"},
    "failed_claim_as_finding": {"failed_claim_as_finding", "contradicted_stated"},
    "homonym_confusion": {"homonym_confusion"},
    "untraced_number": {"number_mismatch", "unreferenced_number", "untraced_number"},
    "off_topic_paper": {"off_topic_paper"},
}
VARIANTS = range(10)


def _named(result, kinds: set[str], target: tuple[str, int]) -> bool:
    what, ident = target
    for f in result.findings("skeptic"):
        if f.kind in kinds and f.severity in ("critical", "major"):
            if (what == "facet" and f.facet_id == ident) or (what == "claim" and f.claim_id == ident):
                return True
    return False


@pytest.mark.slow  # ten clean/planted pairs per kind through the whole panel: about 10 s a kind
@pytest.mark.parametrize("kind", list(PLANTS))
def test_planted_defect_scores_lower_and_is_named(kind):
    caught, missed = 0, []
    for k in VARIANTS:
        run = answer_run(k)
        clean = reports.draft(run)
        planted, target = PLANTS[kind](clean, run, k)
        assert planted != clean, f"variant {k}: the plant changed nothing"
        s_clean, s_planted = review_draft(clean, run, 1), review_draft(planted, run, 1)
        if s_planted.score < s_clean.score and _named(s_planted, NAMES[kind], target):
            caught += 1
        else:
            missed.append((k, s_clean.score, s_planted.score))
    assert caught >= 9, f"{kind}: caught {caught} of 10; missed (variant, clean, planted): {missed}"


def test_the_ten_runs_are_distinct():
    drafts = {reports.render_markdown(reports.draft(answer_run(k))) for k in VARIANTS}
    assert len(drafts) == 10


def test_an_empty_draft_is_not_ready():
    run = answer_run(0)
    empty = Draft(run_id=run.run_id, title="Evidence report", question=run.question)
    assert decide(run, empty, review_draft(empty, run, 1)).outcome != "READY"


def test_a_draft_that_answers_no_facet_is_not_ready():
    for k in (0, 3):
        run = answer_run(k)
        d = reports.draft(run)
        for a in d.answer:
            a.status, a.gap, a.claim_ids, a.check_ids = "gap", "not answered", [], []
            a.sentences = [reports.Sentence(text="Not answered.")]
        assert decide(run, d, review_draft(d, run, 1)).outcome != "READY"
