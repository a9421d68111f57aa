"""A database made before TextCheck carried attribution and independent evidence still opens:
the missing columns are added with the model's defaults, and its old verdicts cannot read as
support (a SUPPORTED from a claim's own passage had no independent evidence)."""

from __future__ import annotations

import sqlite3

from sqlalchemy import create_engine, inspect

from kernel.storage import crud
from kernel.storage.db import create_schema, session_scope
from kernel.storage.models import Claim, Paper, Passage, Run, RunPaper, TextCheck
from reports import evidence as ev

NEW = ("independent", "attribution", "attribution_reasons")


def test_old_text_checks_gain_the_new_columns_with_defaults(tmp_path):
    path = tmp_path / "old.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    create_schema(engine)
    with session_scope(engine) as s:
        run = Run(question="q")
        s.add(run)
        s.add(Paper(id="2410.17954", title="ExpertFlow"))
        s.flush()
        s.add(RunPaper(run_id=run.id, paper_id="2410.17954"))
        passage = Passage(paper_id="2410.17954", text="ExpertFlow is 1.99x faster than Cache-MoE.")
        s.add(passage)
        s.flush()
        claim = Claim(run_id=run.id, paper_id="2410.17954", passage_id=passage.id, text=passage.text)
        s.add(claim)
        s.flush()
        s.add(TextCheck(claim_id=claim.id, verdict="SUPPORTED", confidence=0.99))
        run_id = run.id
    engine.dispose()
    with sqlite3.connect(path) as db:  # the table as an older release made it
        for column in NEW:
            db.execute(f"ALTER TABLE textcheck DROP COLUMN {column}")
    engine = create_engine(f"sqlite:///{path}")
    assert not set(NEW) & {c["name"] for c in inspect(engine).get_columns("textcheck")}
    create_schema(engine)
    assert set(NEW) <= {c["name"] for c in inspect(engine).get_columns("textcheck")}
    with session_scope(engine) as s:
        data = crud.load_run_data(s, run_id=run_id)
    tc = data.claims[0].text_check
    assert (tc.independent, tc.attribution, tc.attribution_reasons) == ("NONE", "UNCHECKED", [])
    assert ev.verdict(data.claims[0]) == "UNVERIFIED"
