"""Fusing the ranked lists of several queries and sources, then reranking against the question.

1. Every (query, source) pair gives a ranked list of paper ids: the local lexical index
   (BM25 over all papers in the database) and, online, arXiv's relevance order.
2. Reciprocal rank fusion: fused(d) = sum over lists of 1 / (RRF_K + rank(d)), rank from 1.
   Scale-free, so BM25 scores and arXiv's order combine without calibration.
3. The `rerank` best fused candidates are embedded (cached on disk, see `vector_cache`) and
   scored against the question: score = W_DENSE * dense' + W_FUSED * fused' + W_NAME * named,
   where x' is min-max scaled over the candidates (RRF values crowd into a narrow band),
   dense is cos(question, title+abstract) and named is 1 when the title names a system the
   plan asked for (ExpertFlow, SE-MoE...: a system's own paper, whatever its abstract says).
   Scores lie in [0, 1]. Without an embedder the dense weight goes to the fused term.
4. Coverage first: each planned query is one aspect of the question (the system asked about,
   the field, the baselines), and consensus fusion buries a paper that only one aspect finds
   (e.g. the LRU-cache baseline). So the top paper of every list leads the ranking (ordered by
   score among themselves); the rest follow by score.
5. Papers the person chose (`include`, e.g. `ask --papers DIR`) are scored and ordered the same
   way (a fused score of 0 when no query finds them) but are always kept, on top of the `keep`
   best others.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from kernel.retrieval import index
from kernel.retrieval.embedders import Embedder
from kernel.retrieval.vector_cache import VectorCache
from kernel.storage.models import Paper

RRF_K = 60
W_DENSE = 0.4
W_FUSED = 0.4
W_NAME = 0.2


@dataclass(frozen=True)
class Ranked:
    paper_id: str
    score: float  # the final hybrid score (higher is better)
    query: str  # the query under which the paper ranked best
    fused: float  # reciprocal-rank-fusion score over all lists
    dense: float | None  # cosine with the question; None without an embedder
    named: bool = False  # the title names a system the plan asked for
    leader: bool = False  # first in some query's list
    pinned: bool = False  # chosen by the person: kept whatever its rank


def rrf(lists: Sequence[Sequence[str]], k: int = RRF_K) -> dict[str, float]:
    """Reciprocal rank fusion of ranked id lists (duplicates within a list count once)."""
    fused: dict[str, float] = {}
    for ranked in lists:
        seen: set[str] = set()
        for rank, pid in enumerate(ranked, start=1):
            if pid in seen:
                continue
            seen.add(pid)
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (k + rank)
    return fused


def _scaled(values: dict[str, float]) -> dict[str, float]:
    lo, hi = min(values.values()), max(values.values())
    return {k: (v - lo) / (hi - lo) if hi > lo else 1.0 for k, v in values.items()}


def _names_title(title: str, names: Sequence[str]) -> bool:
    low = title.lower()
    return any(re.search(rf"(?<![\w-]){re.escape(n.lower())}(?![\w-])", low) for n in names)


def doc_text(title: str, abstract: str) -> str:
    """What is embedded for a paper."""
    return f"{title}. {abstract}".strip()


def hybrid_rank(
    engine: Engine,
    question: str,
    queries: Sequence[str],
    *,
    remote: Mapping[str, Sequence[str]] | None = None,
    names: Sequence[str] = (),
    embedder: Embedder | None = None,
    cache: VectorCache | None = None,
    lexical_k: int = 50,
    rerank: int = 40,
    keep: int = 12,
    include: Sequence[str] = (),
) -> list[Ranked]:
    """The `keep` best papers for `question`, searched with `queries` (see the module doc),
    plus every stored paper of `include`, all in one ranking.

    `remote` maps a query to ids a remote source (arXiv) returned for it, best first; those
    papers must already be in the database. `names` are system names for the title feature.
    """
    lists: list[list[str]] = []
    best: dict[str, tuple[int, str]] = {}  # paper -> (best rank, query)
    for q in queries:
        for ranked in ([h.paper_id for h in index.search(engine, q, lexical_k)],
                       list((remote or {}).get(q, ()))):
            if not ranked:
                continue
            lists.append(ranked)
            for rank, pid in enumerate(ranked, start=1):
                if pid not in best or rank < best[pid][0]:
                    best[pid] = (rank, q)
    leaders = {ranked[0] for ranked in lists}
    fused = rrf(lists)
    pinned = set(include)
    if not fused and not pinned:
        return []
    top = sorted(fused, key=lambda p: (-fused[p], p))[: max(rerank, keep)]
    top += [p for p in dict.fromkeys(include) if p not in top]
    with Session(engine) as s:
        rows = s.exec(select(Paper.id, Paper.title, Paper.abstract).where(Paper.id.in_(top)))
        docs = {pid: (t, a) for pid, t, a in rows}
    top = [p for p in top if p in fused or p in docs]  # a chosen id no longer stored is dropped
    for pid in top:
        fused.setdefault(pid, 0.0)
        best.setdefault(pid, (0, ""))
    if not top:
        return []
    dense: dict[str, float] = {}
    if embedder is not None and docs:
        texts = {pid: doc_text(t, a) for pid, (t, a) in docs.items()}
        qvec = embedder.encode([question], query=True)[0]
        if cache is not None:
            vecs = cache.vectors(embedder, texts)
        else:
            keys = list(texts)
            vecs = dict(zip(keys, embedder.encode([texts[k] for k in keys])))
        dense = {pid: float(np.dot(qvec, vec)) for pid, vec in vecs.items()}
    fused_s = _scaled({p: fused[p] for p in top})
    dense_s = _scaled(dense) if dense else {}
    w_fused = W_FUSED if dense else W_FUSED + W_DENSE
    out = []
    for pid in top:
        named = bool(names) and pid in docs and _names_title(docs[pid][0], names)
        score = w_fused * fused_s[pid] + W_DENSE * dense_s.get(pid, 0.0) + W_NAME * named
        out.append(Ranked(pid, score, best[pid][1], fused[pid], dense.get(pid), named,
                          pid in leaders, pid in pinned))
    out.sort(key=lambda r: (not r.leader, -r.score, r.paper_id))
    others = {r.paper_id for r in [r for r in out if not r.pinned][:keep]}
    return [r for r in out if r.pinned or r.paper_id in others]
