"""check_runs: performance claims → experiments on the ExpertFlow runtime → measured vs claimed;
then the comparisons the question's facets ask for (`kernel.empirical.question_checks`).

The work is `kernel.empirical.checks.run_empirical` (shared with `sovereign checks rerun` and the app);
this stage honours --no-empirical and turns the outcome into a note for the report.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from sqlmodel import Session

from kernel.empirical.checks import run_empirical
from kernel.empirical.question_checks import run_question_checks
from kernel.flow.context import StageContext
from kernel.flow.state import RunState
from kernel.storage import crud
from kernel.storage.db import transact


def check_runs(state: RunState, runtime: Runtime[StageContext]) -> dict[str, Any]:
    ctx = runtime.context
    run_id = state["run_id"]
    settings = ctx.settings
    ctx.progress("check_runs", "re-measuring performance claims")
    if state.get("empirical") is False or not settings.empirical.enabled:
        why = "disabled with --no-empirical" if state.get("empirical") is False else \
            "disabled in settings (empirical.enabled = false)"

        def clear(s: Session) -> None:
            crud.clear_checks(s, run_id=run_id, text=False, empirical=True)
            crud.clear_facet_checks(s, run_id=run_id)

        transact(ctx.engine, clear)
        return {"notes": [f"Empirical checks: not run — {why}."]}
    summary = run_empirical(settings, run_id, engine=ctx.engine, progress=ctx.progress)
    note = summary.note(settings.empirical.backend, settings.empirical.cluster)
    ctx.progress("check_runs", note)
    # The comparisons the question asks for, run even when no paper claims them.
    asked = run_question_checks(settings, run_id, engine=ctx.engine, cluster=settings.empirical.cluster,
                                progress=ctx.progress)
    return {"notes": [note] + ([asked] if asked else [])}
