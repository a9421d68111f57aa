"""The import and the lexical index on PostgreSQL (tsvector + GIN). Runs only when
SOVEREIGN_TEST_POSTGRES_URL names a throwaway database, e.g.
postgresql://postgres@127.0.0.1:5432/postgres (its `paper` rows are replaced)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from kernel.retrieval import has_local_papers, index
from kernel.retrieval.corpus import import_snapshot

from .conftest import MOE, need_corpus

URL = os.environ.get("SOVEREIGN_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not URL, reason="set SOVEREIGN_TEST_POSTGRES_URL to run")


def test_import_and_phrase_search_on_postgres():
    need_corpus()
    from kernel.storage.db import make_engine

    engine = make_engine(URL)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM passage"))
        conn.execute(text("DELETE FROM paper WHERE id NOT IN (SELECT paper_id FROM runpaper)"))
    first = import_snapshot(engine, [MOE])
    again = import_snapshot(engine, [MOE])
    assert first.read == again.read == 41 and again.imported == 0 and has_local_papers(engine)
    hits = [h.paper_id for h in index.search(engine, "Pre-gated MoE SE-MoE", 2)]
    assert set(hits) == {"2308.12066", "2205.10034"}


def test_added_papers_on_postgres_keep_their_hash_through_a_metadata_import(tmp_path):
    from sqlmodel import Session

    from kernel.retrieval.fulltext import FulltextStore
    from kernel.retrieval.local_papers import add_papers
    from kernel.storage.db import make_engine
    from kernel.storage.models import Paper

    from .paper_pdfs import paper_pdf

    need_corpus()
    engine = make_engine(URL)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM passage"))
        conn.execute(text("DELETE FROM paper WHERE id NOT IN (SELECT paper_id FROM runpaper)"))
    import_snapshot(engine, [MOE])
    store = FulltextStore(tmp_path / "cache")
    pdf = paper_pdf(tmp_path / "2410.17954v1.pdf")
    first = add_papers(engine, store, [pdf])
    assert first.count("merged") == 1
    import_snapshot(engine, [MOE])  # the metadata again: the file's hash must survive
    with Session(engine) as s:
        paper = s.get(Paper, "2410.17954")
        assert paper.file_sha256 is not None and paper.title.startswith("ExpertFlow")
    assert add_papers(engine, store, [pdf]).count("present") == 1
    assert "NVIDIA A100" in store.cached("2410.17954")
