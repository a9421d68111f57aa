"""The real `arxiv` client against a loopback arXiv API built from shared corpus records."""

from __future__ import annotations

import pytest

from kernel.retrieval.arxiv_source import ArxivSource, ArxivUnreachable
from kernel.settings import RetrievalSettings

from .conftest import arxiv_api, moe_records


def _source(url: str, **kw) -> ArxivSource:
    cfg = RetrievalSettings(arxiv_api_url=url + "/api/query", arxiv_timeout_s=5,
                            **{"arxiv_delay_s": 0.3, "arxiv_retries": 2, **kw})
    return ArxivSource(cfg, page_size=4)


def test_paginates_and_keeps_the_delay_between_requests(loopback):
    records = moe_records()[:10]
    server = loopback(arxiv_api(records))
    out = _source(server.url, results_per_query=10).search("expert offloading")
    assert [p["id"] for p in out.papers] == [r["id"] for r in records]
    assert out.papers[0]["version"] == "v1" and out.papers[0]["source"] == "arxiv"
    assert out.requests == 3 and len(server.requests) == 3  # pages of 4, 4, 2
    gaps = [b[0] - a[0] for a, b in zip(server.requests, server.requests[1:])]
    assert min(gaps) >= 0.29
    assert "search_query=all%3Aexpert+AND+all%3Aoffloading" in server.requests[0][1]


def test_retries_a_503_then_succeeds(loopback):
    records = moe_records()[:3]
    server = loopback(arxiv_api(records, fail_first=1))
    out = _source(server.url, results_per_query=3).search("moe")
    assert len(out.papers) == 3 and out.requests == 2


def test_gives_up_after_the_configured_retries(loopback):
    server = loopback(arxiv_api(moe_records()[:3], fail_first=100))
    with pytest.raises(ArxivUnreachable, match="HTTP 503 after 2 attempts"):
        _source(server.url, arxiv_retries=1).search("moe")
    assert len(server.requests) == 2


def test_skips_a_malformed_entry_and_counts_it(loopback):
    records = moe_records()[:4]
    server = loopback(arxiv_api(records, malformed_index=1))
    out = _source(server.url, results_per_query=4).search("moe")
    assert out.skipped == 1
    assert [p["id"] for p in out.papers] == [records[i]["id"] for i in (0, 2, 3)]
