"""check_runs: performance claims → experiments on the ExpertFlow runtime → measured vs claimed.

Until the empirical checker lands this stage runs no experiment and says so in the report."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from kernel.context import StageContext
from kernel.state import RunState


def check_runs(state: RunState, runtime: Runtime[StageContext]) -> dict[str, Any]:
    return {"notes": ["Empirical checks: not run — the runtime-backed checker is not part of this build."]}
