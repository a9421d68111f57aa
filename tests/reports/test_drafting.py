"""Drafting from a run's rows: nothing invented, every claim accounted for, gaps disclosed."""

from __future__ import annotations

import reports
from domain.run_data import EmpiricalData, RunData
from reports import evidence as ev
from reports import findings as fk
from reports.drafting import claim_sentences
from reports.sample_runs import sample_run


def test_claims_table_copies_the_run_verbatim():
    run = sample_run(2)
    d = reports.draft(run)
    assert [r.claim_id for r in d.claims] == [c.id for c in run.claims]
    for row, c in zip(d.claims, run.claims):
        assert row.text == c.text and row.verdict == ev.verdict(c) and row.passage_id == c.passage_id
        assert (row.attribution, row.independent) == (c.text_check.attribution, c.text_check.independent)
        decided = c.text_check.independent in ("CORROBORATED", "CONTRADICTED")
        assert row.confidence == (c.text_check.confidence if decided else None)
    for row in d.empirical:
        c = next(c for c in run.claims if c.id == row.claim_id)
        assert row.measured == c.empirical.measurements["measured"] and row.verdict == c.empirical.verdict


def test_claims_without_an_empirical_verdict_say_why():
    run = sample_run(0)
    rows = {r.claim_id: r for r in reports.draft(run).claims}
    assert rows[run.claims[1].id].empirical == (
        "empirical checks: not run — memory at 8x7B scale needs a GPU this machine lacks")
    assert rows[run.claims[3].id].empirical == "empirical checks: not run — no experiment maps to this claim"
    assert rows[run.claims[5].id].empirical.startswith("empirical checks: not run — a method claim")
    assert rows[run.claims[0].id].empirical.startswith("REPRODUCED: speedup claimed")


def test_offline_and_abstract_only_runs_say_so():
    run = sample_run(1)
    assert run.offline
    text = " ".join(s.text for s in reports.draft(run).uncertainties)
    assert "arXiv was not reachable" in text and "from the abstract only" in text
    online = reports.draft(sample_run(2))
    assert "arXiv was not reachable" not in " ".join(s.text for s in online.uncertainties)


def test_an_empty_run_drafts_without_inventing_anything():
    d = reports.draft(RunData(run_id="r0", question="Is there anything on MoE offloading?"))
    assert d.claims == [] and d.empirical == [] and d.figures == []
    md = reports.render_markdown(d)
    assert "Of 0 extracted claims, 0 are supported" in md
    assert "No empirical check finished" in md


def test_revision_withdraws_contradicted_and_qualifies_unverified_claims():
    run = sample_run(0, bad_headlines=True)
    d = reports.draft(run)
    contradicted, unverified = run.claims[0].id, run.claims[1].id
    assert contradicted not in d.stated_claim_ids(("abstract",))  # the drafter never quotes it
    d.abstract += claim_sentences(run.claims[0], run)[:1]  # a drafter (an LLM, say) that does
    assert {contradicted, unverified} <= d.stated_claim_ids(("abstract",))
    findings = [
        fk.Finding(kind=fk.CONTRADICTED_STATED, severity="critical", claim_id=contradicted, message="x"),
        fk.Finding(kind=fk.UNSUPPORTED_STATED, severity="major", claim_id=unverified, message="y"),
        fk.Finding(kind=fk.CONFIRMED, severity="ok", claim_id=run.claims[2].id, message="fine"),
    ]
    r = reports.revise(d, run, findings)
    assert r.round == d.round + 1 and r.author == "reviser"
    assert not {contradicted, unverified} & r.stated_claim_ids()
    assert run.claims[2].id in r.stated_claim_ids()  # a confirmed claim stays
    status = {row.claim_id: row.status for row in r.claims}
    assert status[contradicted] == "withdrawn" and status[unverified] == "qualified"
    assert d.stated_claim_ids(("abstract",)) >= {contradicted}  # the input draft is untouched


def test_revision_rereads_numbers_and_adds_scale_caveats():
    run = sample_run(0)
    d = reports.draft(run)
    emp_claim = run.claims[0]
    bad = d.model_copy(deep=True)
    bad.empirical[0].measured = 9.99
    findings = [
        fk.Finding(kind=fk.NUMBER_MISMATCH, severity="critical", claim_id=emp_claim.id,
                   check_id=emp_claim.empirical.id, message="altered"),
        fk.Finding(kind=fk.SMALL_SCALE_OVERREACH, severity="major", claim_id=emp_claim.id,
                   check_id=emp_claim.empirical.id, message="small"),
    ]
    r = reports.revise(bad, run, findings)
    row = next(x for x in r.empirical if x.check_id == emp_claim.empirical.id)
    assert row.measured == emp_claim.empirical.measurements["measured"]
    said = [s.text for s in r.results if f"E{emp_claim.empirical.id}" in s.refs]
    assert said and all("not at the paper's scale" in t for t in said)



def test_not_testable_queued_and_failed_checks_are_not_measurements():
    run = sample_run(0)
    c_not, c_queued, c_failed = run.claims[1], run.claims[3], run.claims[4]
    c_not.empirical = EmpiricalData(id=901, status="done", verdict="NOT_TESTABLE",
                                    reason="no runtime experiment measures latency on long prompts")
    c_queued.empirical = EmpiricalData(id=902, status="queued", spec={"preset": "mixtral-8x7b"})
    c_failed.empirical = EmpiricalData(id=903, status="failed", error="CUDA out of memory")
    d = reports.draft(run)
    rows = {r.claim_id: r.empirical for r in d.claims}
    assert rows[c_not.id] == "empirical checks: not run — no runtime experiment measures latency on long prompts"
    assert rows[c_queued.id] == "empirical checks: not run — the check was still queued when this report was drafted"
    assert rows[c_failed.id] == "empirical checks: not run — the check failed: CUDA out of memory"
    assert {r.check_id for r in d.empirical}.isdisjoint({901, 902, 903})


def test_a_serious_finding_of_an_unknown_kind_qualifies_its_claim():
    run = sample_run(2)
    d = reports.draft(run)
    target = run.claims[4].id
    assert target in d.stated_claim_ids()
    r = reports.revise(d, run, [{"kind": "cherry_picked_workload", "severity": "major", "claim_id": target,
                                 "message": "only one workload", "source": "llm"},
                                {"kind": "style", "severity": "minor", "claim_id": run.claims[0].id, "message": "m"}])
    assert target not in r.stated_claim_ids() and run.claims[0].id in r.stated_claim_ids()
    assert next(x for x in r.claims if x.claim_id == target).status == "qualified"


def test_the_abstract_never_quotes_a_sentence_that_holds_a_contradicted_claim():
    """"ExpertFlow achieves 7.5x over LRU, reaching a 99.7% hit rate": the speed-up failed, the hit
    rate is only unverified. Quoting the sentence for the hit rate would restate the failed 7.5x
    under an UNVERIFIED status, so the abstract quotes neither; the claims table keeps both."""
    run = sample_run(0, bad_headlines=True)
    bad = next(c for c in run.claims if c.text_check.verdict == "CONTRADICTED")
    other = next(c for c in run.claims if ev.verdict(c) == "UNVERIFIED" and c.id != bad.id)
    other.text = bad.text  # two claims of one sentence
    d = reports.draft(run)
    assert not {bad.id, other.id} & d.stated_claim_ids(("abstract",))
    assert not any(bad.text in s.text for s in d.abstract)
    assert {bad.id, other.id} <= {row.claim_id for row in d.claims}
