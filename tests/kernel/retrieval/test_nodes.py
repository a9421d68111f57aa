"""plan -> retrieve -> read through the real stage functions, on a tmp SOVEREIGN_HOME."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlmodel import Session, select

from kernel.errors import NoSourcesError
from kernel.flow.context import StageContext
from kernel.flow.nodes.plan import plan
from kernel.flow.nodes.read import read
from kernel.flow.nodes.retrieve import retrieve
from kernel.retrieval.corpus import import_snapshot
from kernel.storage.models import Paper, Passage, Run, RunPaper

from .conftest import MOE, SAMPLE, arxiv_api, make_pdf, moe_records, need_corpus

QUESTION = ("How does ExpertFlow's predictive expert caching compare to LRU expert caches "
            "for MoE inference?")


def _run(engine, question=QUESTION) -> str:
    with Session(engine) as s:
        run = Run(question=question)
        s.add(run)
        s.commit()
        return run.id


@pytest.fixture
def stage(shared_clients):
    def make(settings):
        ctx = StageContext(settings)
        ctx._cache.update(shared_clients)  # what ctx.client would build, built once per session
        return ctx, SimpleNamespace(context=ctx)

    return make


def _ranked(engine, run_id) -> list[str]:
    with Session(engine) as s:
        rows = s.exec(select(RunPaper).where(RunPaper.run_id == run_id).order_by(RunPaper.rank))
        return [r.paper_id for r in rows]


def test_offline_expertflow_question_finds_the_paper_and_its_baselines(settings, engine, stage):
    need_corpus()
    import_snapshot(engine, [MOE, SAMPLE])
    settings.offline = True
    ctx, rt = stage(settings)
    run_id = _run(engine)
    state = {"run_id": run_id, "question": QUESTION, "offline": True}
    state |= plan(state, rt)
    assert len(state["queries"]) == 4 and "ExpertFlow" in state["key_terms"]
    out = retrieve(state, rt)
    assert any("Offline" in n for n in out["notes"])
    ranked = _ranked(engine, run_id)
    assert "2410.17954" in ranked[:3]
    assert {"2312.17238", "2308.12066", "2205.10034"} <= set(ranked[:10])
    # Re-running the stage (resume after a crash) replaces the run's rows.
    retrieve(state, rt)
    assert _ranked(engine, run_id) == ranked


def test_offline_with_nothing_to_search_says_how_to_fix_it(settings, engine, stage):
    ctx, rt = stage(settings)
    state = {"run_id": _run(engine), "question": QUESTION, "offline": True,
             "queries": ["moe"], "key_terms": []}
    with pytest.raises(NoSourcesError, match="sovereign corpus import FILE"):
        retrieve(state, rt)


def test_online_results_are_cached_so_the_question_works_offline(settings, engine, stage, loopback):
    records = moe_records()
    server = loopback(arxiv_api([r for r in records if r["id"] == "2410.17954"] + records[:5]))
    settings.retrieval.arxiv_api_url = server.url + "/api/query"
    settings.retrieval.arxiv_delay_s = 0.0
    settings.retrieval.results_per_query = 6
    settings.retrieval.queries = 2
    ctx, rt = stage(settings)
    state = {"run_id": _run(engine), "question": QUESTION}
    state |= plan(state, rt)
    out = retrieve(state, rt)
    assert "offline" not in out and len(server.requests) == 2
    with Session(engine) as s:
        cached = s.get(Paper, "2410.17954")
        assert cached.source == "arxiv" and cached.pdf_url.endswith("2410.17954v1")
    server.close()
    settings.offline = True
    run2 = _run(engine)
    retrieve({**state, "run_id": run2, "offline": True}, rt)
    assert _ranked(engine, run2)[0] == "2410.17954"


def test_unreachable_arxiv_falls_back_with_a_note(settings, engine, stage):
    need_corpus()
    import_snapshot(engine, [MOE])
    settings.retrieval.arxiv_api_url = "http://127.0.0.1:9/api/query"  # discard port: refused
    settings.retrieval.arxiv_retries = 0
    ctx, rt = stage(settings)
    state = {"run_id": _run(engine), "question": QUESTION}
    state |= plan(state, rt)
    out = retrieve(state, rt)
    assert out["offline"] is True
    assert any(n.startswith("arXiv unreachable:") for n in out["notes"])
    assert _ranked(engine, state["run_id"])


def _paper(engine, pid: str, pdf_url: str) -> None:
    rec = next(r for r in moe_records() if r["id"] == pid)
    with Session(engine) as s:
        s.add(Paper(id=pid, title=rec["title"], abstract=rec["abstract"], pdf_url=pdf_url))
        s.commit()


def test_read_splits_full_text_and_falls_back_on_a_corrupt_pdf(settings, engine, stage, loopback):
    body = ["ExpertFlow", "Abstract", "We predict expert routing paths ahead of time. " * 4,
            "1 Introduction", "Offloading experts to CPU memory saves GPU memory. " * 6,
            "4 Evaluation", "ExpertFlow is up to 10x faster than strong offloading baselines. " * 4,
            "References", "[1] Eliseev and Mazur. Fast inference of MoE with offloading."]
    pdfs = {"/pdf/good": (200, "application/pdf", make_pdf(body)),
            "/pdf/bad": (200, "application/pdf", b"%PDF-1.4 this is not really a pdf")}
    server = loopback(lambda path, q: pdfs.get(path, (404, "text/plain", b"no")))
    _paper(engine, "2410.17954", server.url + "/pdf/good")
    _paper(engine, "2308.12066", server.url + "/pdf/bad")
    settings.retrieval.arxiv_delay_s = 0.0
    run_id = _run(engine)
    with Session(engine) as s:
        s.add(RunPaper(run_id=run_id, paper_id="2410.17954", rank=1))
        s.add(RunPaper(run_id=run_id, paper_id="2308.12066", rank=2))
        s.commit()
    ctx, rt = stage(settings)
    out = read({"run_id": run_id, "question": QUESTION}, rt)
    assert any("PDF of 2308.12066 could not be read" in n for n in out["notes"])
    assert any("abstract only" in n and "2308.12066" in n and "2410.17954" not in n
               for n in out["notes"])
    with Session(engine) as s:
        full = s.exec(select(Passage).where(Passage.kind == "fulltext")).all()
        abstracts = s.exec(select(Passage).where(Passage.kind == "abstract")).all()
    assert {p.paper_id for p in full} == {"2410.17954"}
    assert {p.section for p in full} >= {"Introduction", "Evaluation"}
    assert not any("Eliseev" in p.text for p in full)  # references dropped
    assert {p.paper_id for p in abstracts} == {"2410.17954", "2308.12066"}
    # Idempotent, and the cached text serves offline without the server.
    server.close()
    settings.offline = True
    read({"run_id": run_id, "question": QUESTION, "offline": True}, rt)
    with Session(engine) as s:
        assert len(s.exec(select(Passage)).all()) == len(full) + len(abstracts)
