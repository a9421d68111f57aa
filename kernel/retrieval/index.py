"""The lexical index over every `Paper` in the database (imported corpora and the arXiv cache).

SQLite: an FTS5 table with external content (`paper` itself), kept in step by triggers, so any
writer of `paper` (corpus import, the arXiv cache, other code) keeps the index current at the
cost of one FTS insert per row; ranking is FTS5's BM25 with the title weighted above the
abstract. PostgreSQL: a GIN index over a `tsvector` expression, ranked with `ts_rank_cd`.

Caveat (SQLite): external content is keyed by `paper`'s implicit rowid, which `VACUUM` may
renumber; after a VACUUM call `rebuild_index(engine)`.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine

from kernel.db import retry_locked
from kernel.errors import RetrievalError

# BM25 column weights: title, abstract, authors. A word in the title says more about the paper.
_WEIGHTS = (4.0, 1.0, 0.5)
_STOP = frozenset(
    """a about above after again all also an and any are as at be been being between both but by
    can could did do does doing during each few for from had has have how i if in into is it its
    more most no nor not of on once only or other our out over own same should so some such than
    that the their them then there these they this those through to too under until up very was
    we were what when where which while who whom why will with would you your versus vs via
    compare compared comparison""".split()
)
_TOKEN_RE = re.compile(r"[A-Za-z0-9]+")
_COMPOUND_RE = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+")

_SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS paper_fts USING fts5("
    "title, abstract, authors, content='paper', content_rowid='rowid', "
    "tokenize='porter unicode61')",
    "CREATE TRIGGER IF NOT EXISTS paper_fts_ai AFTER INSERT ON paper BEGIN "
    "INSERT INTO paper_fts(rowid, title, abstract, authors) "
    "VALUES (new.rowid, new.title, new.abstract, new.authors); END",
    "CREATE TRIGGER IF NOT EXISTS paper_fts_ad AFTER DELETE ON paper BEGIN "
    "INSERT INTO paper_fts(paper_fts, rowid, title, abstract, authors) "
    "VALUES ('delete', old.rowid, old.title, old.abstract, old.authors); END",
    "CREATE TRIGGER IF NOT EXISTS paper_fts_au AFTER UPDATE ON paper BEGIN "
    "INSERT INTO paper_fts(paper_fts, rowid, title, abstract, authors) "
    "VALUES ('delete', old.rowid, old.title, old.abstract, old.authors); "
    "INSERT INTO paper_fts(rowid, title, abstract, authors) "
    "VALUES (new.rowid, new.title, new.abstract, new.authors); END",
)
_PG_VECTOR = "to_tsvector('english', coalesce(title, '') || ' ' || coalesce(abstract, ''))"
_PG_DDL = (f"CREATE INDEX IF NOT EXISTS paper_tsv_idx ON paper USING gin ({_PG_VECTOR})",)

_ready: set[str] = set()
_lock = threading.Lock()


@dataclass(frozen=True)
class Hit:
    """One lexical match: `score` is larger for better matches (negated BM25 on SQLite)."""

    paper_id: str
    score: float


def terms(query: str) -> list[str]:
    """The searchable words of `query`, lower-cased, stopwords dropped, order kept, unique."""
    seen: dict[str, None] = {}
    for tok in _TOKEN_RE.findall(query.lower()):
        if tok not in _STOP and (len(tok) > 1 or tok.isdigit()):
            seen.setdefault(tok, None)
    return list(seen)


def match_expression(query: str) -> str:
    """An FTS5 MATCH string: any word may match; hyphenated names ("SE-MoE", "Pre-gated",
    "Mixtral-8x7B") are matched as phrases, so a system's name counts as one rare term."""
    parts: dict[str, None] = {}
    rest = query
    for compound in _COMPOUND_RE.findall(query):
        words = _TOKEN_RE.findall(compound.lower())
        parts.setdefault('"' + " ".join(words) + '"', None)
        rest = rest.replace(compound, " ")
    for w in terms(rest):
        parts.setdefault(f'"{w}"', None)
    return " OR ".join(parts)


def ensure_index(engine: Engine) -> None:
    """Create the index (and fill it from existing papers) if it is missing. Idempotent."""
    key = str(engine.url)
    if key in _ready:
        return
    with _lock:
        if key in _ready:
            return
        dialect = engine.dialect.name
        if dialect == "sqlite":
            retry_locked(lambda: _create_sqlite(engine))
        elif dialect == "postgresql":
            with engine.begin() as conn:
                for ddl in _PG_DDL:
                    conn.execute(text(ddl))
        else:
            raise RetrievalError(
                f"no lexical index for database {dialect!r}; use sqlite or postgresql"
            )
        _ready.add(key)


def _create_sqlite(engine: Engine) -> None:
    with engine.begin() as conn:
        existed = conn.execute(
            text("SELECT 1 FROM sqlite_master WHERE type='table' AND name='paper_fts'")
        ).first()
        for ddl in _SQLITE_DDL:
            conn.execute(text(ddl))
        if not existed:
            # Papers written before the index existed (e.g. by a process that never searched).
            conn.execute(text("INSERT INTO paper_fts(paper_fts) VALUES ('rebuild')"))


def rebuild_index(engine: Engine) -> None:
    """Re-derive the whole index from `paper` (SQLite; PostgreSQL's index needs no rebuild)."""
    ensure_index(engine)
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO paper_fts(paper_fts) VALUES ('rebuild')"))


def search(engine: Engine, query: str, k: int = 50) -> list[Hit]:
    """The `k` best papers for `query` (any word may match; more and rarer words rank higher)."""
    words = terms(query)
    if not words:
        return []
    ensure_index(engine)
    if engine.dialect.name == "sqlite":
        match = match_expression(query)
        sql = text(
            "SELECT paper.id, bm25(paper_fts, :wt, :wa, :wu) AS s FROM paper_fts "
            "JOIN paper ON paper.rowid = paper_fts.rowid "
            "WHERE paper_fts MATCH :q ORDER BY s LIMIT :k"
        )
        params = {"q": match, "k": k, "wt": _WEIGHTS[0], "wa": _WEIGHTS[1], "wu": _WEIGHTS[2]}
        with engine.connect() as conn:
            rows = conn.execute(sql, params).all()
        return [Hit(pid, -float(s)) for pid, s in rows]
    tsq = " | ".join(words)
    # The WHERE clause repeats the indexed expression verbatim so the GIN index is used.
    sql = text(
        f"SELECT id, ts_rank_cd({_PG_VECTOR}, q) AS s FROM paper, to_tsquery('english', :q) q "
        f"WHERE {_PG_VECTOR} @@ q ORDER BY s DESC LIMIT :k"
    )
    with engine.connect() as conn:
        rows = conn.execute(sql, {"q": tsq, "k": k}).all()
    return [Hit(pid, float(s)) for pid, s in rows]
