"""Fixtures: a tmp SOVEREIGN_HOME, the shared corpus, loopback HTTP servers (arXiv API, PDFs)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape

import pytest

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
CORPUS = SHARED / "corpus"
MOE = CORPUS / "moe-inference.jsonl"
SAMPLE = CORPUS / "arxiv-sample.jsonl"


def need_corpus() -> None:
    if not MOE.is_file() or not SAMPLE.is_file():
        pytest.skip(f"shared corpus not found at {CORPUS}")


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("SOVEREIGN_HOME", str(tmp_path / "home"))
    from kernel.settings import Settings

    s = Settings(database_url=f"sqlite:///{tmp_path / 'home' / 'db.sqlite'}")
    s.ensure_home()
    return s


@pytest.fixture
def engine(settings):
    from kernel.storage.db import make_engine

    return make_engine(settings.db_url)


def moe_records() -> list[dict]:
    need_corpus()
    return [json.loads(line) for line in MOE.open()]


def atom_entry(rec: dict, malformed: bool = False) -> str:
    """One Atom <entry> as the arXiv API writes it; `malformed` drops <id> (skipped by parsers)."""
    created = "2024-10-23T15:24:54Z"
    authors = "".join(f"<author><name>{escape(a)}</name></author>"
                      for a in rec["authors"].split(", "))
    cats = "".join(f'<category term="{c}"/>' for c in (rec["categories"] or "cs.LG").split())
    ident = "" if malformed else f"<id>http://arxiv.org/abs/{rec['id']}v1</id>"
    return (
        f"<entry>{ident}<updated>{created}</updated><published>{created}</published>"
        f"<title>{escape(rec['title'])}</title><summary>{escape(rec['abstract'])}</summary>"
        f"{authors}{cats}"
        f'<link href="http://arxiv.org/pdf/{rec["id"]}v1" rel="related" type="application/pdf" title="pdf"/>'
        "</entry>"
    )


def atom_feed(entries: list[str], total: int, start: int) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom">'
        f"<opensearch:totalResults>{total}</opensearch:totalResults>"
        f"<opensearch:startIndex>{start}</opensearch:startIndex>"
        f"<opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>"
        + "".join(entries) + "</feed>"
    ).encode()


class Loopback:
    """A local HTTP server; `respond(path, query) -> (status, content_type, body)`."""

    def __init__(self, respond: Callable[[str, dict], tuple[int, str, bytes]]):
        self.requests: list[tuple[float, str]] = []  # (monotonic time, path?query)
        self.bodies: list[bytes] = []  # bodies of POST requests
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                url = urlparse(self.path)
                outer.requests.append((time.monotonic(), self.path))
                status, ctype, body = respond(url.path, parse_qs(url.query))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                outer.bodies.append(self.rfile.read(length))
                self.do_GET()

            def log_message(self, *args) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def loopback() -> Iterator[Callable]:
    servers: list[Loopback] = []

    def make(respond):
        servers.append(Loopback(respond))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def arxiv_api(records: list[dict], *, fail_first: int = 0, malformed_index: int | None = None):
    """An arXiv API stand-in: answers every query with `records` in order, paginated by
    `start`/`max_results`; the first `fail_first` requests get 503; the record at
    `malformed_index` is served without its <id>."""
    calls = {"n": 0}

    def respond(path: str, query: dict) -> tuple[int, str, bytes]:
        calls["n"] += 1
        if calls["n"] <= fail_first:
            return 503, "text/plain", b"busy"
        start = int(query.get("start", ["0"])[0])
        size = int(query.get("max_results", ["10"])[0])
        entries = [atom_entry(r, malformed=(start + i == malformed_index))
                   for i, r in enumerate(records[start : start + size])]
        return 200, "application/atom+xml", atom_feed(entries, len(records), start)

    return respond


def make_pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF (Helvetica) whose text pypdf can extract line by line."""
    ops = ["BT", "/F1 10 Tf", "12 TL", "50 780 Td"]
    for line in lines:
        safe = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({safe}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


@pytest.fixture(scope="session")
def shared_clients(tmp_path_factory) -> dict:
    """One embedder and one vector cache for the whole session (loading MiniLM once)."""
    from kernel.retrieval.embedders import make_embedder
    from kernel.retrieval.vector_cache import VectorCache
    from kernel.settings import RetrievalSettings

    return {
        "embedder": make_embedder(RetrievalSettings()),
        "vector_cache": VectorCache(tmp_path_factory.mktemp("vectors") / "embeddings.sqlite"),
    }
