"""Runs: every run with its status, panel score, policy and times; filters by status and text."""

from __future__ import annotations

import streamlit as st

from domain.runs import RunStatus
from ui import access, backend

settings = access.start_page()
st.title("Runs")
c1, c2 = st.columns([2, 3])
statuses = c1.multiselect("Status", RunStatus.ALL, key="runs_status")
text = c2.text_input("Question or run id contains", key="runs_text")
runs = backend.list_runs(statuses or None, text)

if not runs:
    st.info("No runs match." if statuses or text else "No runs yet. Ask a question on the Ask page.")
    st.stop()

st.caption(f"{len(runs)} run{'s' if len(runs) != 1 else ''}")
st.dataframe(
    [
        {
            "run": r.id,
            "question": r.question,
            "status": r.status,
            "stage": r.stage or "",
            "panel score": r.panel_score,
            "outcome": r.outcome or "",
            "policy": r.policy,
            "created": r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            "updated": r.updated_at.strftime("%Y-%m-%d %H:%M:%S"),
        }
        for r in runs
    ],
    hide_index=True,
    width="stretch",
    column_config={"panel score": st.column_config.NumberColumn(format="%.1f")},
)
chosen = st.selectbox(
    "Open a run",
    [r.id for r in runs],
    format_func=lambda rid: next(f"{r.id} · {r.status} · {r.question[:70]}" for r in runs if r.id == rid),
    key="runs_open",
)
st.page_link("views/report.py", label=f"Open the report of {chosen}", icon=":material/description:",
             query_params={"run": chosen})
