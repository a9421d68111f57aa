"""Each paper's evaluation setup, read from its stored passages and kept in `PaperSetupRow`.

Written by the read stage for every paper whose full text it read, so the empirical checks
(`kernel.empirical.checks.plan_checks`) fill what a claim leaves out from the paper's own words and can
point at the passage. A paper whose text states no setup has no row (a stale one is removed).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from kernel.storage.db import session_scope
from kernel.storage.models import PaperSetupRow, Passage, utcnow
from verifier.paper_setup import OWN_SYSTEM_SECTIONS, SETUP_SECTIONS, SetupSource, read_setup


def _sources(passages: list[Passage]) -> list[SetupSource]:
    """Prose passages of the sections a setup is read from; a table gives its caption only."""
    out = []
    for p in passages:
        if p.section_kind not in SETUP_SECTIONS + OWN_SYSTEM_SECTIONS:
            continue
        if p.kind == "table":
            out.append(SetupSource(p.id, p.section_kind, p.text.split("\n", 1)[0]))
        elif p.kind == "fulltext":
            out.append(SetupSource(p.id, p.section_kind, p.text))
    # Prose before captions: a caption's setting may be one table's, the prose's is the paper's.
    return sorted(out, key=lambda s: s.text.startswith("Table"))


def setup_fields(passages: list[Passage]) -> dict:
    """The setup fields (`verifier.paper_setup.read_setup`) of one paper's passages."""
    return read_setup(_sources(passages))


def record_setups(engine: Engine, paper_ids: list[str]) -> int:
    """Read and store the setup of each paper from its passages; the number of rows written."""
    if not paper_ids:
        return 0
    written = 0
    with session_scope(engine) as s:
        rows = s.exec(select(Passage).where(col(Passage.paper_id).in_(paper_ids),
                                            col(Passage.section_kind).is_not(None))
                      .order_by(Passage.id)).all()
        by_paper: dict[str, list[Passage]] = {}
        for p in rows:
            by_paper.setdefault(p.paper_id, []).append(p)
        for pid in paper_ids:
            fields = setup_fields(by_paper.get(pid, []))
            row = s.get(PaperSetupRow, pid)
            if not fields:
                if row is not None:
                    s.delete(row)
                continue
            main = Counter(f["passage_id"] for k, f in fields.items() if k != "system").most_common(1)
            passage_id = main[0][0] if main else next(iter(fields.values()))["passage_id"]
            if row is None:
                row = PaperSetupRow(paper_id=pid)
            row.fields, row.passage_id, row.updated_at = fields, passage_id, utcnow()
            s.add(row)
            written += 1
    return written


def paper_setups(session: Session, paper_ids: list[str]) -> dict[str, PaperSetupRow]:
    """The stored setups of ``paper_ids`` that have one."""
    if not paper_ids:
        return {}
    rows = session.exec(select(PaperSetupRow).where(col(PaperSetupRow.paper_id).in_(paper_ids))).all()
    return {r.paper_id: r for r in rows}
