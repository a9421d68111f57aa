"""Checks: re-run a run's empirical checks here or on the Ray cluster (a GPU node), in a
background worker, and watch their status change row by row."""

from __future__ import annotations

import importlib.util

import streamlit as st

from kernel.errors import USER_ERRORS
from ui import access, backend, worker
from ui.run_picker import choose_run

st.title("Empirical checks")
settings = access.start_page()
run_id = choose_run("checks_run")


@st.fragment(run_every=2.0)
def check_status(run_id: str) -> None:
    running = worker.is_alive(settings, "checks", run_id)
    rows = backend.run_checks(run_id)
    st.markdown(f"**{len(rows)} checks** — "
                + (":material/progress_activity: re-running now" if running else "no re-run in progress"))
    if rows:
        st.dataframe(
            [
                {
                    "check": r.id,
                    "claim": r.claim_id,
                    "status": r.status,
                    "verdict": r.verdict or "",
                    "backend": r.backend or "",
                    "node": r.node or "",
                    "attempts": r.attempts,
                    "finished": f"{r.finished_at:%H:%M:%S}" if r.finished_at else "",
                    "reason": r.reason or r.error or "",
                }
                for r in rows
            ],
            hide_index=True,
            width="stretch",
        )
    tail = worker.log_tail(settings, "checks", run_id)
    if tail:
        st.code(tail, language=None)


available = importlib.util.find_spec("kernel.empirical.checks") is not None
if not available:
    st.warning(
        "Re-running checks is not available in this build: `kernel.empirical.checks` (rerun_checks) is missing. "
        "The checks stored with the run are shown below."
    )
ray_address = settings.empirical.ray_address
c1, c2 = st.columns(2)
local = c1.button("Re-run on this machine", disabled=not available, key="rerun_local")
ray = c2.button(
    "Re-run on the Ray cluster",
    disabled=not available,
    help=f"Ray address: {ray_address or 'RAY_ADDRESS from the environment'}",
    key="rerun_ray",
)
if local or ray:
    try:
        worker.start(settings, "checks", run_id, cluster="ray" if ray else "local")
    except USER_ERRORS as exc:
        st.error(str(exc))
    else:
        st.toast("Re-run started" + (" on the Ray cluster" if ray else ""))

check_status(run_id)
