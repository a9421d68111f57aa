"""Retrieval: the arXiv source, corpus import, the lexical index, hybrid ranking, full text.

Import-light on purpose: nothing here loads torch until an embedder is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # sqlalchemy loads when a database is first opened, not for `sovereign --help`
    from sqlalchemy.engine import Engine


def has_local_papers(engine: Engine) -> bool:
    """True when the database holds at least one paper (imported or cached): an offline run
    has something to search. Cheap; the service calls it before starting a run."""
    from sqlalchemy import text

    with engine.connect() as conn:
        return conn.execute(text("SELECT 1 FROM paper LIMIT 1")).first() is not None
