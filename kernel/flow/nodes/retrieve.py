"""retrieve: queries -> the run's papers (RunPaper rows: query, rank, score).

Online, every query goes to arXiv (one shared, rate-limited client; results cached as `Paper`
rows with source "arxiv", so the same question later works offline); the local index always
searches every paper in the database (imported corpora and the cache). The lists are fused and
reranked against the question (`kernel.retrieval.fusion`). The papers the person chose for the
run (`ask --papers DIR`, stored as the run's settings `run.papers`) are ranked by the same
scores and always kept, beside the `papers_per_run` best others. Idempotent: the run's RunPaper
rows are replaced in one transaction.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from sqlmodel import Session, delete

from kernel.errors import NoSourcesError, RetrievalError
from kernel.flow.clients import embedder
from kernel.flow.context import StageContext
from kernel.flow.state import RunState
from kernel.retrieval import has_local_papers
from kernel.retrieval.arxiv_source import ArxivSource, ArxivUnreachable
from kernel.retrieval.corpus import upsert_papers
from kernel.retrieval.fusion import Ranked, hybrid_rank
from kernel.retrieval.planning import plan_queries, system_names
from kernel.retrieval.vector_cache import VectorCache
from kernel.storage.db import session_scope, transact
from kernel.storage.models import Run, RunPaper

CHOSEN = "(your papers: --papers)"  # RunPaper.query of a chosen paper no query found
NO_SOURCES = (
    "offline and nothing to search: no papers are cached or imported; give a corpus with "
    "--corpus FILE or run `sovereign corpus import FILE` (arXiv metadata snapshot JSON lines)"
)


def arxiv_source(ctx: StageContext) -> ArxivSource:
    return ctx.client("arxiv", lambda: ArxivSource(ctx.settings.retrieval))


def vector_cache(ctx: StageContext) -> VectorCache:
    return ctx.client(
        "vector_cache", lambda: VectorCache(ctx.settings.cache_dir / "embeddings.sqlite")
    )


def search_arxiv(ctx: StageContext, queries: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """({query: arXiv ids, best first}, notes); raises ArxivUnreachable on the first failure."""
    source = arxiv_source(ctx)
    remote: dict[str, list[str]] = {}
    notes: list[str] = []
    for q in queries:
        ctx.progress("retrieve", f"arXiv: {q}")
        outcome = source.search(q)
        upsert_papers(ctx.engine, outcome.papers)
        remote[q] = [p["id"] for p in outcome.papers]
        if outcome.skipped:
            notes.append(f"arXiv returned {outcome.skipped} malformed entries for {q!r}; skipped")
    return remote, notes


def chosen_papers(ctx: StageContext, run_id: str) -> list[str]:
    """The ids of the papers the person added for this run (`ask --papers`)."""
    with session_scope(ctx.engine) as s:
        run = s.get(Run, run_id)
        return list(((run.settings or {}).get("run") or {}).get("papers") or []) if run else []


def _write(ctx: StageContext, run_id: str, ranked: list[Ranked]) -> None:
    def write(s: Session) -> None:
        s.exec(delete(RunPaper).where(RunPaper.run_id == run_id))
        for rank, r in enumerate(ranked, start=1):
            s.add(RunPaper(run_id=run_id, paper_id=r.paper_id, query=r.query or CHOSEN,
                           rank=rank, score=round(r.score, 6)))

    transact(ctx.engine, write)


def retrieve(state: RunState, runtime: Runtime[StageContext]) -> dict[str, Any]:
    ctx = runtime.context
    run_id = state["run_id"]
    cfg = ctx.settings.retrieval
    queries, key_terms = state.get("queries"), state.get("key_terms")
    if not queries:  # a state from before the plan stage existed: plan here, the same way
        planned = plan_queries(state["question"], cfg.queries)
        queries, key_terms = planned.queries, planned.key_terms
    offline = bool(state.get("offline") or ctx.settings.offline)
    update: dict[str, Any] = {}
    notes: list[str] = []
    remote: dict[str, list[str]] = {}
    if offline:
        if not has_local_papers(ctx.engine):
            raise NoSourcesError(NO_SOURCES)
        notes.append("Offline run: papers come from the local cache and imported corpora only.")
    else:
        try:
            remote, notes = search_arxiv(ctx, queries)
        except ArxivUnreachable as exc:
            notes.append(f"arXiv unreachable: {exc}; results from the cache and imported corpora")
            update["offline"] = True
            if not has_local_papers(ctx.engine):
                raise NoSourcesError(f"arXiv unreachable ({exc}) and {NO_SOURCES}") from exc
    ctx.progress("retrieve", "ranking")
    ranked = hybrid_rank(
        ctx.engine,
        state["question"],
        queries,
        remote=remote,
        names=system_names(key_terms or []),
        embedder=embedder(ctx),
        cache=vector_cache(ctx),
        keep=cfg.papers_per_run,
        include=chosen_papers(ctx, run_id),
    )
    if not ranked:
        raise RetrievalError(
            f"no paper matched the queries {queries}; import a corpus that covers the topic "
            "(`sovereign corpus import FILE`) or rephrase the question"
        )
    _write(ctx, run_id, ranked)
    ctx.progress("retrieve", f"{len(ranked)} papers")
    return {**update, "notes": notes}
