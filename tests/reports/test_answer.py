"""The Answer: one entry per facet of the question, each answered from rows or a gap with its
reason; failed claims named as such; the other ExpertFlow and off-topic papers kept out."""

from __future__ import annotations

import reports
from domain.run_data import ClaimData, EmpiricalData
from domain.verdicts import TextCheckFields
from reports.answer import HOMONYM_PHRASE, claim_status
from tests.tribunal.answer_runs import OFF_TOPIC, TWIN, answer_run


def test_one_entry_per_facet_each_with_rows_or_a_gap_and_its_reason():
    for k in range(4):
        run = answer_run(k)
        d = reports.draft(run)
        assert [a.facet_id for a in d.answer] == [f.id for f in run.facets]
        for a in d.answer:
            if a.status == "gap":
                assert a.gap and a.sentences[-1].text.startswith("Not answered")
            else:
                assert any(t[0] in "CE" for s in a.sentences for t in s.refs), a.facet
        pope = next((a for a in d.answer if a.facet == "POPE"), None)
        if pope is not None:
            assert pope.status == "gap" and "model-quality benchmark" in pope.gap


def test_failed_claims_are_named_in_the_answer_and_the_abstract_never_stated_as_findings():
    run = answer_run(1)
    d = reports.draft(run)
    failed = [c for c in run.claims if claim_status(c, run) in ("contradicted", "not_reproduced")]
    assert failed
    for c in failed:
        cited = [s for s in d.answer_sentences() if f"C{c.id}" in s.refs]
        assert cited and all(c.id not in s.claim_ids for s in cited)
        assert all("contradicted" in s.text or "not reproduced" in s.text for s in cited)
        assert any(f"C{c.id}" in s.refs and ("contradicted" in s.text or "not reproduced" in s.text)
                   for s in d.abstract)


def test_the_other_expertflow_and_off_topic_papers_do_not_speak_in_the_answer():
    run = answer_run(2)
    d = reports.draft(run)
    stated = {cid for a in d.answer for s in a.sentences for cid in s.claim_ids}
    by_paper = {c.id: c.paper_id for c in run.claims}
    assert not any(by_paper[c] in (TWIN[0], OFF_TOPIC[0]) for c in stated)
    ef = next(a for a in d.answer if a.facet == "ExpertFlow")
    assert any(HOMONYM_PHRASE in s.text and TWIN[0] in s.text for s in ef.sentences)


def test_the_experiment_measured_for_the_question_is_in_the_answer_and_the_empirical_table():
    run = answer_run(3)
    d = reports.draft(run)
    e = run.question_checks[0]
    comparison = next(a for a in d.answer if a.kind == "comparison")
    assert comparison.status == "answered" and e.id in comparison.check_ids
    assert any(s.text.startswith("Measured for this question") for s in comparison.sentences)
    row = next(r for r in d.empirical if r.check_id == e.id)
    assert row.claim_id is None and row.verdict == "measured for this question" and row.caveats


def test_the_markdown_opens_with_the_answer_and_the_json_carries_it():
    d = reports.draft(answer_run(0))
    md = reports.render_markdown(d)
    assert md.index("## Answer") < md.index("## Abstract") < md.index("## Results")
    assert "### POPE (dataset) — not answered" in md
    doc = reports.render_json(d)
    assert [a["facet"] for a in doc["answer"]] == [a.facet for a in d.answer]
    assert all(a["gap"] or a["status"] == "answered" for a in doc["answer"])
    assert "<h2>Answer</h2>" in reports.render_html(d, plotlyjs="none")


def test_each_claim_and_experiment_is_stated_under_one_facet_and_pointed_to_elsewhere():
    for k in range(4):
        run = answer_run(k)
        d = reports.draft(run)
        where: dict[str, list[str]] = {}
        for a in d.answer:
            for s in a.sentences:
                if "“" in s.text and "is given under" not in s.text:
                    where.setdefault(s.text.split("“", 1)[1].split("”", 1)[0], []).append(a.facet)
                if s.text.startswith("Measured for this question"):
                    where.setdefault(s.text, []).append(a.facet)
        repeated = {q: fs for q, fs in where.items() if len(set(fs)) > 1}
        assert not repeated, repeated
        for a in d.answer:  # a facet whose rows are stated elsewhere still cites them
            if a.status == "answered":
                assert any(t[0] in "CE" for s in a.sentences for t in s.refs), a.facet


def test_a_failed_check_resting_on_assumed_settings_says_so_in_the_abstract():
    """A verdict the experiment reached only by assuming what the claim leaves out (its model, its
    batch size) is named in the abstract with those assumptions beside it."""
    run = answer_run(0)
    c = next(c for c in run.claims if c.id == 11)
    c.empirical.verdict = "NOT_REPRODUCED"
    c.empirical.spec["assumed"] = ["model not named: Mixtral-8x7B (hand-written setup)",
                                   "batch size not stated: 32 (hand-written setup)"]
    assert claim_status(c, run) == "not_reproduced"
    lead = [s.text for s in reports.draft(run).abstract if "not reproduced" in s.text]
    assert lead and lead[0].endswith("is not reproduced by our runtime (at an assumed model and batch size: "
                                     "the claim does not state them).")


def test_a_failed_ordering_claim_reads_as_a_comparison_with_what_ranked_how():
    """An ordering ("on-demand loading is faster than LRU caching") has no figure: the Answer
    calls it the paper's comparison (never "its its method") and says what the check ranked,
    not "measured 0.78 against n/a"."""
    run = answer_run(0)
    text = "On-demand loading is faster than LRU caching in every setting we tried"
    first = run.claims[0]
    run.claims.append(ClaimData(
        id=990, paper_id=first.paper_id, passage_id=first.passage_id, kind="comparison", text=text,
        system="on-demand loading", baseline="Cache-MoE",
        text_check=TextCheckFields(verdict="UNVERIFIED", confidence=0.5, attribution="ATTRIBUTED"),
        empirical=EmpiricalData(
            id=991, status="done", verdict="NOT_REPRODUCED", backend="cpu",
            claimed={"quantity": "ordering", "value": None, "unit": "", "rank": "fastest", "subject": "on-demand"},
            measurements={"scale": {"backend": "cpu", "preset": "mixtral-tiny"}},
            reason="on-demand is not the fastest: faster than it by median: Cache-MoE (÷ Cache-MoE: 0.78×). "
                   "The verdict rests on the small scale")))
    d = reports.draft(run)
    said = [s.text for s in d.answer_sentences() + list(d.abstract) if "C990" in s.refs]
    assert said and all("its its" not in t and "n/a" not in t and "its method" not in t for t in said), said
    assert any("comparison" in t and "on-demand is not the fastest" in t for t in said), said


def test_every_failed_claim_the_answer_names_is_named_in_the_abstract():
    """A facet quotes a paper's first claims that no earlier facet stated; a failed one among them
    (here the fourth claim of a paper whose first is stated under an earlier facet) is a claim the
    facet lists, so the abstract names it too."""
    for k in range(4):
        run = answer_run(k)
        first = next(c for c in run.claims if c.system == "ExpertFlow")
        for i, verdict in enumerate(("REPRODUCED", "REPRODUCED", "NOT_REPRODUCED")):
            run.claims.append(ClaimData(
                id=980 + i, paper_id=first.paper_id, passage_id=first.passage_id, kind="quantitative",
                text=f"ExpertFlow reaches {2 + i}.5x higher throughput than Cache-MoE in setting {i}",
                system="ExpertFlow", baseline="Cache-MoE", metric="throughput", value=2.5 + i, unit="×",
                text_check=TextCheckFields(verdict="UNVERIFIED", confidence=0.5, attribution="ATTRIBUTED"),
                empirical=EmpiricalData(id=985 + i, status="done", verdict=verdict, backend="cpu",
                                        claimed={"value": 2.5 + i, "unit": "×"},
                                        measurements={"measured": 2.4 + i, "scale": {"backend": "cpu"}})))
        d = reports.draft(run)
        failed_in_answer = {t[1:] for s in d.answer_sentences() for t in s.refs
                            if t[0] == "C" and ("not reproduced" in s.text or "contradicted" in s.text)
                            and claim_status(next(c for c in run.claims if f"C{c.id}" == t), run)
                            in ("contradicted", "not_reproduced")}
        in_abstract = {t[1:] for s in d.abstract for t in s.refs if t[0] == "C"}
        assert failed_in_answer <= in_abstract, (k, failed_in_answer - in_abstract)


def test_settings_read_from_the_papers_own_setup_are_not_called_assumed():
    """A check that took the model and batch size from the paper's setup section (not from the
    claim) says so beside the verdict instead of calling them assumed."""
    run = answer_run(0)
    c = next(c for c in run.claims if c.id == 11)
    c.empirical.verdict = "NOT_REPRODUCED"
    c.empirical.spec["assumed"] = [
        "model not named: Mixtral-8x7B (setup from the paper's text (passage P7: \"We run all…\"))",
        "batch size not stated: 16 (setup from the paper's text (passage P7: \"the batch size is 16\"))"]
    lead = [s.text for s in reports.draft(run).abstract if "not reproduced" in s.text]
    assert lead and lead[0].endswith("is not reproduced by our runtime (at the model and batch size its paper's "
                                     "own setup gives: the claim itself does not state them).")


def _twin_on_mixtral(run):
    """The other ExpertFlow's claim made on topic through the model the question asks about."""
    twin = next(c for c in run.claims if c.paper_id == TWIN[0])
    twin.text = f"On Mixtral-8x7B, {twin.text}"
    twin.model = "Mixtral-8x7B"
    passage = next(p for p in run.passages if p.id == twin.passage_id)
    passage.text = twin.text + "."
    passage.end = len(passage.text)
    return twin


def test_a_same_named_system_stays_out_of_every_facet_when_the_question_names_the_system():
    """The question asks about ExpertFlow: the other ExpertFlow's claim on Mixtral-8x7B does not speak
    under the model facet either; that facet says why, and neither reviewer finds a mix-up."""
    from tribunal.answer_checks import homonym_confusion
    from tribunal.rubric import answer_confirmations

    run = answer_run(0)
    twin = _twin_on_mixtral(run)
    d = reports.draft(run)
    assert not any(twin.id in s.claim_ids or f"C{twin.id}" in s.refs for s in d.answer_sentences())
    model = next(a for a in d.answer if a.facet == "Mixtral-8x7B")
    assert any(HOMONYM_PHRASE in s.text and TWIN[0] in s.text for s in model.sentences)
    assert homonym_confusion(d, run) == []
    assert not any(f.claim_id == twin.id for f in answer_confirmations(d, run))


def test_two_same_named_systems_the_question_does_not_name_each_speak_by_their_paper():
    """A question about Mixtral-8x7B, not about ExpertFlow: both papers called ExpertFlow are systems
    that report on it; each is told by its paper id, and no reviewer calls that a mix-up."""
    from tribunal.answer_checks import homonym_confusion
    from tribunal.rubric import answer_confirmations

    run = answer_run(0)
    twin = _twin_on_mixtral(run)
    run.question = "What do MoE offloading systems report on Mixtral-8x7B?"
    run.facets = [f for f in run.facets if f.kind == "model"]
    d = reports.draft(run)
    said = [s for s in d.answer_sentences() if f"C{twin.id}" in s.refs]
    assert said and any(f"ExpertFlow ({TWIN[0]})" in s.text for s in said)
    assert homonym_confusion(d, run) == []
    assert not any(f.claim_id == twin.id and f.severity != "ok" for f in answer_confirmations(d, run))
