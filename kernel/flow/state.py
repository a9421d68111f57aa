"""The graph's state. Small on purpose: the data of a run lives in the database; the state
carries ids, the plan and the control flow (round, score, outcome), so a checkpoint is cheap."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict


class RunState(TypedDict, total=False):
    run_id: str
    question: str
    offline: bool  # asked offline, or arXiv found unreachable during retrieve
    empirical: bool  # re-measure performance claims with the runtime
    queries: list[str]
    key_terms: list[str]
    # Things the report must say about how this run was made (offline, abstract-only papers…).
    # Appended by stages; a re-run stage writes once, since a node's update lands only when it ends.
    notes: Annotated[list[str], operator.add]
    round: int  # review round, 1-based; capped by settings.tribunal.max_rounds
    panel_score: float | None
    outcome: str | None  # READY | ESCALATE_TO_OWNER | REJECT
    decision: dict[str, Any] | None  # the owner's decision once given


# The stages in the order a run meets them; the graph (`kernel/flow/graph.py`) is built from this list
# and the app draws its progress from it.
STAGES = (
    "frame",
    "plan",
    "retrieve",
    "read",
    "extract",
    "check_text",
    "check_runs",
    "draft",
    "tribunal",
    "decide",
    "owner",
)
