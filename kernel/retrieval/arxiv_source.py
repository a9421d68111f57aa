"""The arXiv API as a paper source, through the `arxiv` package.

One `ArxivSource` per process (`ctx.client("arxiv", ...)`): its `arxiv.Client` keeps the
minimum delay between requests (`settings.retrieval.arxiv_delay_s`, 3 s by arXiv's terms) and a
lock serialises callers, so parallel runs never exceed the rate. Failures of one request
(429, 5xx, timeouts, a dropped connection, an empty page) are retried with exponential backoff,
resuming at the offset already read; when retries run out the source raises `ArxivUnreachable`
and the caller continues from the cache and imported corpora. Entries the feed parser rejects
are skipped and counted.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import arxiv
import requests

from kernel.errors import RetrievalError
from kernel.retrieval.arxiv_ids import BadArxivId, split_id
from kernel.retrieval.index import terms
from kernel.retrieval.snapshot import squash
from kernel.settings import RetrievalSettings

log = logging.getLogger(__name__)
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_QUERY_WORDS = 6  # arXiv ANDs the words; more than a handful rarely matches anything


class ArxivUnreachable(RetrievalError):
    """arXiv did not answer after the configured retries."""


@dataclass
class SearchOutcome:
    papers: list[dict[str, Any]] = field(default_factory=list)  # `Paper` columns, rank order
    skipped: int = 0  # malformed entries the feed parser dropped
    requests: int = 0  # HTTP requests made, retries included


class _TimeoutSession(requests.Session):
    """`arxiv.Client` passes no timeout; a hung connection must not hang a run."""

    def __init__(self, timeout_s: float):
        super().__init__()
        self.timeout_s = timeout_s
        self.calls = 0

    def request(self, method, url, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout_s)
        self.calls += 1
        return super().request(method, url, **kwargs)


class _SkipCounter(logging.Handler):
    """Counts the feed parser's 'Skipping entry' warnings while a search runs."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Skipping entry"):
            self.count += 1


def arxiv_query(text: str) -> str:
    """Plain words -> an arXiv `search_query`: the first few words, each over all fields."""
    words = terms(text)[:_QUERY_WORDS]
    return " AND ".join(f"all:{w}" for w in words)


def result_fields(result: arxiv.Result) -> dict[str, Any] | None:
    """`Paper` columns for one API result; None when its id is not an arXiv id."""
    try:
        paper_id, version = split_id(result.entry_id)
    except BadArxivId:
        return None
    return {
        "id": paper_id,
        "version": version,
        "title": squash(result.title),
        "authors": [a.name for a in result.authors],
        "abstract": squash(result.summary),
        "categories": list(result.categories),
        "published": result.published,
        "updated": result.updated,
        "pdf_url": result.pdf_url,
        "source": "arxiv",
    }


class ArxivSource:
    def __init__(self, settings: RetrievalSettings, page_size: int | None = None):
        self.settings = settings
        self.client = arxiv.Client(
            page_size=page_size or min(settings.results_per_query, 100),
            delay_seconds=settings.arxiv_delay_s,
            num_retries=0,  # retried here, with backoff and resumption
        )
        # An instance attribute shadows the class's endpoint, so tests can point at loopback.
        self.client.query_url_format = settings.arxiv_api_url + "?{}"
        self.session = _TimeoutSession(settings.arxiv_timeout_s)
        self.client._session = self.session
        self._lock = threading.Lock()

    def _backoff(self, attempt: int) -> float:
        return max(self.settings.arxiv_delay_s, 0.1) * (2**attempt)

    def search(self, query: str, max_results: int | None = None) -> SearchOutcome:
        """Up to `max_results` papers for `query`, by relevance, de-duplicated by versionless id."""
        limit = max_results or self.settings.results_per_query
        search = arxiv.Search(
            query=arxiv_query(query) or query,
            max_results=limit,
            sort_by=arxiv.SortCriterion.Relevance,
        )
        outcome = SearchOutcome()
        seen: set[str] = set()
        counter = _SkipCounter()
        feed_log = logging.getLogger("arxiv._feed")
        attempt, read = 0, 0
        with self._lock:
            calls_before = self.session.calls
            feed_log.addHandler(counter)
            try:
                while True:
                    try:
                        for result in self.client.results(search, offset=read):
                            read += 1
                            fields = result_fields(result)
                            if fields and fields["id"] not in seen:
                                seen.add(fields["id"])
                                outcome.papers.append(fields)
                        break
                    except (arxiv.HTTPError, arxiv.UnexpectedEmptyPageError) as exc:
                        status = getattr(exc, "status", None)
                        if status is not None and status not in _RETRY_STATUS:
                            raise ArxivUnreachable(f"arXiv answered HTTP {status}") from exc
                        reason = f"HTTP {status}" if status else "an empty page"
                    except requests.exceptions.RequestException as exc:
                        reason = type(exc).__name__
                    except ValueError as exc:
                        # A page the parser cannot read at all (e.g. a bad date): keep what we have.
                        log.warning("arXiv feed unreadable for %r: %s", query, exc)
                        outcome.skipped += 1
                        break
                    if attempt >= self.settings.arxiv_retries:
                        raise ArxivUnreachable(
                            f"{reason} after {attempt + 1} attempts at {self.settings.arxiv_api_url}"
                        )
                    wait = self._backoff(attempt)
                    log.info("arXiv %s; retry %d in %.1f s", reason, attempt + 1, wait)
                    time.sleep(wait)
                    attempt += 1
            finally:
                feed_log.removeHandler(counter)
                outcome.requests = self.session.calls - calls_before
        outcome.skipped += counter.count
        if counter.count:
            log.warning("arXiv: skipped %d malformed entries for %r", counter.count, query)
        return outcome
