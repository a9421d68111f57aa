"""decide: READY | ESCALATE_TO_OWNER | REJECT from the last round's panel (`tribunal.decide`),
then the final report — the last draft with every round's reviews and the outcome — replaces
that round's stored version and files.

State read: run_id, round, panel_score. Returns {"outcome": o, "panel_score": s}; Run.outcome and
Run.panel_score are written here too.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

import tribunal as panel
from kernel.errors import SovereignError
from kernel.flow.context import StageContext
from kernel.flow.nodes.draft import run_and_draft, store
from kernel.flow.state import RunState
from kernel.storage import crud
from kernel.storage.db import transact
from reports.drafting import review_entries


def decide(state: RunState, runtime: Runtime[StageContext]) -> dict[str, Any]:
    ctx = runtime.context
    run_id, rnd = state["run_id"], state.get("round", 1)
    run, d = run_and_draft(ctx, run_id, rnd)
    reviews = [r for r in run.reviews if r.round == rnd]
    if d is None or not reviews:
        raise SovereignError(f"run {run_id} has no reviewed draft for round {rnd}; resume the run")
    score = state.get("panel_score")
    if score is None:
        score = run.panel_score if run.panel_score is not None else 0.0
    result = panel.PanelResult(round=rnd, score=score, reviews=reviews, summary="")
    outcome = panel.decide(run, d, result, ctx.settings.decide)

    d.reviews = review_entries(run)
    d.outcome, d.outcome_reasons = outcome.outcome, outcome.reasons
    store(ctx, d)

    transact(ctx.engine, lambda s: crud.update_run(s, run_id=run_id, outcome=outcome.outcome, panel_score=score))
    ctx.progress("decide", f"{outcome.outcome}: {'; '.join(outcome.reasons)}")
    return {"outcome": outcome.outcome, "panel_score": score}
