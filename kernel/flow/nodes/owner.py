"""owner: the run waits here (LangGraph `interrupt`) until the owner approves, rejects or asks
for changes; `kernel.service.decide` records the decision and resumes the run with it."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import interrupt
from sqlmodel import Session

from domain.runs import RunStatus
from kernel.flow.context import StageContext
from kernel.flow.state import RunState
from kernel.storage import crud
from kernel.storage.db import transact

ACTIONS = {
    "approve": RunStatus.APPROVED,
    "reject": RunStatus.REJECTED,
    "request_changes": RunStatus.CHANGES_REQUESTED,
}


def owner(state: RunState, runtime: Runtime[StageContext]) -> dict[str, Any]:
    decision = interrupt(
        {
            "run_id": state["run_id"],
            "outcome": state.get("outcome"),
            "panel_score": state.get("panel_score"),
            "actions": sorted(ACTIONS),
        }
    )
    action = decision.get("action") if isinstance(decision, dict) else None
    if action not in ACTIONS:
        raise ValueError(f"owner decision {decision!r} has no valid action ({', '.join(sorted(ACTIONS))})")

    def write(s: Session) -> None:
        crud.update_run(s, run_id=state["run_id"], status=ACTIONS[action])

    transact(runtime.context.engine, write)
    return {"decision": decision}
