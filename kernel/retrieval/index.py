"""The lexical index over every `Paper` in the database (imported corpora and the arXiv cache).

SQLite: an FTS5 table with external content (`paper` itself), kept in step by triggers, so any
writer of `paper` (corpus import, the arXiv cache, other code) keeps the index current at the
cost of one FTS insert per row; ranking is FTS5's BM25 with the title weighted above the
abstract. PostgreSQL: a GIN index over a `tsvector` expression, ranked with `ts_rank_cd`.

Caveat (SQLite): external content is keyed by `paper`'s implicit rowid, which `VACUUM` may
renumber; after a VACUUM call `rebuild_index(engine)`.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine

from kernel.errors import RetrievalError
from kernel.storage.db import retry_locked

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


def phrases(query: str) -> list[list[str]]:
    """The query's search units: hyphenated names ("SE-MoE", "Pre-gated", "Mixtral-8x7B") as
    word sequences matched as phrases, so a system's name counts as one rare term; the other
    words one by one (stopwords dropped)."""
    units: dict[tuple[str, ...], None] = {}
    rest = query
    for compound in _COMPOUND_RE.findall(query):
        units.setdefault(tuple(_TOKEN_RE.findall(compound.lower())), None)
        rest = rest.replace(compound, " ")
    for w in terms(rest):
        units.setdefault((w,), None)
    return [list(u) for u in units]


def match_expression(query: str) -> str:
    """An FTS5 MATCH string: any unit of `phrases(query)` may match."""
    return " OR ".join('"' + " ".join(u) + '"' for u in phrases(query))


# A unit found in more than this many papers is left out of a query with rarer units: its
# BM25 weight is small (idf < 3) but scoring its every match dominates the query's time.
COMMON_FRACTION = 0.05
COMMON_MIN = 5_000


def _selective_match(conn, units: list[list[str]]) -> str:
    """`match_expression` without the units too common to matter (see COMMON_FRACTION).
    Counting stops at the threshold, so a check costs at most one bounded doclist scan."""
    expr = ['"' + " ".join(u) + '"' for u in units]
    if len(expr) < 2:
        return " OR ".join(expr)
    n = conn.execute(text("SELECT coalesce(max(rowid), 0) FROM paper")).scalar() or 0
    cap = max(COMMON_MIN, int(COMMON_FRACTION * n))
    if n <= cap:
        return " OR ".join(expr)
    kept = [
        e for e in expr
        if conn.execute(
            text(f"SELECT count(*) FROM (SELECT 1 FROM paper_fts WHERE paper_fts MATCH :m "
                 f"LIMIT {cap + 1})"), {"m": e}
        ).scalar() <= cap
    ]
    return " OR ".join(kept or expr)


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
        # Rank inside the FTS table, join only the k winners (3x faster than joining every
        # match before the sort when a query matches ~10^4 papers).
        sql = text(
            "SELECT p.id, f.s FROM (SELECT rowid, bm25(paper_fts, :wt, :wa, :wu) AS s "
            "FROM paper_fts WHERE paper_fts MATCH :q ORDER BY s LIMIT :k) f "
            "JOIN paper p ON p.rowid = f.rowid ORDER BY f.s"
        )
        with engine.connect() as conn:
            match = _selective_match(conn, phrases(query))
            params = {"q": match, "k": k, "wt": _WEIGHTS[0], "wa": _WEIGHTS[1],
                      "wu": _WEIGHTS[2]}
            rows = conn.execute(sql, params).all()
        return [Hit(pid, -float(s)) for pid, s in rows]
    return _search_postgres(engine, query, k)


_DF_CAP = 20_000  # counting matches stops here: beyond it a unit is common whatever the count


def _search_postgres(engine: Engine, query: str, k: int) -> list[Hit]:
    """ts_rank_cd has no inverse document frequency, so a common word ("moe") would outweigh
    a rare name ("SE-MoE"); each unit's rank is weighted by log(N / df), df counted through
    the GIN index and capped, N from the planner's row estimate."""
    units = [" <-> ".join(u) for u in phrases(query)]
    with engine.connect() as conn:
        n = conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'paper'")).scalar()
        n = max(float(n or 0), 1.0)
        weights = []
        for i, unit in enumerate(units):
            df = conn.execute(
                text(f"SELECT count(*) FROM (SELECT 1 FROM paper WHERE {_PG_VECTOR} @@ "
                     f"to_tsquery('english', :u) LIMIT {_DF_CAP}) m"),
                {"u": unit},
            ).scalar()
            weights.append(math.log(1.0 + max(n, df) / (df + 0.5)))
        params: dict = {"k": k, "all": " | ".join(f"({u})" for u in units)}
        score = []
        for i, (unit, w) in enumerate(zip(units, weights)):
            params[f"u{i}"] = unit
            score.append(f"{w:.6f} * ts_rank_cd({_PG_VECTOR}, to_tsquery('english', :u{i}), 1)")
        sql = text(
            f"SELECT id, {' + '.join(score)} AS s FROM paper "
            f"WHERE {_PG_VECTOR} @@ to_tsquery('english', :all) ORDER BY s DESC LIMIT :k"
        )
        rows = conn.execute(sql, params).all()
    return [Hit(pid, float(s)) for pid, s in rows]
