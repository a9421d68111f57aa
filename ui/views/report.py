"""Report: the rendered draft, the claims with their evidence, the empirical checks with
claimed-vs-measured plots, the three reviews, the owner's decisions, and downloads."""

from __future__ import annotations

import json

import streamlit as st

from domain.runs import RunStatus
from kernel.errors import USER_ERRORS
from ui import access, answer_view, backend, claims_view
from ui.run_picker import choose_run
from ui.run_progress import ACTIVE, STATUS_TEXT, live_progress

settings = access.start_page()
st.title("Report")
run_id = choose_run("report_run")
if st.query_params.get("run") != run_id:
    st.query_params["run"] = run_id

try:
    view = backend.run_view(run_id)
except USER_ERRORS as exc:
    st.error(str(exc))
    st.stop()
run, data = view.run, view.data

st.markdown(f"### {run.question}")
m = st.columns([1, 3])
m[0].metric("Panel score", f"{run.panel_score:.1f} / 10" if run.panel_score is not None else "—")
m[1].markdown(
    f"**Status:** {STATUS_TEXT.get(run.status, run.status)}  \n"
    f"**Outcome:** {run.outcome or '—'} · **Policy:** {run.policy} · **Stage:** {run.stage or '—'}  \n"
    f"**Asked:** {run.created_at:%Y-%m-%d %H:%M} UTC · **Updated:** {run.updated_at:%Y-%m-%d %H:%M} UTC"
    + (" · offline" if run.offline else "")
)
if run.status in ACTIVE or run.status == RunStatus.FAILED:
    live_progress(run_id)  # stages, the worker's log, and resume/retry when no worker runs it

tabs = st.tabs(["Answer", "Report", "Claims", "Empirical checks", "Reviews", "Decisions", "Downloads"])
answer_tab, tabs = tabs[0], tabs[1:]

with answer_tab:
    entries = answer_view.answer_entries(view.report.draft if view.report is not None else None, data)
    if not entries:
        st.info("The question has no facets recorded (a run made before questions were framed); "
                "the Report tab has the whole draft.")
    else:
        n_answered = sum(e["status"] == "answered" for e in entries)
        st.markdown(f"The question has **{len(entries)} facets**; the evidence answers **{n_answered}**.")
    for entry in entries:
        st.markdown(answer_view.heading(entry))
        if entry["sentences"]:
            st.markdown(answer_view.paragraph(entry))
        if entry["status"] != "answered" and entry["gap"]:
            st.warning(f"Gap: {entry['gap']}", icon=":material/help:")

with tabs[0]:
    if view.report is None:
        st.info("No draft yet; it appears here when the draft stage finishes.")
    else:
        versions = {v.version: v for v in view.versions}
        chosen = st.selectbox(
            "Version",
            list(reversed(versions)),
            format_func=lambda v: f"v{v} · round {versions[v].round} · {versions[v].author} · "
            f"{versions[v].created_at:%Y-%m-%d %H:%M}",
            key="report_version",
        )
        st.markdown(claims_view.displayable(versions[chosen].markdown))

with tabs[1]:
    if not data.claims:
        st.info("No claims extracted (yet).")
    else:
        verdict_options = sorted({claims_view.text_verdict(c) for c in data.claims})
        paper_titles = {p.id: p.title for p in data.papers}
        f1, f2 = st.columns(2)
        verdicts = f1.multiselect("Status", verdict_options, key="claims_verdict")
        chosen_papers = f2.multiselect(
            "Paper",
            sorted({c.paper_id for c in data.claims}),
            format_func=lambda pid: f"{pid} — {paper_titles.get(pid, '')[:60]}",
            key="claims_paper",
        )
        shown = claims_view.filter_claims(data.claims, verdicts=verdicts, papers=chosen_papers)
        st.caption(f"{len(shown)} of {len(data.claims)} claims")
        st.dataframe(claims_view.claim_rows(data, shown), hide_index=True, width="stretch")
        st.markdown("**Evidence** — open a claim to read the passage it comes from and what the check found.")
        for c in shown:
            with st.expander(f"#{c.id} · {claims_view.text_verdict(c)} · {c.text[:110]}"):
                passage = claims_view.passage_of(data, c.passage_id)
                if passage is not None:
                    st.caption(f"{c.paper_id} — {paper_titles.get(c.paper_id, '')} · "
                               f"{passage.section} ({passage.kind})")
                    st.markdown(claims_view.highlight(passage.text, c.text))
                st.markdown(f"**Status:** {claims_view.text_verdict(c)} — {claims_view.status_reason(c)}")
                if c.text_check:
                    tc = c.text_check
                    st.markdown(f"**Attribution** (its own passage; a check of our reading, not of truth): "
                                f"{tc.attribution}")
                    for reason in tc.attribution_reasons:
                        st.markdown(f"- {reason}")
                    conf = (f" (confidence {tc.confidence:.2f})"
                            if tc.independent in ("CORROBORATED", "CONTRADICTED") else "")
                    st.markdown(f"**Independent evidence** (other papers, other authors): {tc.independent}{conf}")
                    for reason in tc.reasons:
                        st.markdown(f"- {reason}")
                    for ev in tc.evidence:
                        other = claims_view.passage_of(data, ev.get("passage_id"))
                        if other is not None and other.paper_id != c.paper_id:
                            st.caption(f"Evidence from {other.paper_id} · {other.section}")
                            st.markdown(f"> {other.text[:800]}")
                reproduction = (c.empirical.verdict or c.empirical.status) if c.empirical else "not run"
                st.markdown(f"**Reproduction:** {reproduction}")

with tabs[2]:
    checks = [c for c in data.claims if c.empirical]
    if not checks and not data.question_checks:
        st.info("No empirical checks for this run.")
    for e in data.question_checks:
        st.markdown(f"**Measured for this question** — {e.spec.get('system')} vs {e.spec.get('baseline')} on "
                    f"{e.spec.get('model')}, batch {e.spec.get('batch_size')}")
        st.caption(f"status {e.status} · backend {e.backend or '—'} · node {e.node or '—'} · no paper claims it")
        for v in e.measurements.get("scales") or []:
            m = v.get("measured") or {}
            if m.get("median") is not None:
                st.markdown(f"- {v.get('name')} scale ({(v.get('scale') or {}).get('preset', '')}): "
                            f"{m['median']:.3g}× (interval {m.get('low', 0):.3g}–{m.get('high', 0):.3g})")
        for caveat in e.caveats:
            st.markdown(f"- :material/warning: {caveat}")
        if e.error:
            st.error(e.error)
    for c in checks:
        e = c.empirical
        st.markdown(f"**#{c.id}** {c.text}")
        st.caption(
            f"verdict {e.verdict or '—'} · status {e.status} · backend {e.backend or '—'} · node {e.node or '—'}"
        )
        pairs = claims_view.comparisons(e)
        if pairs:
            st.plotly_chart(claims_view.comparison_figure(pairs, f"claim #{c.id}: claimed vs measured"),
                            key=f"plot-{e.id}")
        elif e.measurements:
            st.json(e.measurements, expanded=False)
        if e.reason:
            st.markdown(e.reason)
        for caveat in e.caveats:
            st.markdown(f"- :material/warning: {caveat}")
        if e.error:
            st.error(e.error)

with tabs[3]:
    if not data.reviews:
        st.info("The tribunal has not reviewed this run (yet).")
    for rnd in sorted({r.round for r in data.reviews}):
        st.markdown(f"#### Round {rnd}")
        cols = st.columns(3)
        order = {"skeptic": 0, "validator": 1, "synthesizer": 2}
        this_round = sorted((r for r in data.reviews if r.round == rnd), key=lambda r: order.get(r.role, 3))
        for col, review in zip(cols, this_round):
            with col:
                st.metric(review.role.capitalize(), f"{review.score:.1f} / 10")
                st.caption(f"verdict: {review.verdict or '—'} · backend: {review.backend}")
                if review.summary:
                    st.markdown(review.summary)
                if review.findings:
                    st.dataframe(review.findings, hide_index=True)
                if review.error:
                    st.warning(review.error)

with tabs[4]:
    if not view.decisions:
        st.info("No decision recorded." + (" The run waits for the owner." if run.status == "waiting_owner" else ""))
    else:
        st.table(
            [
                {"when": f"{d.created_at:%Y-%m-%d %H:%M:%S} UTC", "who": d.owner, "action": d.action,
                 "comment": d.comment}
                for d in view.decisions
            ]
        )

with tabs[5]:
    if view.report is None:
        st.info("Nothing to download before the first draft.")
    else:
        st.download_button(
            "Markdown", view.report.markdown, file_name=f"report-{run_id}.md", mime="text/markdown", key="dl_md"
        )
        html = settings.reports_dir / run_id / "report.html"
        if html.is_file():
            st.download_button("HTML", html.read_bytes(), file_name=f"report-{run_id}.html", mime="text/html",
                               key="dl_html")
        else:
            st.caption("No HTML rendering on disk for this run.")
        try:
            doc = backend.service(settings).show(run_id, "json")
        except backend.PipelineUnavailable:
            doc = json.dumps(data.model_dump(mode="json"), indent=2)
        st.download_button("JSON", doc, file_name=f"report-{run_id}.json", mime="application/json", key="dl_json")
