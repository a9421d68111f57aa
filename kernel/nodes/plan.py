"""plan: the question -> search queries (settings.retrieval.queries, default 4) and key terms.

Deterministic (see `kernel.retrieval.planning`): the same question always gives the same plan,
and the report's methodology lists these queries verbatim.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from kernel.context import StageContext
from kernel.retrieval.planning import plan_queries
from kernel.state import RunState


def plan(state: RunState, runtime: Runtime[StageContext]) -> dict[str, Any]:
    ctx = runtime.context
    ctx.enter(state["run_id"], "plan")
    result = plan_queries(state["question"], ctx.settings.retrieval.queries)
    ctx.progress("plan", f"{len(result.queries)} queries: " + " | ".join(result.queries))
    return {"queries": result.queries, "key_terms": result.key_terms}
