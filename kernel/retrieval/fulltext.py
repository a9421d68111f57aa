"""Full text of a paper: the arXiv PDF, downloaded once and cached on disk, read with pypdf.

Cache layout under `settings.cache_dir / "fulltext"`: `<id>.pdf` (as downloaded) and
`<id>.txt` (the extracted text, UTF-8; also written by `sovereign corpus add` for the
researcher's own files, see `local_papers`). A cached text is used even offline. Errors are split
so the read stage can say what happened: `FulltextUnreachable` (network: stop trying for this
run) and `CorruptPdf` (this paper only: fall back to its abstract).
"""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import requests

from kernel.errors import RetrievalError
from kernel.retrieval.arxiv_ids import pdf_url as arxiv_pdf_url


class FulltextUnreachable(RetrievalError):
    """The PDF host did not answer (or answered with an HTTP error)."""


class CorruptPdf(RetrievalError):
    """The bytes downloaded are not a readable PDF, or it holds no extractable text."""


def pdf_text(data: bytes) -> str:
    """Text of a PDF, pages joined by blank lines; raises CorruptPdf."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise CorruptPdf(f"unreadable PDF ({type(exc).__name__}: {exc})") from exc
    text = "\n\n".join(p.strip() for p in pages).strip()
    if len(text) < 200:
        raise CorruptPdf(f"the PDF holds no extractable text ({len(text)} characters)")
    return text


class FulltextStore:
    """Downloads (at most one request per `delay_s`) and caches full texts by paper id."""

    def __init__(self, cache_dir: Path, *, timeout_s: float = 20.0, delay_s: float = 3.0):
        self.dir = cache_dir / "fulltext"
        self.timeout_s = timeout_s
        self.delay_s = delay_s
        self._lock = threading.Lock()
        self._last = 0.0
        self._session = requests.Session()

    def _safe(self, paper_id: str) -> str:
        # Old-style arXiv ids hold "/", local ids ("local:<hash>") a ":".
        return paper_id.replace("/", "_").replace(":", "_")

    def cached(self, paper_id: str) -> str | None:
        path = self.dir / f"{self._safe(paper_id)}.txt"
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def _download(self, url: str) -> bytes:
        with self._lock:
            wait = self._last + self.delay_s - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                resp = self._session.get(url, timeout=self.timeout_s)
            except requests.RequestException as exc:
                raise FulltextUnreachable(f"{url}: {type(exc).__name__}") from exc
            finally:
                self._last = time.monotonic()
        if resp.status_code != 200:
            raise FulltextUnreachable(f"{url}: HTTP {resp.status_code}")
        return resp.content

    def fetch(self, paper_id: str, url: str | None = None) -> str:
        """The paper's text: from the cache, else downloaded, extracted and cached."""
        text = self.cached(paper_id)
        if text is not None:
            return text
        data = self._download(url or arxiv_pdf_url(paper_id))
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / f"{self._safe(paper_id)}.pdf").write_bytes(data)
        text = pdf_text(data)
        self.store(paper_id, text)
        return text

    def store(self, paper_id: str, text: str) -> None:
        """Cache `text` as the paper's full text (replacing any), e.g. from the researcher's own
        file; the read stage then reads it like a downloaded one, offline too."""
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f"{self._safe(paper_id)}.txt.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(self.dir / f"{self._safe(paper_id)}.txt")  # atomic: no half-written cache
