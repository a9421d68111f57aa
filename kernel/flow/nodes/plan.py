"""plan: the question -> search queries (settings.retrieval.queries, default 4) and key terms.

Deterministic by default (see `kernel.retrieval.planning`): the same question always gives the
same plan. With an LLM endpoint configured (`settings.tribunal.llm_base_url`) the LLM proposes
the queries (`kernel.retrieval.planning_llm`); if it fails, the deterministic plan is used and
a note says so. The report's methodology lists the queries verbatim.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from kernel.flow.context import StageContext
from kernel.flow.state import RunState
from kernel.retrieval.planning import plan_queries, with_facets
from kernel.retrieval.planning_llm import PlannerUnavailable, llm_plan
from kernel.storage import crud
from kernel.storage.db import session_scope


def plan(state: RunState, runtime: Runtime[StageContext]) -> dict[str, Any]:
    ctx = runtime.context
    n = ctx.settings.retrieval.queries
    llm = ctx.settings.tribunal
    notes: list[str] = []
    result = None
    if llm.llm_base_url and not (state.get("offline") or ctx.settings.offline):
        try:
            result = llm_plan(state["question"], n, base_url=llm.llm_base_url,
                              model=llm.llm_model, api_key=llm.llm_api_key,
                              timeout_s=llm.llm_timeout_s)
            notes.append(f"Search queries planned by the LLM at {llm.llm_base_url}.")
        except PlannerUnavailable as exc:
            notes.append(f"{exc}; the deterministic planner made the search queries.")
    if result is None:
        result = plan_queries(state["question"], n)
    with session_scope(ctx.engine) as s:
        facets = [(f.kind, f.text) for f in crud.run_facets(s, run_id=state["run_id"])]
    result = with_facets(result, facets)
    ctx.progress("plan", f"{len(result.queries)} queries: " + " | ".join(result.queries))
    return {"queries": result.queries, "key_terms": result.key_terms, "notes": notes}
