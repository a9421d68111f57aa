"""The skeptic's evidence checks: silent on an honest draft's numbers, loud on real problems."""

from __future__ import annotations

import reports
from reports import findings as fk
from reports.sample_runs import sample_run
from tribunal.checks import number_mismatches, run_gaps, scale_and_fairness, skeptic_findings


def test_the_drafter_cites_a_source_for_every_number_it_writes():
    for k in range(10):
        run = sample_run(k, bad_headlines=k % 2 == 0)
        assert number_mismatches(reports.draft(run), run) == [], k


def test_a_check_against_another_baseline_is_an_unfair_comparison_until_qualified():
    run = sample_run(0)
    emp = run.claims[0].empirical
    emp.spec["baseline"], emp.spec["baseline_policy"] = "SE-MoE", "se-moe"  # not the paper's Cache-MoE
    d = reports.draft(run)
    found = scale_and_fairness(d, run)
    assert any(f.kind == fk.UNFAIR_COMPARISON and f.claim_id == run.claims[0].id for f in found)
    revised = reports.revise(d, run, found)
    assert scale_and_fairness(revised, run) == []
    assert any("not a like-for-like reproduction" in s.text for s in revised.results)


def test_retrieval_gaps_are_flagged_until_disclosed():
    run = sample_run(0)
    d = reports.draft(run)
    gaps = run_gaps(d, run)
    assert [f.kind for f in gaps] == [fk.RETRIEVAL_GAP] and "Cache-MoE" in gaps[0].message
    assert run_gaps(reports.revise(d, run, gaps), run) == []


def test_an_unreferenced_number_is_flagged():
    run = sample_run(0)
    d = reports.draft(run)
    d.results.append(reports.Sentence(text="ExpertFlow is 7x faster than everything."))
    assert any(f.kind == fk.UNREFERENCED_NUMBER for f in skeptic_findings(d, run))


def test_a_facet_answered_only_on_its_authors_word_keeps_the_panel_under_nine():
    from tests.tribunal.answer_runs import answer_run
    from tribunal.rubric import PARTIAL_CAP, answer_cap, evidence_weight

    seen = 0
    for k in range(4):
        run = answer_run(k)
        d = reports.draft(run)
        own = [a.facet for a in d.answer if a.status == "answered" and evidence_weight(d, run, a.facet) < 1.0]
        if own:
            seen += 1
            cap, why = answer_cap(d, run)
            assert cap <= PARTIAL_CAP and why
    assert seen, "no sample run has a facet answered only on its authors' word"


def test_an_ordering_check_without_figures_is_confirmed_and_reads_as_an_ordering():
    """"On-demand loading is faster than Cache-MoE" claims no figure: the validator confirms the
    check's row (nothing claimed on either side, the same measured ratio) instead of calling it a
    mismatch, and the claims table says what was claimed."""
    from reports import evidence as ev
    from tribunal.rubric import validator_findings

    run = sample_run(0)
    claim = run.claims[2]  # the Pre-gated MoE comparison, re-stated as a bare ordering
    claim.value, claim.unit = None, None
    emp = claim.empirical
    emp.claimed = {"quantity": "ordering", "value": None, "unit": "", "rank": "fastest",
                   "as_written": "faster than"}
    emp.measurements["comparisons"][0]["claimed"] = None
    d = reports.draft(run)
    found = [f for f in validator_findings(d, run) if f.check_id == emp.id]
    assert found and all(f.kind == fk.CONFIRMED for f in found), found
    line = ev.empirical_line(claim, run)
    assert "claimed an ordering (“faster than”)" in line and "1.2" in line


def test_a_report_measured_only_on_small_variants_or_in_simulation_stops_short_of_ten():
    """Measurements on the CPU's small variants and in simulation answer the question with limited
    confidence: the panel is capped under 10 until a check runs on a GPU."""
    from tests.tribunal.answer_runs import answer_run
    from tribunal.rubric import SCALE_CAP, scale_cap

    run = answer_run(0)
    assert run.question_checks and {e.backend for e in run.question_checks} == {"simulated"}
    cap, why = scale_cap(run)
    assert cap == SCALE_CAP < 10.0 and "GPU" in why
    run.question_checks[0].backend = "cuda"
    assert scale_cap(run) is None
