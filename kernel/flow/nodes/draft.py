"""draft: the run's rows → a Draft (reports) → Markdown stored as a ReportVersion, and the
Markdown, HTML and JSON renderings written under `settings.reports_dir/<run_id>/`.

State read: run_id, round (1 when absent). Round 1 drafts from the run; a later round revises the
previous round's stored draft on that round's stored review findings. Returns {} (the round is
advanced by the graph's `revise` step, not here).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from langgraph.runtime import Runtime
from sqlmodel import Session, col, select

import reports
from domain.run_data import RunData
from kernel.flow.context import StageContext
from kernel.flow.state import RunState
from kernel.settings import Settings
from kernel.storage import crud
from kernel.storage.db import session_scope, transact
from kernel.storage.models import Claim, Facet, ReportVersion


def draft(state: RunState, runtime: Runtime[StageContext]) -> dict[str, Any]:
    ctx = runtime.context
    run_id, rnd = state["run_id"], state.get("round", 1)
    run, previous = run_and_draft(ctx, run_id, rnd - 1)
    run.round = rnd
    if previous is not None:
        findings = [f for r in run.reviews if r.round == rnd - 1 for f in r.findings]
        d = reports.revise(previous, run, findings)
        ctx.progress("draft", f"round {rnd}: revised on {len(findings)} findings")
    else:
        d = reports.draft(run)
    d.round = rnd
    store(ctx, d, mark_abstract=True)
    return {}


def run_and_draft(ctx: StageContext, run_id: str, rnd: int) -> tuple[RunData, reports.Draft | None]:
    """The run's data and its stored draft of round `rnd` (None before round 1), read together."""
    with session_scope(ctx.engine) as s:
        return crud.load_run_data(s, run_id=run_id), stored_draft(s, run_id, rnd) if rnd >= 1 else None


def stored_draft(session: Session, run_id: str, rnd: int) -> reports.Draft | None:
    """The drafter's (or reviser's) Draft of round `rnd`, as last stored."""
    row = session.exec(
        select(ReportVersion)
        .where(ReportVersion.run_id == run_id, ReportVersion.round == rnd,
               col(ReportVersion.author).not_like("owner%"))
        .order_by(col(ReportVersion.version).desc())
    ).first()
    return reports.Draft.model_validate(row.draft) if row is not None and row.draft else None


def store(ctx: StageContext, d: reports.Draft, *, mark_abstract: bool = False) -> None:
    """Store `d` as its round's version (replacing an earlier copy) and write its files."""
    markdown = reports.render_markdown(d)

    def write(s: Session) -> None:
        crud.save_report_version(s, run_id=d.run_id, round=d.round, author=d.author, markdown=markdown,
                                 draft=reports.render_json(d))
        for a in d.answer:  # the facet's status as this draft answers it
            f = s.get(Facet, a.facet_id)
            if f is not None and (f.status, f.status_reason) != (a.status, a.gap):
                f.status, f.status_reason = a.status, a.gap
                s.add(f)
        if mark_abstract:
            stated = d.stated_claim_ids(("abstract",))
            for c in s.exec(select(Claim).where(Claim.run_id == d.run_id)).all():
                if c.in_abstract != (c.id in stated):
                    c.in_abstract = c.id in stated
                    s.add(c)

    transact(ctx.engine, write)
    write_files(ctx.settings, d, markdown)


def write_files(settings: Settings, d: reports.Draft, markdown: str | None = None) -> Path:
    """report.{md,html,json} (the latest) and report-r<round>.* under reports_dir/<run_id>/."""
    out = settings.reports_dir / d.run_id
    out.mkdir(parents=True, exist_ok=True)
    texts = {
        "md": markdown if markdown is not None else reports.render_markdown(d),
        "html": reports.render_html(d),
        "json": json.dumps(reports.render_json(d), indent=1, ensure_ascii=False),
    }
    for ext, text in texts.items():
        for name in (f"report-r{d.round}.{ext}", f"report.{ext}"):
            tmp = out / (name + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(out / name)  # a reader never sees half a report
    return out / "report.md"
