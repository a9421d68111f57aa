"""Review queue (owner only): the drafts that wait for the owner. Approve, request changes or
reject, with a comment; an edited draft is saved as a new report version. The decision (who,
what, when) is recorded by `Service.decide`, which also lets the run finish."""

from __future__ import annotations

import streamlit as st

from kernel.errors import USER_ERRORS
from ui import access, backend

settings = access.start_page()
owner = access.require_owner(settings)

st.title("Review queue")
if msg := st.session_state.pop("review_done", None):
    st.success(msg)
waiting = backend.waiting_runs()
if not waiting:
    st.success("Nothing waits for review.")
    st.stop()

st.caption(f"{len(waiting)} draft{'s' if len(waiting) != 1 else ''} waiting for you")
run_id = st.selectbox(
    "Draft",
    [r.id for r in waiting],
    format_func=lambda rid: next(
        f"{r.id} · score {r.panel_score if r.panel_score is not None else '—'} · {r.question[:80]}"
        for r in waiting
        if r.id == rid
    ),
    key="review_run",
)
view = backend.run_view(run_id)
run = view.run
st.markdown(f"### {run.question}")
c = st.columns([1, 1, 2])
c[0].metric("Panel score", f"{run.panel_score:.1f} / 10" if run.panel_score is not None else "—")
c[1].metric("Claims", len(view.data.claims))
c[2].markdown(f"**Outcome:** {run.outcome or '—'}  \n**Asked:** {run.created_at:%Y-%m-%d %H:%M} UTC")
st.page_link("views/report.py", label="Read the full report (claims, evidence, reviews)",
             icon=":material/description:", query_params={"run": run_id})

original = view.report.markdown if view.report else ""
with st.form(f"decide-{run_id}"):
    edited = st.text_area(
        "Draft (Markdown) — edits are saved as a new report version",
        value=original,
        height=420,
        key=f"draft-{run_id}",
    )
    comment = st.text_area("Comment", key=f"comment-{run_id}")
    b = st.columns(3)
    approve = b[0].form_submit_button("Approve", type="primary")
    changes = b[1].form_submit_button("Request changes")
    reject = b[2].form_submit_button("Reject")

action = "approve" if approve else "request_changes" if changes else "reject" if reject else None
if action:
    changed = edited.strip() != original.strip()
    try:
        with st.spinner("Recording the decision and finishing the run…"):
            done = backend.service(settings).decide(
                run_id, action=action, owner=owner, comment=comment, edited=edited if changed else None
            )
    except (*USER_ERRORS, backend.PipelineUnavailable) as exc:
        st.error(str(exc))
    else:
        st.session_state["review_done"] = (
            f"Run {run_id}: {action.replace('_', ' ')} recorded by {owner}"
            + (" with your edits as a new version" if changed else "")
            + f"; the run is now {done.status}."
        )
        st.rerun()
