"""read: the run's papers -> passages (global per paper, upserted; never deleted, since claims
of other runs point at them).

Every paper gets its abstract as passages (kind "abstract"); when the full text is reachable
(or cached: downloaded before, or added from the person's own file by `sovereign corpus add`)
it is split into passages too (kind "fulltext", with section names, normalised section kinds and
spans; one passage of kind "table" per table), and the evaluation setup its text states is stored
(`PaperSetupRow`, see `kernel.retrieval.paper_setups`).
The note lists the papers read from their abstract only, and says why (offline, unreachable,
unreadable PDF), so the report can mark them.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from sqlmodel import col, select

from kernel.flow.context import StageContext
from kernel.flow.state import RunState
from kernel.retrieval.arxiv_ids import is_arxiv_id
from kernel.retrieval.fulltext import CorruptPdf, FulltextStore, FulltextUnreachable
from kernel.retrieval.paper_setups import record_setups
from kernel.retrieval.passages import Span, split_abstract, split_fulltext
from kernel.storage import crud
from kernel.storage.db import retry_locked, session_scope
from kernel.storage.models import Paper, Passage


def fulltext_store(ctx: StageContext) -> FulltextStore:
    cfg = ctx.settings.retrieval
    return ctx.client(
        "fulltext",
        lambda: FulltextStore(ctx.settings.cache_dir, timeout_s=cfg.arxiv_timeout_s,
                              delay_s=cfg.arxiv_delay_s),
    )


def _upsert(ctx: StageContext, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if ctx.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(Passage.__table__)
    # A passage read before section kinds existed gets its kind; its id and text stay.
    stmt = stmt.on_conflict_do_update(index_elements=["paper_id", "kind", "start", "end"],
                                      set_={"section_kind": stmt.excluded.section_kind})

    def write() -> None:
        with ctx.engine.begin() as conn:
            conn.execute(stmt, rows)

    retry_locked(write)


def _rows(paper_id: str, kind: str, spans: list[Span]) -> list[dict[str, Any]]:
    return [
        {"paper_id": paper_id, "kind": "table" if s.kind == "table" else kind, "section": s.section,
         "section_kind": s.section_kind, "text": s.text, "start": s.start, "end": s.end}
        for s in spans
    ]


def read(state: RunState, runtime: Runtime[StageContext]) -> dict[str, Any]:
    ctx = runtime.context
    run_id = state["run_id"]
    offline = bool(state.get("offline") or ctx.settings.offline)
    with session_scope(ctx.engine) as s:
        ids = crud.run_paper_ids(s, run_id=run_id)
        papers = {p.id: p for p in s.exec(select(Paper).where(col(Paper.id).in_(ids))).all()}
    store = fulltext_store(ctx)
    try_network = ctx.settings.retrieval.fulltext and not offline
    notes: list[str] = []
    abstract_only: list[str] = []
    rows: list[dict[str, Any]] = []
    with_text: list[str] = []
    for i, pid in enumerate(ids, start=1):
        paper = papers[pid]
        rows += _rows(pid, "abstract", split_abstract(paper.abstract or paper.title))
        text = store.cached(pid)
        # A paper added from a file has no address to download from (local id, no pdf_url).
        if text is None and try_network and (paper.pdf_url or is_arxiv_id(pid)):
            ctx.progress("read", f"{i}/{len(ids)} full text of {pid}")
            try:
                text = store.fetch(pid, paper.pdf_url)
            except FulltextUnreachable as exc:
                # The host is down or we are offline: do not wait out a timeout per paper.
                notes.append(f"Full text unreachable ({exc}); the remaining papers are read "
                             "from their abstracts.")
                try_network = False
            except CorruptPdf as exc:
                notes.append(f"The PDF of {pid} could not be read ({exc}); its abstract is used.")
        if text:
            rows += _rows(pid, "fulltext", split_fulltext(text))
            with_text.append(pid)
        else:
            abstract_only.append(pid)
    _upsert(ctx, rows)
    retry_locked(lambda: record_setups(ctx.engine, with_text))
    if abstract_only:
        why = "offline" if offline else "full text not available"
        notes.append(f"Read from the abstract only ({why}): {', '.join(abstract_only)}.")
    ctx.progress("read", f"{len(ids) - len(abstract_only)} full texts, "
                         f"{len(abstract_only)} abstracts only")
    return {"notes": notes}
