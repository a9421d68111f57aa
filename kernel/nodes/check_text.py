"""check_text: every claim against its own passage and the other papers' passages →
SUPPORTED | CONTRADICTED | UNVERIFIED with a confidence, evidence and reasons (`verifier`)."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from kernel import crud
from kernel.context import StageContext
from kernel.db import retry_locked, session_scope
from kernel.models import TextCheck
from kernel.clients import text_checker
from kernel.state import RunState
from verifier import ExtractedClaim, PassageRef


def check_text(state: RunState, runtime: Runtime[StageContext]) -> dict[str, Any]:
    ctx = runtime.context
    run_id = state["run_id"]
    with session_scope(ctx.engine) as s:
        claims = crud.run_claims(s, run_id=run_id)
        passages = crud.run_passages(s, run_id=run_id)
    refs = {p.id: PassageRef(id=p.id, paper_id=p.paper_id, text=p.text, section=p.section) for p in passages}
    checker = text_checker(ctx)
    fields = [
        ExtractedClaim.model_validate(c.model_dump(include=set(ExtractedClaim.model_fields))) for c in claims
    ]
    verdicts = []
    step = 32  # batches keep progress visible; passages are encoded once (memoised embedder)
    for i in range(0, len(claims), step):
        part = claims[i : i + step]
        verdicts += checker.check_batch(
            fields[i : i + step], list(refs.values()), own=[refs.get(c.passage_id) for c in part]
        )
        ctx.progress("check_text", f"{min(i + step, len(claims))}/{len(claims)} claims")
    checks = [
        TextCheck(claim_id=c.id, **v.model_dump(mode="json")) for c, v in zip(claims, verdicts)
    ]

    def write() -> None:
        with session_scope(ctx.engine) as s:
            crud.clear_checks(s, run_id=run_id, text=True, empirical=False)
            s.add_all(checks)

    retry_locked(write)
    supported = sum(c.verdict == "SUPPORTED" for c in checks)
    contradicted = sum(c.verdict == "CONTRADICTED" for c in checks)
    ctx.progress("check_text", f"{supported} supported, {contradicted} contradicted of {len(checks)}")
    return {}
