"""check_text: every claim against its own passage and the other papers' passages →
SUPPORTED | CONTRADICTED | UNVERIFIED with a confidence, evidence and reasons (`verifier`)."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from sqlmodel import col, select

from kernel import crud
from kernel.context import StageContext
from kernel.db import retry_locked, session_scope
from kernel.models import Passage, TextCheck
from kernel.clients import text_checker
from kernel.state import RunState
from verifier import ExtractedClaim, PassageRef


def check_text(state: RunState, runtime: Runtime[StageContext]) -> dict[str, Any]:
    ctx = runtime.context
    run_id = state["run_id"]
    with session_scope(ctx.engine) as s:
        claims = crud.run_claims(s, run_id=run_id)
        paper_ids = crud.run_paper_ids(s, run_id=run_id)
        passages = (
            s.exec(select(Passage).where(col(Passage.paper_id).in_(paper_ids))).all() if paper_ids else []
        )
    refs = {p.id: PassageRef(id=p.id, paper_id=p.paper_id, text=p.text, section=p.section) for p in passages}
    checker = text_checker(ctx)
    checks: list[TextCheck] = []
    for i, claim in enumerate(claims):
        fields = ExtractedClaim.model_validate(claim.model_dump(include=set(ExtractedClaim.model_fields)))
        others = [r for r in refs.values() if r.paper_id != claim.paper_id]
        verdict = checker.check(fields, refs.get(claim.passage_id), others)
        data = verdict.model_dump(mode="json")
        checks.append(TextCheck(claim_id=claim.id, **data))
        if i % 10 == 0:
            ctx.progress("check_text", f"{i + 1}/{len(claims)} claims")

    def write() -> None:
        with session_scope(ctx.engine) as s:
            crud.clear_checks(s, run_id=run_id, text=True, empirical=False)
            s.add_all(checks)

    retry_locked(write)
    supported = sum(c.verdict == "SUPPORTED" for c in checks)
    contradicted = sum(c.verdict == "CONTRADICTED" for c in checks)
    ctx.progress("check_text", f"{supported} supported, {contradicted} contradicted of {len(checks)}")
    return {}
