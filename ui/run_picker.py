"""The run chooser shared by the pages that show one run (Report, Checks): newest first, the
`?run=` query parameter preselects one; with no runs it says where to start and stops the page."""

from __future__ import annotations

import streamlit as st

from ui import backend


def choose_run(key: str) -> str:
    """The id of the run the reader picked; the widget's state lives under `key`."""
    runs = backend.list_runs()
    if not runs:
        st.info("No runs yet. Ask a question on the Ask page.")
        st.stop()
    labels = {r.id: f"{r.id} · {r.status} · {r.question[:80]}" for r in runs}
    ids = list(labels)
    wanted = st.query_params.get("run")
    return st.selectbox(
        "Run", ids, index=ids.index(wanted) if wanted in ids else 0, format_func=labels.__getitem__, key=key
    )
