"""Live progress of one run: polls the Run row (status, stage) and the worker, stage by stage.

A fragment re-runs itself every few seconds without re-running the page, so a reader sees the
stages tick over while the run goes on in its worker process. What it shows comes from the
database alone, so a reloaded page or a new tab picks the run up where it is.
"""

from __future__ import annotations

import streamlit as st

from domain.runs import RunStatus
from kernel.flow.state import STAGES
from kernel.storage.models import Run
from ui import backend, worker

POLL_S = 2.0
ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
STATUS_TEXT = {
    RunStatus.QUEUED: "queued",
    RunStatus.RUNNING: "running",
    RunStatus.WAITING_OWNER: "waiting for the owner's review",
    RunStatus.READY: "ready",
    RunStatus.APPROVED: "approved by the owner",
    RunStatus.REJECTED: "rejected",
    RunStatus.CHANGES_REQUESTED: "changes requested by the owner",
    RunStatus.FAILED: "failed",
}


def stage_fraction(run: Run) -> float:
    """How far along `run` is, 0..1: stages finished over all stages (the owner stage last)."""
    if run.status in RunStatus.FINISHED:
        return 1.0
    if run.status == RunStatus.WAITING_OWNER:
        return (len(STAGES) - 1) / len(STAGES)
    if run.stage not in STAGES:
        return 0.0
    return STAGES.index(run.stage) / len(STAGES)


def stage_marks(run: Run) -> list[tuple[str, str]]:
    """(stage, mark) for every stage: done ✅, running ⏳ (or stopped ⏸), waiting ▫."""
    at = STAGES.index(run.stage) if run.stage in STAGES else -1
    marks = []
    for i, stage in enumerate(STAGES):
        if run.status in RunStatus.FINISHED and run.status != RunStatus.FAILED:
            mark = ":material/check_circle:"
        elif i < at:
            mark = ":material/check_circle:"
        elif i == at:
            mark = {
                RunStatus.RUNNING: ":material/progress_activity:",
                RunStatus.WAITING_OWNER: ":material/front_hand:",
                RunStatus.FAILED: ":material/error:",
            }.get(run.status, ":material/pause_circle:")
        else:
            mark = ":material/radio_button_unchecked:"
        marks.append((stage, mark))
    return marks


@st.fragment(run_every=POLL_S)
def live_progress(run_id: str, rerun_page_when_done: bool = True) -> None:
    """The progress block. With ``rerun_page_when_done``, reruns the whole page once when the run
    leaves the active states, for pages that show more of the run outside this block; a page
    without such content passes False, so a click on it then is not lost to that rerun."""
    settings = backend.settings()
    run = backend.get_run(run_id)
    key = f"active-{run_id}"
    seen_active = st.session_state.get(key, False)
    if run.status in ACTIVE:
        st.session_state[key] = True
    st.markdown(f"**Run `{run.id}`** — {STATUS_TEXT.get(run.status, run.status)}")
    st.progress(stage_fraction(run), text=f"stage: {run.stage or 'not started'}")
    st.markdown(" · ".join(f"{mark} {stage}" for stage, mark in stage_marks(run)))
    if run.status == RunStatus.FAILED and run.error:
        st.error(f"The run failed: {run.error}")
    alive = worker.is_alive(settings, "run", run_id)
    if run.status in ACTIVE and not alive:
        st.warning("No worker is running this run (it was stopped or the machine restarted).")
        if st.button("Resume the run", key=f"resume-{run_id}"):
            worker.start(settings, "run", run_id)
            st.rerun(scope="fragment")
    if run.status == RunStatus.FAILED and st.button("Retry from the last checkpoint", key=f"retry-{run_id}"):
        worker.start(settings, "run", run_id)
        st.rerun(scope="fragment")
    tail = worker.log_tail(settings, "run", run_id)
    if tail:
        with st.expander("Worker log"):
            st.code(tail, language=None)
    if seen_active and run.status not in ACTIVE:
        st.session_state[key] = False
        if rerun_page_when_done:
            st.rerun(scope="app")  # the report is ready: let the page show it
