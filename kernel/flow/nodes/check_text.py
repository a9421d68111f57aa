"""check_text: every claim → attribution (its own passage states it with these fields: a check
of extraction) and independent evidence (passages of other papers by other authors on the same
quantity), stored side by side in its TextCheck row (`verifier`). The headline status adds the
reproduction verdict later (`verifier.headline`)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from langgraph.runtime import Runtime
from sqlmodel import Session

from domain.claims import ClaimFields
from domain.passages import PassageRef
from kernel.flow.clients import text_checker
from kernel.flow.context import StageContext
from kernel.flow.state import RunState
from kernel.storage import crud
from kernel.storage.db import session_scope, transact
from kernel.storage.models import Passage, TextCheck


def check_text(state: RunState, runtime: Runtime[StageContext]) -> dict[str, Any]:
    ctx = runtime.context
    run_id = state["run_id"]
    with session_scope(ctx.engine) as s:
        claims = crud.run_claims(s, run_id=run_id)
        passages = crud.run_passages(s, run_id=run_id)
        papers = {p.id: p for p in crud.run_papers(s, run_id=run_id)}
        pooled = {p.id for p in passages}
        # A claim whose passage is not among those read now still needs it as its own source,
        # so that its paper is never taken for independent evidence about it.
        sources = passages + [p for pid in {c.passage_id for c in claims} - pooled
                              if (p := s.get(Passage, pid)) is not None]

    def ref(p: Passage) -> PassageRef:
        paper = papers.get(p.paper_id)
        return PassageRef(**p.model_dump(), title=paper.title if paper else None,
                          authors=list(paper.authors or []) if paper else [])

    own_refs = {p.id: ref(p) for p in sources}
    refs = {pid: r for pid, r in own_refs.items() if pid in pooled}
    checker = text_checker(ctx)
    fields = [ClaimFields.model_validate(c) for c in claims]  # a table row is not validated
    verdicts = []
    step = 32  # batches keep progress visible; passages are encoded once (memoised embedder)
    for i in range(0, len(claims), step):
        part = claims[i : i + step]
        verdicts += checker.check_batch(
            fields[i : i + step], list(refs.values()), own=[own_refs.get(c.passage_id) for c in part]
        )
        ctx.progress("check_text", f"{min(i + step, len(claims))}/{len(claims)} claims")
    checks = [
        TextCheck(claim_id=c.id, **v.model_dump(mode="json")) for c, v in zip(claims, verdicts)
    ]

    def write(s: Session) -> None:
        crud.clear_checks(s, run_id=run_id, text=True, empirical=False)
        s.add_all(checks)

    transact(ctx.engine, write)
    independent = Counter(c.independent for c in checks)
    attributed = sum(c.attribution == "ATTRIBUTED" for c in checks)
    ctx.progress("check_text", f"{len(checks)} claims: {attributed} attributed to their passage; independent "
                 f"evidence {independent['CORROBORATED']} corroborated, {independent['CONTRADICTED']} contradicted, "
                 f"{independent['RELATED']} related only, {independent['NONE']} none")
    return {}
