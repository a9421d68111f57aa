"""For ten clean/planted draft pairs the panel scores the planted one lower, and the
skeptic's findings name the planted claim."""

import pytest

import reports
from reports.sample_runs import sample_run
from tribunal import review_draft
from tribunal.planting import altered_measurement, contradicted_as_supported, dropped_baseline

PAIRS = [
    (0, contradicted_as_supported, {}), (1, dropped_baseline, {"nth": 0}), (2, altered_measurement, {"nth": 0}),
    (3, contradicted_as_supported, {}), (4, dropped_baseline, {"nth": 1}), (5, altered_measurement, {"nth": 1}),
    (6, dropped_baseline, {"nth": 2}), (7, altered_measurement, {"nth": 0}), (8, contradicted_as_supported, {}),
    (9, dropped_baseline, {"nth": 1}),
]


@pytest.mark.parametrize("variant,plant,kw", PAIRS, ids=[f"{v}-{p.__name__}" for v, p, _ in PAIRS])
def test_planted_error_scores_lower_and_is_named(variant, plant, kw):
    run = sample_run(variant, bad_headlines=variant % 3 == 2)
    clean = reports.draft(run)
    planted, claim_id = plant(clean, run, **kw)
    assert planted != clean  # the plant changed the draft
    s_clean = review_draft(clean, run, 1)
    s_planted = review_draft(planted, run, 1)
    assert s_planted.score < s_clean.score
    named = {f.claim_id for f in s_planted.findings("skeptic") if f.severity in ("critical", "major")}
    assert claim_id in named
    clean_named = {(f.kind, f.claim_id) for f in s_clean.findings("skeptic")}
    new = {(f.kind, f.claim_id) for f in s_planted.findings("skeptic")} - clean_named
    assert any(cid == claim_id for _, cid in new), "the planted error is a new finding, not an old one"


def test_ten_distinct_pairs():
    drafts = {reports.render_markdown(reports.draft(sample_run(v, bad_headlines=v % 3 == 2))) for v, _, _ in PAIRS}
    assert len(drafts) == 10
