"""Ask: a question with the options of `sovereign ask`; the run goes to a background worker and
this page follows it stage by stage. The run id sits in the URL (?run=…), so a reload or a
reopened tab shows the same run."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from kernel.errors import USER_ERRORS
from ui import access, backend, worker
from ui.corpus_import import import_files
from ui.run_progress import live_progress

st.title("Ask a research question")
st.caption(
    "SOVEREIGN finds the papers, extracts their claims, checks each against its source and the "
    "other papers, re-measures performance claims on its own MoE runtime, drafts a report and has "
    "a three-role tribunal review it."
)
settings = access.start_page()

with st.form("ask"):
    question = st.text_area(
        "Question",
        placeholder="How does ExpertFlow's predictive expert caching compare to LRU expert caches?",
        key="question",
    )
    c1, c2 = st.columns(2)
    offline = c1.checkbox("Offline (never contact arXiv; use imported corpora and the cache)",
                          value=settings.offline, key="offline")
    empirical = c2.checkbox("Re-measure performance claims (empirical checks)",
                            value=settings.empirical.enabled, key="empirical")
    corpus_paths = st.text_area(
        "Corpus files to import first (--corpus; one path on this server per line)",
        placeholder="/path/to/moe-inference.jsonl",
        key="corpus_paths",
    )
    submitted = st.form_submit_button("Ask", type="primary")

if submitted:
    paths = [Path(p.strip()).expanduser() for p in corpus_paths.splitlines() if p.strip()]
    try:
        if paths:
            import_files(paths)
        svc = backend.service(settings)
        run_id = svc.submit(question, offline=offline, empirical=empirical)
        worker.start(settings, "run", run_id)
    except (*USER_ERRORS, backend.PipelineUnavailable) as exc:
        st.error(str(exc))
    else:
        st.query_params["run"] = run_id
        st.toast(f"Run {run_id} started")

run_id = st.query_params.get("run")
if run_id:
    st.divider()
    try:
        backend.get_run(run_id)
    except USER_ERRORS as exc:
        st.warning(str(exc))
    else:
        # nothing below the block depends on the run's status: no page rerun when it ends,
        # which could swallow a click on the link that lands at that moment
        live_progress(run_id, rerun_page_when_done=False)
        st.page_link("views/report.py", label="Open the report", icon=":material/description:",
                     query_params={"run": run_id})
