"""Retrieval: the arXiv source, corpus import, the lexical index, hybrid ranking, full text.

Import-light on purpose: nothing here loads torch until an embedder is first used.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine


def has_local_papers(engine: Engine) -> bool:
    """True when the database holds at least one paper (imported or cached): an offline run
    has something to search. Cheap; the service calls it before starting a run."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT 1 FROM paper LIMIT 1")).first() is not None
