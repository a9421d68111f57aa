"""extract: the run's passages → structured claims, each tied to its passage (`verifier`)."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from sqlmodel import Session

from kernel.flow.context import StageContext
from kernel.flow.state import RunState
from kernel.storage import crud
from kernel.storage.db import session_scope, transact
from kernel.storage.models import Claim
from verifier import extract_claims

# Kinds a report leads with: numbers before setup facts before method statements.
_KIND_ORDER = {"quantitative": 0, "comparison": 1, "setup": 2, "method": 3}


def extract(state: RunState, runtime: Runtime[StageContext]) -> dict[str, Any]:
    ctx = runtime.context
    run_id = state["run_id"]
    cap = ctx.settings.verifier.max_claims_per_paper
    with session_scope(ctx.engine) as s:
        paper_ids = crud.run_paper_ids(s, run_id=run_id)
        passages = crud.run_passages(s, run_id=run_id)
    by_paper: dict[str, list[Claim]] = {}
    for i, passage in enumerate(passages):
        # One sentence may hold several claims (one per number): they share a span, not an ordinal.
        # A related-work passage describes other systems; a table passage gives one claim per cell.
        found = extract_claims(passage.text, source_section=passage.section, section_kind=passage.section_kind)
        for ordinal, c in enumerate(found):
            by_paper.setdefault(passage.paper_id, []).append(
                Claim(
                    run_id=run_id,
                    paper_id=passage.paper_id,
                    passage_id=passage.id,
                    ordinal=ordinal,
                    **c.model_dump(),
                )
            )
        if i % 20 == 0:
            ctx.progress("extract", f"{i + 1}/{len(passages)} passages")
    claims: list[Claim] = []
    for pid in paper_ids:
        found = sorted(by_paper.get(pid, []), key=lambda c: (_KIND_ORDER.get(c.kind, 9), c.passage_id, c.ordinal))
        claims.extend(found[:cap])

    def write(s: Session) -> int:
        return len(crud.replace_claims(s, run_id=run_id, claims=[c.model_copy() for c in claims]))

    n = transact(ctx.engine, write)
    ctx.progress("extract", f"{n} claims from {len(by_paper)} of {len(paper_ids)} papers")
    return {}
