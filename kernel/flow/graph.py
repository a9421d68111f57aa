"""Builds the run graph of DESIGN.md ("The flow of one run"). Only builds: each stage lives in
`kernel/flow/nodes/<stage>.py`; the state and its reducers in `kernel/flow/state.py`."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from sqlmodel import Session

from kernel.flow.context import StageContext
from kernel.flow.nodes.check_runs import check_runs
from kernel.flow.nodes.check_text import check_text
from kernel.flow.nodes.decide import decide
from kernel.flow.nodes.draft import draft
from kernel.flow.nodes.extract import extract
from kernel.flow.nodes.frame import frame
from kernel.flow.nodes.owner import owner
from kernel.flow.nodes.plan import plan
from kernel.flow.nodes.read import read
from kernel.flow.nodes.retrieve import retrieve
from kernel.flow.nodes.tribunal import tribunal
from kernel.flow.state import STAGES, RunState
from kernel.settings import Settings
from kernel.storage.db import retry_locked, transact
from kernel.storage.models import Run, utcnow

Stage = Callable[[RunState, Runtime[StageContext]], dict[str, Any]]

# Run columns that mirror state keys, so the database alone tells how a run was made.
_MIRRORED = ("queries", "key_terms", "offline", "panel_score", "outcome")


def _stage(name: str, fn: Stage) -> Stage:
    """Wrap a stage: mark it running, run it, then mirror what it decided onto the Run row."""

    def run_stage(state: RunState, runtime: Runtime[StageContext]) -> dict[str, Any]:
        ctx = runtime.context
        ctx.enter(state["run_id"], name)
        update = fn(state, runtime) or {}
        notes = list(state.get("notes", [])) + list(update.get("notes", []))

        def mirror(s: Session) -> None:
            run = s.get(Run, state["run_id"])
            if run is None:
                return
            for key in _MIRRORED:
                if key in update:
                    setattr(run, key, update[key])
            run.notes = notes
            run.updated_at = utcnow()
            s.add(run)

        transact(ctx.engine, mirror)
        ctx.progress(name, "done")
        return update

    run_stage.__name__ = name
    return run_stage


def build_graph(settings: Settings, checkpointer: BaseCheckpointSaver | None) -> CompiledStateGraph:
    def route_after_tribunal(state: RunState) -> str:
        score = state.get("panel_score")
        if score is None:
            raise ValueError("tribunal finished without a panel score")
        rnd = state.get("round", 1)
        if score < settings.tribunal.revision_threshold and rnd < settings.tribunal.max_rounds:
            return "revise"
        return "decide"

    def route_after_decide(state: RunState) -> str:
        outcome = state.get("outcome")
        if outcome == "ESCALATE_TO_OWNER" or (outcome == "READY" and settings.decide.always_escalate):
            return "owner"
        if outcome in ("READY", "REJECT"):
            return END
        raise ValueError(f"decide produced no valid outcome: {outcome!r}")

    def revise(state: RunState) -> dict[str, Any]:
        # The revision round: the next draft acts on this round's findings.
        return {"round": state.get("round", 1) + 1}

    g = StateGraph(RunState, context_schema=StageContext)
    nodes: dict[str, Stage] = {"frame": frame, "plan": plan, "retrieve": retrieve, "read": read,
                               "extract": extract, "check_text": check_text, "check_runs": check_runs,
                               "draft": draft, "tribunal": tribunal, "decide": decide, "owner": owner}
    for name in STAGES:
        g.add_node(name, _stage(name, nodes[name]))
    g.add_node("revise", revise)
    g.add_edge(START, "frame")
    linear = STAGES[:STAGES.index("tribunal") + 1]  # frame … tribunal, one after another
    for a, b in zip(linear, linear[1:]):
        g.add_edge(a, b)
    g.add_conditional_edges("tribunal", route_after_tribunal, {"revise": "revise", "decide": "decide"})
    g.add_edge("revise", "draft")
    g.add_conditional_edges("decide", route_after_decide, {"owner": "owner", END: END})
    g.add_edge("owner", END)
    return g.compile(checkpointer=checkpointer)


@contextmanager
def open_checkpointer(settings: Settings) -> Iterator[BaseCheckpointSaver]:
    """The checkpointer in the data home: SQLite by default, PostgreSQL with the database."""
    if settings.is_postgres:
        from langgraph.checkpoint.postgres import PostgresSaver

        url = settings.db_url.replace("postgresql+psycopg://", "postgresql://")
        with PostgresSaver.from_conn_string(url) as saver:
            saver.setup()
            yield saver
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    settings.ensure_home()
    conn = sqlite3.connect(settings.checkpoint_path, check_same_thread=False, timeout=60)
    try:
        saver = SqliteSaver(conn)

        def setup() -> None:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=60000")
            saver.setup()

        retry_locked(setup)  # two runs may create the checkpoint file at the same moment
        yield saver
    finally:
        conn.close()
