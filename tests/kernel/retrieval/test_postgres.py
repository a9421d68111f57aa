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
    from kernel.db import make_engine

    engine = make_engine(URL)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM passage"))
        conn.execute(text("DELETE FROM paper WHERE id NOT IN (SELECT paper_id FROM runpaper)"))
    first = import_snapshot(engine, [MOE])
    again = import_snapshot(engine, [MOE])
    assert first.read == again.read == 41 and again.imported == 0 and has_local_papers(engine)
    hits = [h.paper_id for h in index.search(engine, "Pre-gated MoE SE-MoE", 2)]
    assert set(hits) == {"2308.12066", "2205.10034"}
