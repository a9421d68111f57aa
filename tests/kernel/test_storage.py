"""The data model on SQLite and, when CI provides one, on a real PostgreSQL server."""

from __future__ import annotations

import os

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, func, select

from domain.reviews import ReviewFields
from kernel.storage import crud
from kernel.storage.db import make_engine, session_scope
from kernel.storage.models import Claim, Paper, Passage, Review, Run, RunPaper, TextCheck

PG_URL = os.environ.get("SOVEREIGN_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    if request.param == "sqlite":
        return make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    if not PG_URL:
        pytest.skip("no PostgreSQL server: set SOVEREIGN_TEST_POSTGRES_URL (.ci/run starts one)")
    eng = make_engine(PG_URL)
    SQLModel.metadata.drop_all(eng)
    SQLModel.metadata.create_all(eng)
    return eng


def _run_with_claim(engine) -> tuple[str, int]:
    with session_scope(engine) as s:
        run = Run(question="How does ExpertFlow cache experts?", settings={"k": 1})
        s.add(run)
        s.add(Paper(id="2410.17954", version="v3", title="ExpertFlow", authors=["A", "B"], abstract="x"))
        s.flush()
        s.add(RunPaper(run_id=run.id, paper_id="2410.17954", query="expertflow", rank=1, score=0.9))
        passage = Passage(paper_id="2410.17954", text="ExpertFlow is 1.99x faster than Cache-MoE.", end=42)
        s.add(passage)
        s.flush()
        return run.id, passage.id


def test_a_run_round_trips_through_the_tables(engine):
    run_id, passage_id = _run_with_claim(engine)
    with session_scope(engine) as s:
        crud.replace_claims(
            s,
            run_id=run_id,
            claims=[Claim(run_id=run_id, paper_id="2410.17954", passage_id=passage_id, text="1.99x faster",
                          kind="comparison", value=1.99, unit="×", baseline="Cache-MoE", setting={"batch_size": 32})],
        )
    with session_scope(engine) as s:
        claim = crud.run_claims(s, run_id=run_id)[0]
        s.add(TextCheck(claim_id=claim.id, verdict="SUPPORTED", confidence=0.9, reasons=["value 1.99× in evidence"]))
        crud.save_reviews(s, run_id=run_id, round=1, reviews=[ReviewFields(round=1, role="skeptic", score=6.0)])
    with session_scope(engine) as s:
        data = crud.load_run_data(s, run_id=run_id)
    assert data.papers[0].id == "2410.17954" and data.papers[0].authors == ["A", "B"]
    assert data.claims[0].setting == {"batch_size": 32}
    assert data.claims[0].text_check.reasons == ["value 1.99× in evidence"]
    assert [r.role for r in data.reviews] == ["skeptic"]


def test_stage_writes_replace_instead_of_duplicating(engine):
    run_id, passage_id = _run_with_claim(engine)
    for _ in range(3):  # a stage re-run after a crash writes the same rows again
        with session_scope(engine) as s:
            crud.replace_claims(s, run_id=run_id, claims=[
                Claim(run_id=run_id, paper_id="2410.17954", passage_id=passage_id, text="c", ordinal=0),
                Claim(run_id=run_id, paper_id="2410.17954", passage_id=passage_id, text="d", ordinal=1),
            ])
            crud.save_reviews(s, run_id=run_id, round=1, reviews=[ReviewFields(round=1, role="skeptic", score=5)])
            crud.save_report_version(s, run_id=run_id, round=1, author="drafter", markdown="# r", draft={})
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Claim)).one() == 2
        assert s.exec(select(func.count()).select_from(Review)).one() == 1
        assert crud.latest_report(s, run_id=run_id).version == 1
        crud.save_report_version(s, run_id=run_id, round=1, author="owner:ann", markdown="# edited", draft={})
    with session_scope(engine) as s:
        last = crud.latest_report(s, run_id=run_id)
        assert (last.version, last.author, last.markdown) == (2, "owner:ann", "# edited")


def test_a_paper_is_listed_once_per_run(engine):
    run_id, _ = _run_with_claim(engine)
    with pytest.raises(IntegrityError):
        with session_scope(engine) as s:
            s.add(RunPaper(run_id=run_id, paper_id="2410.17954", query="again", rank=2))


def test_an_unknown_run_names_the_recent_ones(engine):
    run_id, _ = _run_with_claim(engine)
    with session_scope(engine) as s:
        with pytest.raises(Exception) as info:
            crud.get_run(s, run_id="nope")
    assert "nope" in str(info.value) and run_id in str(info.value)
