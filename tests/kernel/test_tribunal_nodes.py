"""A run whose first panel score is under the revision threshold (raised here to 9, so that a
draft quoting an unverified claim in its abstract is revised) shows two rounds in its report and
its database, and the revised draft no longer states what the skeptic flagged. Drives the draft,
tribunal and decide stages directly on a SQLite database, without the graph."""

from __future__ import annotations

import json

from langgraph.runtime import Runtime
from sqlmodel import select

from domain.run_data import RunData
from kernel.flow.context import StageContext
from kernel.flow.nodes.decide import decide
from kernel.flow.nodes.draft import draft
from kernel.flow.nodes.tribunal import tribunal
from kernel.settings import Settings
from kernel.storage.db import session_scope
from kernel.storage.models import Claim, EmpiricalCheck, Paper, Passage, ReportVersion, Review, Run, RunPaper, TextCheck
from reports import findings as fk
from reports.sample_runs import sample_run


def _store(ctx: StageContext, data: RunData) -> str:
    with session_scope(ctx.engine) as s:
        run = Run(question=data.question, queries=data.queries, offline=data.offline)
        s.add(run)
        for p in data.papers:
            s.merge(Paper(id=p.id, title=p.title, authors=p.authors, source=p.source))
        s.flush()
        for p in data.papers:
            s.add(RunPaper(run_id=run.id, paper_id=p.id, query=p.query, rank=p.rank, score=p.score))
        for p in data.passages:
            s.merge(Passage(id=p.id, paper_id=p.paper_id, kind="fulltext" if p.id % 2 else "abstract",
                            section=p.section, text=p.text, start=p.start, end=p.end))
        s.flush()
        for i, c in enumerate(data.claims):
            s.add(Claim(id=c.id, run_id=run.id, ordinal=i, **c.model_dump(exclude={"id", "text_check", "empirical"})))
        s.flush()
        for c in data.claims:
            if c.text_check:
                s.add(TextCheck(claim_id=c.id, **c.text_check.model_dump()))
            if c.empirical:
                s.add(EmpiricalCheck(claim_id=c.id, **c.empirical.model_dump()))
        return run.id


def test_a_low_first_score_gives_two_rounds_and_the_revision_drops_what_was_flagged(sovereign_home):
    settings = Settings()
    settings.tribunal.revision_threshold = 9.0
    settings.ensure_home()
    ctx = StageContext(settings=settings)
    rt = Runtime(context=ctx)
    run_id = _store(ctx, sample_run(0, bad_headlines=True))
    state = {"run_id": run_id, "round": 1}

    assert draft(state, rt) == {}
    first = tribunal(state, rt)
    assert first["round"] == 1 and first["panel_score"] < settings.tribunal.revision_threshold
    with session_scope(ctx.engine) as s:
        skeptic = s.exec(select(Review).where(Review.run_id == run_id, Review.role == "skeptic")).all()
        flagged = {r.claim_id for rv in skeptic
                   for r in [fk.Finding.model_validate(f) for f in rv.findings]
                   if r.kind in fk.WITHDRAW + fk.QUALIFY and r.claim_id is not None}
        in_abstract = {c.id for c in s.exec(select(Claim).where(Claim.run_id == run_id, Claim.in_abstract)).all()}
    assert flagged and flagged & in_abstract  # the abstract led with claims the skeptic flagged

    state = {**state, **first, "round": 2}  # what the graph's revise step does
    draft(state, rt)
    second = tribunal(state, rt)
    assert second["panel_score"] > first["panel_score"]
    out = decide({**state, **second}, rt)
    assert out["outcome"] in ("READY", "ESCALATE_TO_OWNER")

    with session_scope(ctx.engine) as s:
        versions = s.exec(select(ReportVersion).where(ReportVersion.run_id == run_id)).all()
        reviews = s.exec(select(Review).where(Review.run_id == run_id)).all()
        run = s.get(Run, run_id)
        in_abstract = {c.id for c in s.exec(select(Claim).where(Claim.run_id == run_id, Claim.in_abstract)).all()}
    assert sorted({v.round for v in versions}) == [1, 2]
    assert sorted((r.round, r.role) for r in reviews) == [(1, "skeptic"), (1, "synthesizer"), (1, "validator"),
                                                          (2, "skeptic"), (2, "synthesizer"), (2, "validator")]
    assert run.outcome == out["outcome"] and run.panel_score == second["panel_score"]
    assert not flagged & in_abstract

    final = settings.reports_dir / run_id
    md = (final / "report.md").read_text()
    assert "### Round 1 — skeptic" in md and "### Round 2 — skeptic" in md
    assert (final / "report-r1.html").is_file() and (final / "report-r2.html").is_file()
    revised = json.loads((final / "report.json").read_text())
    stated = {cid for name in ("abstract", "introduction", "results") for sent in revised[name]
              for cid in sent["claim_ids"]}
    assert not flagged & stated
    texts = " ".join(sent["text"] for name in ("abstract", "introduction", "results") for sent in revised[name])
    for c in sample_run(0, bad_headlines=True).claims:
        if c.id in flagged:
            assert c.text not in texts  # the flagged claim is no longer stated, not even quoted
            row = next(r for r in revised["claims"] if r["claim_id"] == c.id)
            assert row["status"] in ("withdrawn", "qualified")  # but the table still records it


def test_draft_and_tribunal_are_idempotent_on_rerun(sovereign_home):
    settings = Settings()
    settings.ensure_home()
    ctx = StageContext(settings=settings)
    rt = Runtime(context=ctx)
    run_id = _store(ctx, sample_run(1))
    state = {"run_id": run_id, "round": 1}
    draft(state, rt)
    a = tribunal(state, rt)
    draft(state, rt)  # a stage killed and re-run replaces its rows
    b = tribunal(state, rt)
    assert a == b
    with session_scope(ctx.engine) as s:
        assert len(s.exec(select(ReportVersion).where(ReportVersion.run_id == run_id)).all()) == 1
        assert len(s.exec(select(Review).where(Review.run_id == run_id)).all()) == 3
