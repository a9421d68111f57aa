"""tribunal: the panel (SKEPTIC ∥ VALIDATOR ∥ SYNTHESIZER) reviews the current round's draft;
the round's reviews replace any earlier copy.

State read: run_id, round (1 when absent). Returns {"panel_score": s, "round": r} with r the
round reviewed (unchanged); the graph routes to a revision when s < revision_threshold and
r < max_rounds.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from sqlmodel import Session

import tribunal as panel
from kernel.errors import SovereignError
from kernel.flow.context import StageContext
from kernel.flow.nodes.draft import run_and_draft
from kernel.flow.state import RunState
from kernel.storage import crud
from kernel.storage.db import transact


def tribunal(state: RunState, runtime: Runtime[StageContext]) -> dict[str, Any]:
    ctx = runtime.context
    run_id, rnd = state["run_id"], state.get("round", 1)
    run, d = run_and_draft(ctx, run_id, rnd)
    if d is None:
        raise SovereignError(f"run {run_id} has no draft for round {rnd}; resume the run to draft it")
    settings = ctx.settings.tribunal
    backend = ctx.client("tribunal-llm", lambda: panel.make_backend(settings))
    result = panel.review_draft(d, run, rnd, settings, backend=backend)

    def write(s: Session) -> None:
        crud.save_reviews(s, run_id=run_id, round=rnd, reviews=result.reviews)
        crud.update_run(s, run_id=run_id, panel_score=result.score)

    transact(ctx.engine, write)
    failed = [r.role for r in result.reviews if r.error]
    ctx.progress("tribunal", f"round {rnd}: panel score {result.score:.1f}"
                 + (f" (LLM failed for {', '.join(failed)}; rubric used)" if failed else ""))
    return {"panel_score": result.score, "round": rnd}
